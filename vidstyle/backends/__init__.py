"""Inference backends behind one interface; the heavy ones are imported only when asked for."""

from __future__ import annotations

from ..context import RunContext
from ..errors import VidstyleError
from ..modelfile import StyleModel
from .base import BACKEND_NAMES, INPUT_NAME, OUTPUT_NAME, Backend, BackendName


def create_backend(
    name: str,
    model: StyleModel,
    ctx: RunContext,
    *,
    compile: bool = False,
    engine_path: str | None = None,
) -> Backend:
    if name == "torch":
        from .torch_backend import TorchBackend

        return TorchBackend(model.net, ctx, compile=compile)
    if name == "onnxruntime":
        from .onnxruntime_backend import OnnxRuntimeBackend

        if engine_path is None:
            raise VidstyleError("--backend onnxruntime needs an ONNX file: pass --engine PATH (make one with `vidstyle export MODEL --format onnx`)")
        return OnnxRuntimeBackend(engine_path, ctx)
    if name == "tensorrt":
        from .tensorrt_backend import TensorRTBackend

        if engine_path is None:
            raise VidstyleError("--backend tensorrt needs an engine: pass --engine PATH (make one with `vidstyle export MODEL --format engine`)")
        return TensorRTBackend.from_file(engine_path, ctx)
    raise VidstyleError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")


__all__ = ["BACKEND_NAMES", "INPUT_NAME", "OUTPUT_NAME", "Backend", "BackendName", "create_backend"]
