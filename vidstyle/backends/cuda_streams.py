"""The few CUDA calls that order work between streams, behind one small object.

The staging buffers (vidstyle/staging.py) and the onnxruntime backend's hand-off to its
own stream only ever record events, make a stream wait for one, wait on the host for one,
copy asynchronously and allocate. Keeping those calls here, on one object, is what lets
their ordering be checked on a machine without CUDA, with a stand-in that logs the calls.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch


class StreamOps(Protocol):
    def new_stream(self) -> Any: ...
    def current_stream(self) -> Any: ...
    def new_event(self) -> Any: ...
    def stream_handle(self, stream: Any) -> int: ...
    def record(self, event: Any, stream: Any) -> None: ...
    def wait(self, stream: Any, event: Any) -> None: ...
    def synchronize(self, event: Any) -> None: ...
    def copy(self, dst: torch.Tensor, src: torch.Tensor, stream: Any) -> None: ...
    def keep_alive(self, tensor: torch.Tensor, stream: Any) -> None: ...
    def pinned(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor: ...
    def device_empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor: ...


class CudaOps:
    """StreamOps on one CUDA device, through torch.cuda."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def new_stream(self) -> torch.cuda.Stream:
        return torch.cuda.Stream(self.device)

    def current_stream(self) -> torch.cuda.Stream:
        return torch.cuda.current_stream(self.device)

    def new_event(self) -> torch.cuda.Event:
        return torch.cuda.Event()

    def stream_handle(self, stream: torch.cuda.Stream) -> int:
        return int(stream.cuda_stream)

    def record(self, event: torch.cuda.Event, stream: torch.cuda.Stream) -> None:
        event.record(stream)

    def wait(self, stream: torch.cuda.Stream, event: torch.cuda.Event) -> None:
        stream.wait_event(event)  # a never-recorded event: nothing to wait for

    def synchronize(self, event: torch.cuda.Event) -> None:
        event.synchronize()

    def copy(self, dst: torch.Tensor, src: torch.Tensor, stream: torch.cuda.Stream) -> None:
        with torch.cuda.stream(stream):
            dst.copy_(src, non_blocking=True)

    def keep_alive(self, tensor: torch.Tensor, stream: torch.cuda.Stream) -> None:
        # The caching allocator must not hand this memory out again before `stream` is done with it.
        tensor.record_stream(stream)

    def pinned(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        return torch.empty(shape, dtype=dtype, pin_memory=True)

    def device_empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        return torch.empty(shape, dtype=dtype, device=self.device)
