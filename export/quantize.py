"""int8 ONNX for the CPU: onnxruntime's static QDQ quantization, calibrated on photos, checked
against torch fp32 on other photos before the file is moved into place.

Only the residual blocks' convolutions are quantized (int8 weights per output channel, uint8
activations): 60% of the net's multiply-adds, and onnxruntime fuses each DQ -> Conv -> Q into
one int8 conv. The three convs at each end stay fp32: they read the image's colours and write
the output's, so their rounding goes straight into the picture. Quantizing them too made the
bundled net 1.2x faster again but 3.8/255 from fp32 on average; without them it was 1.9/255
and 1.43x onnxruntime fp32 (at 640x360 on 2 cores). The instance norms, the upsampling and
the output stay fp32 as well. A graph whose
output differs from fp32 by more than `max_mean_abs_diff` on average (2/255 by default: one
or two grey levels) is refused and nothing is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vidstyle.atomic import atomic_output
from vidstyle.backends.base import INPUT_NAME, STYLE_INPUT_NAME
from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend
from vidstyle.backends.torch_backend import TorchBackend
from vidstyle.colour import resize
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.images import list_images, read_image
from vidstyle.modelfile import StyleModel

from .onnx import export_onnx

MAX_MEAN_ABS_DIFF = 2 / 255
CALIBRATION_IMAGES = 16
PARITY_IMAGES = 4
IMAGE_MAX_SIDE = 360  # the camera's and serve's working size; activation ranges hardly depend on it
# Calibration photos all take one size: the histogram calibrators stack each tensor's batches.
CALIBRATION_SIZE = (270, 360)
FP32_END_CONVS = 3  # at each end of the graph: the downsampling head and the upsampling tail


@dataclass(frozen=True)
class Int8Report:
    path: Path
    calibration_images: int
    parity_images: int
    mean_abs_diff: float  # over every pixel of every parity photo, output in [0, 1]
    max_abs_diff: float


def split_photos(
    folder: str | os.PathLike[str], calibration: int = CALIBRATION_IMAGES, parity: int = PARITY_IMAGES
) -> tuple[list[Path], list[Path]]:
    """The first photos (sorted by name) calibrate, the next ones check parity: never the same photo."""
    photos = list_images(folder)
    if len(photos) < calibration + parity:
        raise VidstyleError(
            f"int8 calibration needs at least {calibration + parity} photos in {folder}; found {len(photos)}"
        )
    return photos[:calibration], photos[calibration : calibration + parity]


def style_rows(style_count: int, count: int) -> list[torch.Tensor | None]:
    """One style weight row per image, cycling through a multi-style net's styles (None for one style)."""
    if style_count == 1:
        return [None] * count
    return [torch.eye(style_count)[i % style_count][None] for i in range(count)]


class _PhotoReader:
    """onnxruntime's CalibrationDataReader protocol: one feed dict per photo, then None."""

    def __init__(self, photos: Sequence[Path], style_count: int) -> None:
        self._feeds: Iterator[dict[str, np.ndarray]] = iter(
            {INPUT_NAME: resize(read_image(photo), CALIBRATION_SIZE).contiguous().numpy()}
            | ({} if row is None else {STYLE_INPUT_NAME: row.numpy()})
            for photo, row in zip(photos, style_rows(style_count, len(photos)))
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def quantize(
    source: str | os.PathLike[str], target: str | os.PathLike[str], photos: Sequence[Path], style_count: int
) -> None:
    """Write `source`'s int8 QDQ form to `target`, unchecked (export_int8 checks it), its card marked int8."""
    try:
        import onnx
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    except ImportError:
        raise VidstyleError(
            "int8 export needs onnxruntime's quantization tools: pip install 'vidstyle[onnx]'"
        ) from None
    original = onnx.load(str(source), load_external_data=False)
    convs = [node.name for node in original.graph.node if node.op_type == "Conv"]  # in graph (topological) order
    quantize_static(
        str(source),
        str(target),
        _PhotoReader(photos, style_count),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"],
        nodes_to_exclude=convs[:FP32_END_CONVS] + convs[-FP32_END_CONVS:],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    proto = onnx.load(str(target))
    props = {p.key: p.value for p in original.metadata_props}
    card = json.loads(props.get("vidstyle.card", "{}")) | {"precision": "int8-qdq"}
    onnx.helper.set_model_props(
        proto, props | {"vidstyle.card": json.dumps(card, sort_keys=True), "vidstyle.precision": "int8-qdq"}
    )
    onnx.save_model(proto, str(target))


def export_int8(
    model: StyleModel,
    output: str | os.PathLike[str],
    *,
    calibrate: str | os.PathLike[str],
    fp32_onnx: str | os.PathLike[str] | None = None,
    max_mean_abs_diff: float = MAX_MEAN_ABS_DIFF,
) -> Int8Report:
    """Quantize `model` (its checked fp32 export, made here unless `fp32_onnx` is given), then
    move the int8 file into place only if it passes parity."""
    calibration, parity = split_photos(calibrate)
    with tempfile.TemporaryDirectory(prefix="vidstyle-int8-") as tmp:
        source = Path(fp32_onnx) if fp32_onnx is not None else export_onnx(model, Path(tmp) / "fp32.onnx").path
        with atomic_output(output) as target:
            quantize(source, target, calibration, model.net.style_count)
            mean, worst = parity_on_photos(model, target, parity)
            if mean > max_mean_abs_diff:
                raise VidstyleError(
                    f"int8 ONNX differs from torch fp32 by {mean * 255:.2f}/255 on average over {len(parity)} photos "
                    f"(limit {max_mean_abs_diff * 255:.2f}/255); nothing was written"
                )
    return Int8Report(
        path=Path(output),
        calibration_images=len(calibration),
        parity_images=len(parity),
        mean_abs_diff=mean,
        max_abs_diff=worst,
    )


def parity_on_photos(
    model: StyleModel, onnx_path: str | os.PathLike[str], photos: Sequence[Path]
) -> tuple[float, float]:
    """(mean, max) absolute difference between torch fp32 and the file, through their backends, on `photos`."""
    ctx = resolve_context("cpu", "fp32")
    total, count, worst = 0.0, 0, 0.0
    with TorchBackend(model.net, ctx) as reference, OnnxRuntimeBackend(onnx_path, ctx) as candidate:
        for photo, row in zip(photos, style_rows(model.net.style_count, len(photos))):
            image = read_image(photo, max_side=IMAGE_MAX_SIDE)
            diff = (reference.run(image, row) - candidate.run(image, row)).abs()
            total, count, worst = (
                total + float(diff.double().sum()),
                count + diff.numel(),
                max(worst, float(diff.max())),
            )
    return total / count, worst
