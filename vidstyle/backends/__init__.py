"""Inference backends behind one interface; the heavy ones are imported only when asked for."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import RunContext
from ..errors import VidstyleError
from .base import BACKEND_NAMES, INPUT_NAME, OUTPUT_NAME, Backend, BackendName


if TYPE_CHECKING:  # not at run time: it needs safetensors, which a bare GPU check may not have
    from ..modelfile import StyleModel

# The model file's suffix names the backend that runs it, as in ultralytics.
SUFFIX_BACKENDS = {".onnx": "onnxruntime", ".engine": "tensorrt"}


def backend_for(model: StyleModel | str | os.PathLike[str] | None, backend: str | None) -> str:
    """The backend a model file asks for (.onnx: onnxruntime, .engine: tensorrt, else torch);
    a backend named as well must agree with the file."""
    implied = SUFFIX_BACKENDS.get(Path(model).suffix.lower()) if isinstance(model, str | os.PathLike) else None
    if implied and backend and backend != implied:
        raise VidstyleError(f"{Path(str(model)).name} runs on {implied}; it cannot run on the {backend} backend")
    return implied or backend or "torch"


def describe_run(model: StyleModel | str | os.PathLike[str] | None, backend: str, ctx: RunContext) -> str:
    """The first line of every run: what actually runs, where, at which precision (an ONNX
    graph's or an engine's own, which the run's precision does not change)."""
    name = str(model) if isinstance(model, str | os.PathLike) else (model.source if model is not None else "the bundled style")
    precision: str = ctx.precision
    if isinstance(model, str | os.PathLike) and backend in ("onnxruntime", "tensorrt"):
        precision = file_precision(model, backend) or precision
    return f"model {name}, backend {backend}, device {ctx.device}, precision {precision}"


def file_precision(path: str | os.PathLike[str], backend: str) -> str | None:
    """The precision an .onnx or .engine file computes in, as the file records it."""
    if backend == "onnxruntime":
        from .onnxruntime_backend import graph_precision

        own = graph_precision(path)
        return f"{own} (the ONNX graph's own)" if own else None
    from .engine_header import read_header

    try:
        return f"{read_header(path).precision} (the engine's own)"
    except VidstyleError:
        return None  # opening the engine says what is wrong with it


def create_backend(
    name: str,
    model: StyleModel | None,
    ctx: RunContext,
    *,
    compile: bool = False,
    engine_path: str | None = None,
) -> Backend:
    if name == "torch":
        from .torch_backend import TorchBackend

        if model is None:
            raise VidstyleError("the torch backend needs a .safetensors style model")
        return TorchBackend(model.net, ctx, compile=compile, style_names=model.card.style_names)
    if name == "onnxruntime":
        from .onnxruntime_backend import OnnxRuntimeBackend

        if engine_path is None:
            raise VidstyleError("the onnxruntime backend needs an .onnx model (make one with `vidstyle export MODEL --format onnx`)")
        return OnnxRuntimeBackend(engine_path, ctx)
    if name == "tensorrt":
        from .tensorrt_backend import TensorRTBackend

        if engine_path is None:
            raise VidstyleError("the tensorrt backend needs an .engine model (make one with `vidstyle export MODEL --format engine`)")
        return TensorRTBackend.from_file(engine_path, ctx)
    raise VidstyleError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")


__all__ = ["SUFFIX_BACKENDS", "backend_for", "describe_run", "BACKEND_NAMES", "INPUT_NAME", "OUTPUT_NAME", "Backend", "BackendName", "create_backend"]
