"""The TensorRT backend on a fake `tensorrt` (tests/fake_tensorrt.py) and a CPU standing in
for the GPU: the header checked by compute capability, the profile, the order of the
calls, inputs bound where they lie and the output handed back without a copy."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import torch

import fake_tensorrt
from vidstyle.backends.engine_header import EngineHeader, write_engine
from vidstyle.backends.tensorrt_backend import TensorRTBackend
from vidstyle.context import RunContext
from vidstyle.errors import VidstyleError


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake = fake_tensorrt.install(monkeypatch, gpu_name="NVIDIA H100 PCIe")
    # The CPU stands in for the device: buffers are host memory, the stream a number.
    monkeypatch.setattr(RunContext, "is_cuda", property(lambda self: True))
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: types.SimpleNamespace(cuda_stream=77))
    header = EngineHeader(
        tensorrt_version=fake.__version__,
        gpu_name="NVIDIA H100 80GB HBM3",
        compute_capability="9.0",
        onnx_sha256="a" * 64,
        precision="fp16",
        min_shape=(1, 3, 8, 8),
        opt_shape=(2, 3, 16, 16),
        max_shape=(4, 3, 32, 32),
        source_model="m.safetensors",
    )
    path = tmp_path / "m.engine"
    write_engine(path, header, b"PLAN")
    return path


def test_runs_bind_the_input_where_it_lies_and_hand_back_the_output_buffer(engine: Path) -> None:
    ctx = RunContext(device=torch.device("cpu"), precision="fp32")
    # Built on an H100 SXM, run on an H100 PCIe: the same sm_90, so it runs.
    with TensorRTBackend.from_file(engine, ctx, cuda_graph=False) as backend:
        backend.prepare((2, 3, 16, 16))
        log = fake_tensorrt.LOG
        log.clear()
        first, second = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
        out = backend.run(first)
        assert torch.allclose(out, 1 - first)
        assert (
            log[0] == ("set_tensor_address", "images", first.data_ptr()) and log[1][0] == "execute" and log[1][1] == 77
        )
        again = backend.run(second)
        assert again is out and torch.allclose(again, 1 - second)  # the engine's buffer, not a clone
        assert [entry[0] for entry in log] == ["set_tensor_address", "execute"] * 2
        with pytest.raises(VidstyleError, match="outside the engine's profile"):
            backend.prepare((8, 3, 16, 16))


def test_the_header_is_checked_by_capability_graph_and_precision(engine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = RunContext(device=torch.device("cpu"), precision="fp32")
    TensorRTBackend.from_file(engine, ctx, cuda_graph=False, onnx_sha256="a" * 64, precision="fp16").close()
    with pytest.raises(VidstyleError, match="another ONNX graph"):
        TensorRTBackend.from_file(engine, ctx, onnx_sha256="b" * 64)
    with pytest.raises(VidstyleError, match=r"fp16 \(not fp32\)"):
        TensorRTBackend.from_file(engine, ctx, precision="fp32")
    monkeypatch.setattr(
        "vidstyle.backends.tensorrt_backend.device_identity", lambda device: ("NVIDIA H100 80GB HBM3", "8.9")
    )
    with pytest.raises(VidstyleError, match="sm_90 .this machine has NVIDIA H100 80GB HBM3 sm_89."):
        TensorRTBackend.from_file(engine, ctx)
