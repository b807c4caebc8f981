"""Inference backends behind one interface; the heavy ones are imported only when asked for.

This is the one place that matches a model to a backend: runnable_model says which backend
runs a model (a .safetensors file's weights on torch, an .onnx graph on onnxruntime, a
TensorRT engine on tensorrt) and open_backend opens it. Everything else asks these two.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..context import RunContext
from ..errors import VidstyleError
from .base import BACKEND_NAMES, EXPORTED_SUFFIXES, INPUT_NAME, OUTPUT_NAME, Backend, BackendName, exported_kind

if TYPE_CHECKING:  # not at run time: it needs safetensors, which a bare GPU check may not have
    from ..modelfile import StyleModel

# How weights asked to run on onnxruntime become an ONNX graph: export_onnx(model, path, fp16=...)
# from vidstyle.export.onnx, handed in by the caller (the CLI), because the runtime never imports
# the exporter (dependencies point one way: export/ builds on the backends).
OnnxExport = Callable[..., object]


@dataclass(frozen=True)
class RunnableModel:
    """A model with the backend that runs it, checked and ready to open: loaded weights (for
    torch, or for onnxruntime through a temporary export) or an exported file."""

    backend: BackendName
    weights: StyleModel | None = None
    exported: Path | None = None  # an .onnx graph or a TensorRT engine

    @property
    def file(self) -> Path | None:
        """The file the model came from: an input that no output may write over."""
        if self.exported is not None:
            return self.exported
        return Path(self.weights.source) if self.weights is not None and self.weights.source else None

    @property
    def name(self) -> str:
        return self.file.stem if self.file is not None else "style"

    @property
    def style_names(self) -> list[str] | None:
        """The styles, where known before opening (a loaded model's card); else the backend says."""
        return self.weights.card.style_names if self.weights is not None else None


def model_file(model: RunnableModel | StyleModel | str | os.PathLike[str] | None) -> Path | None:
    """The file a model argument names, before it is loaded: an input no output may write over."""
    if isinstance(model, str | os.PathLike):
        return Path(model)
    return model.file if isinstance(model, RunnableModel) else None


def runnable_model(
    model: RunnableModel | StyleModel | str | os.PathLike[str] | None, backend: str | None = None
) -> RunnableModel:
    """The model and the backend that runs it (None: the bundled style on torch). An exported
    file names its backend, and a backend named as well must agree; a .safetensors model runs
    on the backend named, torch by default. Loads the weights: a bad file fails here, once."""
    if backend is not None and backend not in BACKEND_NAMES:
        raise VidstyleError(f"unknown backend {backend!r}; choose one of {', '.join(BACKEND_NAMES)}")
    if isinstance(model, RunnableModel):
        if backend is not None and backend != model.backend:
            raise VidstyleError(f"{model.name} is opened for {model.backend}; it cannot run on the {backend} backend")
        return model
    if isinstance(model, str | os.PathLike) and (kind := exported_kind(model)) is not None:
        from ..modelfile import check_model_file

        implied, what = kind
        if backend is not None and backend != implied:
            raise VidstyleError(
                f"{Path(model).name} is an exported {what} and runs on {implied}; "
                f"it cannot run on the {backend} backend"
            )
        return RunnableModel(implied, exported=check_model_file(Path(model)))
    if backend == "tensorrt":
        raise VidstyleError(
            "the tensorrt backend runs an .engine model; make one with `vidstyle export MODEL --format engine`"
        )
    from ..modelfile import StyleModel, load_model

    weights = model if isinstance(model, StyleModel) else load_model(model)
    return RunnableModel(cast(BackendName, backend or "torch"), weights=weights)


def open_backend(
    model: RunnableModel | StyleModel | str | os.PathLike[str] | None,
    ctx: RunContext,
    *,
    backend: str | None = None,
    compile: bool = False,
    onnx_export: OnnxExport | None = None,
) -> Backend:
    """Open `model` on its backend (runnable_model decides which). Weights asked for on
    onnxruntime are exported with `onnx_export` to a temporary ONNX graph, removed once the
    session has read it."""
    runnable = runnable_model(model, backend)
    if runnable.backend == "torch":
        from .torch_backend import TorchBackend

        assert runnable.weights is not None
        return TorchBackend(runnable.weights.net, ctx, compile=compile, style_names=runnable.weights.card.style_names)
    if runnable.backend == "tensorrt":
        from .tensorrt_backend import TensorRTBackend

        assert runnable.exported is not None
        return TensorRTBackend.from_file(runnable.exported, ctx)
    from .onnxruntime_backend import OnnxRuntimeBackend

    with _onnx_file(runnable, ctx, onnx_export) as path:
        return OnnxRuntimeBackend(path, ctx)


@contextlib.contextmanager
def _onnx_file(runnable: RunnableModel, ctx: RunContext, onnx_export: OnnxExport | None) -> Iterator[Path]:
    if runnable.exported is not None:
        yield runnable.exported
        return
    assert runnable.weights is not None
    if onnx_export is None:
        raise VidstyleError(
            f"the onnxruntime backend runs an .onnx model; export {runnable.name} to ONNX first (vidstyle export)"
        )
    fp16 = ctx.precision == "fp16"  # fp16 convs in the graph; bf16 has no ONNX form here
    logging.getLogger("vidstyle").info(
        "exporting %s to a temporary %s ONNX graph for onnxruntime", runnable.name, "fp16" if fp16 else "fp32"
    )
    with tempfile.TemporaryDirectory(prefix="vidstyle-") as tmp:
        path = Path(tmp) / f"{runnable.name}.onnx"
        onnx_export(runnable.weights, path, fp16=fp16)
        yield path


def describe_run(backend: Backend, runnable: RunnableModel, ctx: RunContext, *, style: str, size: str) -> str:
    """The first line of every run: what actually runs, which style, at which size, where, at
    which precision (an ONNX graph's or an engine's own, which the run's precision does not change)."""
    name = str(runnable.file) if runnable.file is not None else "the bundled style"
    precision: str = ctx.precision
    if runnable.exported is not None:
        precision = file_precision(runnable.exported, runnable.backend) or precision
    elif runnable.backend == "onnxruntime":
        precision = "fp16 (exported for this run)" if ctx.precision == "fp16" else "fp32 (exported for this run)"
    return f"model {name}, style {style}, {size}, backend {backend.name}, device {ctx.device}, precision {precision}"


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


__all__ = [
    "BACKEND_NAMES",
    "EXPORTED_SUFFIXES",
    "INPUT_NAME",
    "OUTPUT_NAME",
    "Backend",
    "BackendName",
    "OnnxExport",
    "RunnableModel",
    "describe_run",
    "exported_kind",
    "model_file",
    "open_backend",
    "runnable_model",
]
