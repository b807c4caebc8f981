"""A stand-in for CUDA streams and events (vidstyle.backends.cuda_streams.StreamOps) on the CPU,
so the ordering of copies, events and hand-offs can be checked without a GPU (the issue asks
for these fakes)."""

from __future__ import annotations

from typing import Any

import torch


class FakeOps:
    """StreamOps on the CPU: copies happen at once; every call is logged by name."""

    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.allocated: list[tuple[str, tuple[int, ...]]] = []
        self.streams = 0
        self.events = 0

    def new_stream(self) -> str:
        self.streams += 1
        return f"stream{self.streams}"

    def current_stream(self) -> str:
        return "compute"

    def new_event(self) -> str:
        self.events += 1
        return f"event{self.events}"

    def stream_handle(self, stream: Any) -> int:
        return 1000 + int(stream.removeprefix("stream")) if stream.startswith("stream") else 0

    def record(self, event: str, stream: str) -> None:
        self.log.append(("record", event, stream))

    def wait(self, stream: str, event: str) -> None:
        self.log.append(("wait", stream, event))

    def synchronize(self, event: str) -> None:
        self.log.append(("sync", event))

    def copy(self, dst: torch.Tensor, src: torch.Tensor, stream: str) -> None:
        dst.copy_(src)
        self.log.append(("copy", stream, dst.data_ptr()))

    def keep_alive(self, tensor: torch.Tensor, stream: str) -> None:
        self.log.append(("keep", stream))

    def pinned(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        self.allocated.append(("pinned", shape))
        return torch.zeros(shape, dtype=dtype)

    def device_empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        self.allocated.append(("device", shape))
        return torch.zeros(shape, dtype=dtype)
