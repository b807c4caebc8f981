"""The onnxruntime backend on CUDA, with a fake CUDA-provider session and fake streams (the
issue asks for these fakes; the real ones need onnxruntime-gpu and a GPU): the provider
options, images and style weights bound on the device, and events instead of a per-batch
synchronize."""

from __future__ import annotations

import ctypes
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from fake_streams import FakeOps
from vidstyle.backends.onnxruntime_backend import CUDA_PROVIDER, OnnxRuntimeBackend, onnxruntime_cuda_problem
from vidstyle.context import RunContext


def _floats(address: int, count: int) -> np.ndarray:
    return np.frombuffer((ctypes.c_float * count).from_address(address), dtype=np.float32)


class FakeBinding:
    def __init__(self) -> None:
        self.inputs: dict[str, tuple[Any, ...]] = {}
        self.outputs: dict[str, tuple[Any, ...]] = {}

    def bind_input(self, name: str, device: str, index: int, dtype: Any, shape: list[int], address: int) -> None:
        self.inputs[name] = (device, index, dtype, shape, address)

    def bind_output(self, name: str, device: str, index: int, dtype: Any, shape: list[int], address: int) -> None:
        self.outputs[name] = (device, index, dtype, shape, address)


class FakeSession:
    """Three styles; "computes" each image times the first style weight, reading and writing
    the bound addresses as the CUDA provider reads and writes device memory."""

    made: list[FakeSession] = []

    def __init__(self, path: str, sess_options: Any, providers: list[Any]) -> None:
        self.providers = providers
        self.runs: list[tuple[FakeBinding, Any]] = []
        FakeSession.made.append(self)

    def get_providers(self) -> list[str]:
        return [p if isinstance(p, str) else p[0] for p in self.providers]

    def get_inputs(self) -> list[Any]:
        return [
            types.SimpleNamespace(name="images", shape=["b", 3, "h", "w"]),
            types.SimpleNamespace(name="style_weights", shape=["b", 3]),
        ]

    def get_modelmeta(self) -> Any:
        return types.SimpleNamespace(custom_metadata_map={})

    def io_binding(self) -> FakeBinding:
        return FakeBinding()

    def run_with_iobinding(self, binding: FakeBinding, run_options: Any) -> None:
        self.runs.append((binding, run_options))
        LOG.append(("run",))
        shape = binding.inputs["images"][3]
        count = int(np.prod(shape))
        weights = _floats(binding.inputs["style_weights"][4], shape[0] * 3).reshape(shape[0], 3)
        images = _floats(binding.inputs["images"][4], count).reshape(shape)
        _floats(binding.outputs["stylized"][4], count)[:] = (images * weights[:, :1, None, None]).ravel()


class FakeRunOptions:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    def add_run_config_entry(self, key: str, value: str) -> None:
        self.entries[key] = value


LOG: list[tuple[Any, ...]] = []


@pytest.fixture
def fake_ort(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    fake = types.ModuleType("onnxruntime")
    fake.get_available_providers = lambda: [CUDA_PROVIDER, "CPUExecutionProvider"]  # type: ignore[attr-defined]
    fake.SessionOptions = lambda: types.SimpleNamespace()  # type: ignore[attr-defined]
    fake.GraphOptimizationLevel = types.SimpleNamespace(ORT_ENABLE_ALL=99)  # type: ignore[attr-defined]
    fake.InferenceSession = FakeSession  # type: ignore[attr-defined]
    fake.RunOptions = FakeRunOptions  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", fake)
    FakeSession.made.clear()
    LOG.clear()
    return fake


def test_cuda_runs_bind_on_the_device_and_order_by_events(fake_ort: types.ModuleType, tmp_path: Path) -> None:
    (tmp_path / "m.onnx").write_bytes(b"graph")
    ops = FakeOps()
    ops.log = LOG  # one log for the streams and the session, to read their order
    ctx = RunContext(device=torch.device("cuda", 1), precision="fp32")  # the context alone needs no GPU
    with OnnxRuntimeBackend(tmp_path / "m.onnx", ctx, ops=ops) as backend:
        (session,) = FakeSession.made
        ((name, options),) = session.providers
        assert name == CUDA_PROVIDER and options["device_id"] == "1" and options["user_compute_stream"] == "1001"
        assert backend.style_names == ("0", "1", "2")
        images, weights = torch.rand(2, 3, 8, 10), torch.tensor([[0.5, 0.25, 0.25], [1.0, 0.0, 0.0]])
        out = backend.run(images, weights)
        assert torch.allclose(out, images * weights[:, :1, None, None])
        binding, run_options = session.runs[0]
        assert set(binding.inputs) == {"images", "style_weights"} and {v[0] for v in binding.inputs.values()} == {
            "cuda"
        }
        assert binding.inputs["style_weights"][3] == [2, 3] and binding.outputs["stylized"][0] == "cuda"
        assert run_options.entries == {"disable_synchronize_execution_providers": "1"}
        ready, done = backend._inputs_ready, backend._outputs_ready
        assert LOG == [
            ("record", ready, "compute"),
            ("wait", "stream1", ready),
            ("run",),
            ("record", done, "stream1"),
            ("wait", "compute", done),
        ]
        assert not [entry for entry in LOG if entry[0] == "sync"]  # no host wait per batch


def test_cuda_counts_as_usable_only_with_its_provider(
    fake_ort: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert onnxruntime_cuda_problem() is None
    fake_ort.get_available_providers = lambda: ["CPUExecutionProvider"]  # type: ignore[attr-defined]
    assert "no CUDA provider" in str(onnxruntime_cuda_problem())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert onnxruntime_cuda_problem() == "no CUDA GPU"
