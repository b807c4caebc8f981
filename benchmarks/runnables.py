"""What each benchmark row runs from, and why a row cannot run here.

torch runs the model's weights; onnxruntime an ONNX export of them, whose precision lives in
the graph (fp32, or fp16 convolutions on CUDA); TensorRT an engine built from that export for
the row's size and batches, through the engine cache so that a second bench reuses it. A row
that cannot run becomes one "skipped: reason" note instead of ending the bench.
"""

from __future__ import annotations

from pathlib import Path

from vidstyle.backends.onnxruntime_backend import onnxruntime_cuda_problem
from vidstyle.backends.tensorrt_backend import tensorrt_available
from vidstyle.context import RunContext
from vidstyle.errors import VidstyleError
from vidstyle.modelfile import StyleModel

BACKENDS = ("torch", "onnxruntime", "tensorrt")


def backend_problem(backend: str, ctx: RunContext) -> str | None:
    """Why a backend cannot run on this device, or None."""
    if backend == "onnxruntime":
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "onnxruntime is not installed (pip install 'vidstyle[onnx]')"
        return onnxruntime_cuda_problem() if ctx.is_cuda else None
    if backend == "tensorrt":
        return None if tensorrt_available() and ctx.is_cuda else "not installed here (needs TensorRT and a CUDA GPU)"
    return None


def choose_backends(wanted: list[str], ctx: RunContext, skipped: list[str]) -> list[str]:
    """The wanted backends that can run here; the others are noted in `skipped`; none is one line."""
    unknown = [b for b in wanted if b not in BACKENDS]
    if unknown or not wanted:
        raise VidstyleError(f"unknown backend {', '.join(unknown) or '(none)'}; choose from {', '.join(BACKENDS)}")
    usable = []
    for backend in wanted:
        problem = backend_problem(backend, ctx)
        if problem is None:
            usable.append(backend)
        else:
            skipped.append(f"{backend}: {problem}")
    if not usable:
        raise VidstyleError("no backend asked for can run here: " + "; ".join(skipped))
    return usable


class ModelFiles:
    """The ONNX exports and TensorRT engines the rows need, made once per bench."""

    def __init__(self, model: StyleModel, folder: Path) -> None:
        self.model = model
        self.folder = folder
        self._graphs: dict[str, str] = {}

    def graph(self, precision: str) -> str:
        """The ONNX export for this precision: fp32, or fp16 convolutions (CUDA)."""
        if precision not in ("fp32", "fp16"):
            raise VidstyleError(f"an ONNX graph is fp32 or fp16, not {precision}")
        if precision not in self._graphs:
            from vidstyle.export.onnx import export_onnx

            path = self.folder / f"model.{precision}.onnx"
            export_onnx(self.model, path, fp16=precision == "fp16")
            self._graphs[precision] = str(path)
        return self._graphs[precision]

    def engine(self, precision: str, height: int, width: int, batch: int) -> str:
        """A TensorRT engine for frames of this size, batches 1 to `batch`, from the engine cache."""
        import tensorrt as trt
        import torch

        from vidstyle.backends.tensorrt_backend import device_identity
        from vidstyle.export.engine_cache import cached_engine

        _, capability = device_identity(torch.device("cuda"))
        # Tuned for the row's size; the small minimum takes the build's own parity check, which
        # runs the sample picture scaled to fit inside the largest shape.
        shapes = ((1, 3, 16, 16), (batch, 3, height, width), (batch, 3, height, width))
        path, _ = cached_engine(
            self.graph(precision),
            self.model,
            precision=precision,
            tensorrt_version=trt.__version__,
            compute_capability=capability,
            shapes=shapes,
        )
        return str(path)

    def runs_from(self, backend: str, precision: str, height: int, width: int, batch: int) -> str | None:
        """The file a row of this backend runs from (None: the weights themselves, torch)."""
        if backend == "onnxruntime":
            return self.graph(precision)
        if backend == "tensorrt":
            return self.engine(precision, height, width, batch)
        return None
