"""TensorRT engines: built, checked against torch before the rename, refused outside the profile."""

from functools import partial
from pathlib import Path

import pytest
import torch

from vidstyle import load_model
from vidstyle.backends.tensorrt_backend import tensorrt_available
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.export.onnx import export_onnx


@pytest.mark.tensorrt
@pytest.mark.skipif(not tensorrt_available(), reason="needs TensorRT with a CUDA GPU")
def test_tensorrt_engine_round_trip(tiny_model: Path, tmp_path: Path) -> None:
    from vidstyle.backends.tensorrt_backend import TensorRTBackend
    from vidstyle.export.tensorrt import build_engine, engine_parity

    model = load_model(tiny_model)
    export_onnx(model, tmp_path / "m.onnx", fp16=True)
    image = torch.rand(1, 3, 96, 80)
    build = partial(
        build_engine,
        tmp_path / "m.onnx",
        tmp_path / "m.engine",
        model,
        shapes=((1, 3, 32, 32), (2, 3, 64, 64), (2, 3, 128, 128)),
        precision="fp16",
        check_image=image,
    )
    report = build()
    assert report.psnr_db is not None and report.psnr_db >= 40.0
    assert engine_parity(report.path, model, image) == report.psnr_db
    # A check that cannot pass keeps the engine already in place.
    before = (tmp_path / "m.engine").read_bytes()
    with pytest.raises(VidstyleError, match="not keeping it"):
        build(min_psnr_db=float("inf"))
    assert (tmp_path / "m.engine").read_bytes() == before
    with TensorRTBackend.from_file(tmp_path / "m.engine", resolve_context("cuda")) as backend:
        with pytest.raises(VidstyleError, match="outside the engine's profile"):
            backend.prepare((4, 3, 64, 64))
