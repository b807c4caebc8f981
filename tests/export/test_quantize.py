"""int8 export: calibrated on one set of photos, checked on others, refused when it drifts from fp32."""

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from vidstyle import load_model
from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend, graph_precision
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.export.quantize import CALIBRATION_IMAGES, PARITY_IMAGES, export_int8, split_photos


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Smooth gradients with some texture, of mixed sizes, as JPEGs: photo-like enough for ranges."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(CALIBRATION_IMAGES + PARITY_IMAGES + 1):
        h, w = 60 + 4 * i, 80 + 3 * i
        y, x = np.mgrid[0:h, 0:w] / max(h, w)
        base = np.stack([x, y, (x + y) / 2], axis=-1) * rng.uniform(0.5, 1.0, 3)
        pixels = np.clip(base + rng.normal(0, 0.05, (h, w, 3)), 0, 1)
        Image.fromarray((pixels * 255).astype(np.uint8)).save(folder / f"p{i:02d}.jpg")
    return folder


def test_calibration_and_parity_photos_never_overlap(photos: Path) -> None:
    calibration, parity = split_photos(photos)
    assert len(calibration) == CALIBRATION_IMAGES and len(parity) == PARITY_IMAGES
    assert not set(calibration) & set(parity)
    with pytest.raises(VidstyleError, match="at least"):
        split_photos(photos, calibration=40)


@pytest.mark.slow
def test_int8_file_runs_and_is_marked(tiny_model: Path, photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-int8.onnx"
    report = export_int8(load_model(tiny_model), out, calibrate=photos, max_mean_abs_diff=1.0)
    assert out.is_file() and report.calibration_images == CALIBRATION_IMAGES
    assert 0 < report.mean_abs_diff <= report.max_abs_diff
    ops = {node.op_type for node in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "InstanceNormalization"} <= ops
    assert graph_precision(out) == "int8-qdq"
    with OnnxRuntimeBackend(out, resolve_context("cpu", "fp32")) as backend:
        result = backend.run(torch.rand(1, 3, 36, 52))
    assert result.shape == (1, 3, 36, 52) and torch.isfinite(result).all()


@pytest.mark.slow
def test_int8_that_fails_parity_writes_nothing(tiny_model: Path, photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-int8.onnx"
    out.write_bytes(b"previous")
    with pytest.raises(VidstyleError, match="differs from torch fp32 by .*nothing was written"):
        export_int8(load_model(tiny_model), out, calibrate=photos, max_mean_abs_diff=0.0)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["tiny-int8.onnx"]
