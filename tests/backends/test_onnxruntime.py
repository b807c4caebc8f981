"""The onnxruntime backend: same pictures as torch, and no silent fallback to the CPU."""

from pathlib import Path

import numpy as np
import pytest
import torch

from clips import make_clip, read_video
from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend, providers_for
from vidstyle.context import RunContext, resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.export.onnx import OnnxReport


def test_onnxruntime_backend_matches_torch_in_stylize(
    exported_onnx: tuple[Path, OnnxReport], tiny_model: Path, tmp_path: Path
) -> None:
    from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, stylize_video

    onnx_path, _ = exported_onnx
    src = make_clip(tmp_path / "in.mkv", width=40, height=30, frames=5, codec="ffv1", pix_fmt="bgr0")
    lossless = Encoding(codec="ffv1", pix_fmt="bgr0")
    for model, out in ((tiny_model, "torch.mkv"), (onnx_path, "ort.mkv")):  # the .onnx file picks onnxruntime
        stylize_video(
            src,
            tmp_path / out,
            VideoOptions(model=model, runtime=Runtime(device="cpu"), encode=lossless),
            progress=False,
        )
    a, _, _ = read_video(tmp_path / "torch.mkv")
    b, _, _ = read_video(tmp_path / "ort.mkv")
    assert len(a) == len(b) == 5
    assert max(np.abs(x.astype(int) - y.astype(int)).max() for x, y in zip(a, b)) <= 2


def test_cli_onnxruntime_backend_exports_on_the_fly(tiny_model: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=4)
    result = cli(
        "stylize", src, "-o", tmp_path / "out.mp4", "--model", tiny_model, "--backend", "onnxruntime", "--device", "cpu"
    )
    assert result.code == 0, result.err
    assert len(read_video(tmp_path / "out.mp4")[0]) == 4


def test_cpu_sessions_do_not_spin(exported_onnx: tuple[Path, OnnxReport]) -> None:
    """Spinning threads would take the cores that decode and encode need beside the net."""
    with OnnxRuntimeBackend(exported_onnx[0], resolve_context("cpu", "fp32")) as backend:
        assert backend.session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
        assert backend.run(torch.rand(1, 3, 20, 24)).shape == (1, 3, 20, 24)


def test_missing_cuda_provider_is_an_error_not_a_fallback(exported_onnx: tuple[Path, OnnxReport]) -> None:
    path, _ = exported_onnx
    cpu = resolve_context("cpu")
    with pytest.raises(VidstyleError, match="CUDAExecutionProvider is not available"):
        OnnxRuntimeBackend(path, cpu, providers=["CUDAExecutionProvider"])
    cuda = RunContext(device=torch.device("cuda"), precision="fp32")  # the context alone needs no GPU
    with pytest.raises(VidstyleError, match="onnxruntime-gpu"):
        providers_for(cuda, ["CPUExecutionProvider"])
