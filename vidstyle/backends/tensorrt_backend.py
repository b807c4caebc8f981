"""TensorRT inference on torch-allocated buffers, on torch's current stream.

Only the name-based tensor API (set_input_shape, set_tensor_address, execute_async_v3) is
used. Each prepared shape is captured in a CUDA graph and replayed (one launch per batch
instead of one per layer); the graph reads a fixed input buffer, so a batch is copied into
it, and its result is the engine's own output buffer, handed out without a copy (valid
until the next run, as Backend.run says). Without a graph the input is bound where it lies.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..context import RunContext
from ..errors import VidstyleError
from .base import INPUT_NAME, OUTPUT_NAME, STYLE_INPUT_NAME, Backend
from .engine_header import EngineHeader, check_header, profile_message, read_engine, shape_in_profile

if TYPE_CHECKING:
    import tensorrt as trt


def require_tensorrt(*, instead: str = "use the torch or onnxruntime backend") -> None:
    """Raise a clear error unless the real TensorRT imports (tensorrt-stubs alone is an empty namespace).

    Callers then `import tensorrt as trt` themselves, so mypy checks every call against the stubs.
    """
    try:
        import tensorrt
    except ImportError:
        tensorrt = None  # type: ignore[assignment]
    if tensorrt is None or not hasattr(tensorrt, "Runtime"):
        raise VidstyleError(
            "TensorRT is not installed here; install it with pip install 'vidstyle[gpu]' on a CUDA machine, "
            f"or {instead}"
        )


def tensorrt_available() -> bool:
    try:
        require_tensorrt()
    except VidstyleError:
        return False
    return torch.cuda.is_available()


def device_identity(device: torch.device) -> tuple[str, str]:
    major, minor = torch.cuda.get_device_capability(device)
    return torch.cuda.get_device_name(device), f"{major}.{minor}"


class TensorRTBackend(Backend):
    name = "tensorrt"

    def __init__(
        self,
        header: EngineHeader,
        plan: bytes,
        ctx: RunContext,
        *,
        path: str = "engine",
        cuda_graph: bool = True,
        onnx_sha256: str | None = None,
        precision: str | None = None,
    ) -> None:
        """`onnx_sha256` and `precision`, when given, must be what the engine was built from."""
        if not ctx.is_cuda:
            raise VidstyleError("the tensorrt backend needs a CUDA device")
        require_tensorrt()
        import tensorrt as trt

        gpu_name, capability = device_identity(ctx.device)
        check_header(
            header,
            path=path,
            tensorrt_version=trt.__version__,
            gpu_name=gpu_name,
            compute_capability=capability,
            onnx_sha256=onnx_sha256,
            precision=precision,
        )
        self.header = header
        self.ctx = ctx
        self.style_names = header.style_names or (Path(header.source_model).stem or "style",)
        self.logger: trt.ILogger = trt.Logger(trt.Logger.WARNING)
        self.runtime: trt.Runtime = trt.Runtime(self.logger)
        self.engine: trt.ICudaEngine = self.runtime.deserialize_cuda_engine(plan)
        if self.engine is None:
            raise VidstyleError(
                f"TensorRT could not deserialize {path}; rebuild it with "
                f"`vidstyle export {header.source_model or 'MODEL'} --format engine`"
            )
        self.context: trt.IExecutionContext = self.engine.create_execution_context()
        self.cuda_graph = cuda_graph
        # A captured graph is one shape: a short batch is filled up to it (FrameStylizer).
        self.fixed_shapes = cuda_graph
        self._shape: tuple[int, int, int, int] | None = None
        self._input: torch.Tensor | None = None
        self._output: torch.Tensor | None = None
        self._styles: torch.Tensor | None = None
        self._graph: torch.cuda.CUDAGraph | None = None
        self._bound: torch.Tensor | None = None

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        ctx: RunContext,
        *,
        cuda_graph: bool = True,
        onnx_sha256: str | None = None,
        precision: str | None = None,
    ) -> TensorRTBackend:
        header, plan = read_engine(path)
        return cls(
            header, plan, ctx, path=str(path), cuda_graph=cuda_graph, onnx_sha256=onnx_sha256, precision=precision
        )

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        if not shape_in_profile(shape, self.header):
            raise VidstyleError(profile_message(shape, self.header))
        if not self.context.set_input_shape(INPUT_NAME, list(shape)):
            raise VidstyleError(profile_message(shape, self.header))
        self._shape = shape
        # Buffers belong to this runner and are reused for every batch of this shape.
        self._input = torch.empty(shape, device=self.ctx.device, dtype=torch.float32)
        self._output = torch.empty(shape, device=self.ctx.device, dtype=torch.float32)
        self.context.set_tensor_address(INPUT_NAME, self._input.data_ptr())
        self.context.set_tensor_address(OUTPUT_NAME, self._output.data_ptr())
        if self.header.style_count > 1:
            # Uniform until the first batch copies its own weights in (a captured graph reads this buffer).
            self._styles = torch.full(
                (shape[0], self.header.style_count), 1.0 / self.header.style_count, device=self.ctx.device
            )
            if not self.context.set_input_shape(STYLE_INPUT_NAME, list(self._styles.shape)):
                # The engine's style profile follows the image batch; a mismatch means the engine was built otherwise.
                raise VidstyleError(
                    f"this TensorRT engine does not take style weights of shape {list(self._styles.shape)}; "
                    f"rebuild it with `vidstyle export {self.header.source_model or 'MODEL'} --format engine`"
                )
            self.context.set_tensor_address(STYLE_INPUT_NAME, self._styles.data_ptr())
        self._graph = None
        self._enqueue()  # first run does TensorRT's lazy setup outside any graph capture
        if self.cuda_graph:
            graph = torch.cuda.CUDAGraph()
            try:
                with torch.cuda.graph(graph):
                    self._enqueue()
            except RuntimeError as exc:  # some plans hold work a graph cannot capture: run them launch by launch
                logging.getLogger("vidstyle").warning(
                    "TensorRT: no CUDA graph for this engine (%s); running without one", str(exc).splitlines()[0][:200]
                )
                self.cuda_graph = self.fixed_shapes = False
                torch.cuda.synchronize(self.ctx.device)
            else:
                self._graph = graph

    def _enqueue(self) -> None:
        stream = torch.cuda.current_stream(self.ctx.device)
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise VidstyleError("TensorRT execute_async_v3 failed")

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        count = self.header.style_count
        if count == 1 and style_weights is not None:
            raise VidstyleError("this TensorRT engine holds one style and takes no style weights")
        if count > 1 and (style_weights is None or tuple(style_weights.shape) != (images.shape[0], count)):
            raise VidstyleError(
                f"this TensorRT engine holds {count} styles; pass style weights of shape [{images.shape[0]}, {count}]"
            )
        shape = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        if shape != self._shape:
            self._prepare(shape)
        assert self._input is not None and self._output is not None
        if self._styles is not None and style_weights is not None:
            self._styles.copy_(style_weights, non_blocking=True)
        if self._graph is not None:
            self._input.copy_(images, non_blocking=True)  # the graph reads this one buffer
            self._graph.replay()
        else:
            # Bound where it lies; torch's allocator will not reuse it before this stream's work is done.
            self._bound = images.detach().float().contiguous()
            self.context.set_tensor_address(INPUT_NAME, self._bound.data_ptr())
            self._enqueue()
        return self._output

    def _release(self) -> None:
        # Graph and buffers before the context, the context before the engine and runtime.
        self._graph = None
        self._input = self._output = self._styles = self._bound = None
        del self.context, self.engine, self.runtime
