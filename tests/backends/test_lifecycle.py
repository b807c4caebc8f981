"""One lifecycle for every backend: open on construction, close() releases, closed means closed."""

from pathlib import Path

import pytest
import torch

from vidstyle import load_model
from vidstyle.backends import INPUT_NAME, OUTPUT_NAME, Backend, open_backend
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError


@pytest.mark.parametrize("name", ["torch", "onnxruntime"])
def test_same_lifecycle_in_every_backend(name: str, tiny_model: Path, exported_onnx: tuple[Path, object]) -> None:
    ctx = resolve_context("cpu")
    images = torch.rand(1, 3, 20, 28)
    with open_backend(tiny_model if name == "torch" else exported_onnx[0], ctx) as backend:
        assert isinstance(backend, Backend) and backend.name == name and not backend.closed
        backend.prepare((1, 3, 20, 28))
        out = backend.run(images)
        assert out.shape == images.shape and 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    assert backend.closed
    backend.close()  # a second close is harmless
    with pytest.raises(VidstyleError, match=f"the {name} backend is closed"):
        backend.run(images)
    with pytest.raises(VidstyleError, match="closed"):
        backend.prepare((1, 3, 20, 28))


def test_torch_backend_leaves_the_callers_net_alone(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    before = {k: v.clone() for k, v in model.net.state_dict().items()}
    model.net.train()
    with open_backend(model, resolve_context("cpu")) as backend:
        backend.run(torch.rand(1, 3, 16, 16))
    assert model.net.training
    assert all(torch.equal(before[k], v) for k, v in model.net.state_dict().items())


def test_io_names_are_the_exported_graphs(exported_onnx: tuple[Path, object]) -> None:
    import onnx

    graph = onnx.load(str(exported_onnx[0])).graph
    assert [i.name for i in graph.input] == [INPUT_NAME] and [o.name for o in graph.output] == [OUTPUT_NAME]
