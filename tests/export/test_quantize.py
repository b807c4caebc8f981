"""int8 export: calibrated on one set of photos, checked on others, refused when it drifts from fp32."""

from pathlib import Path

import onnx
import pytest
import torch

from vidstyle import load_model
from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend, graph_precision
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.export.quantize import CALIBRATION_IMAGES, FP32_END_CONVS, PARITY_IMAGES, export_int8, split_photos


def test_calibration_and_parity_photos_never_overlap(calibration_photos: Path) -> None:
    calibration, parity = split_photos(calibration_photos)
    assert len(calibration) == CALIBRATION_IMAGES and len(parity) == PARITY_IMAGES
    assert not set(calibration) & set(parity)
    with pytest.raises(VidstyleError, match="at least"):
        split_photos(calibration_photos, calibration=40)


@pytest.mark.slow
def test_int8_file_runs_and_is_marked(tiny_model: Path, calibration_photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-int8.onnx"
    report = export_int8(load_model(tiny_model), out, calibrate=calibration_photos, max_mean_abs_diff=1.0)
    assert out.is_file() and report.calibration_images == CALIBRATION_IMAGES
    assert 0 < report.mean_abs_diff <= report.max_abs_diff
    graph = onnx.load(str(out)).graph
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "InstanceNormalization"} <= {
        node.op_type for node in graph.node
    }
    # The convs that read the image and write the output stay fp32; the residual ones take int8.
    producers = {output: node.op_type for node in graph.node for output in node.output}
    fed_int8 = [producers.get(node.input[0]) == "DequantizeLinear" for node in graph.node if node.op_type == "Conv"]
    assert (
        fed_int8 == [False] * FP32_END_CONVS + [True] * (len(fed_int8) - 2 * FP32_END_CONVS) + [False] * FP32_END_CONVS
    )
    assert graph_precision(out) == "int8-qdq"
    with OnnxRuntimeBackend(out, resolve_context("cpu", "fp32")) as backend:
        result = backend.run(torch.rand(1, 3, 36, 52))
    assert result.shape == (1, 3, 36, 52) and torch.isfinite(result).all()


@pytest.mark.slow
def test_int8_that_fails_parity_writes_nothing(tiny_model: Path, calibration_photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-int8.onnx"
    out.write_bytes(b"previous")
    with pytest.raises(VidstyleError, match="differs from torch fp32 by .*nothing was written"):
        export_int8(load_model(tiny_model), out, calibrate=calibration_photos, max_mean_abs_diff=0.0)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-int8.onnx"]
