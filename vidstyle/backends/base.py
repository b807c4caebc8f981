"""The one interface every inference backend implements.

A backend owns only the net. It takes and returns NCHW float RGB in [0, 1] on the
context's device; colour conversion, resizing and host transfers live outside it so
torch, onnxruntime and TensorRT all see exactly the same tensor.
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

import torch

BackendName = Literal["torch", "onnxruntime", "tensorrt"]
BACKEND_NAMES: tuple[BackendName, ...] = ("torch", "onnxruntime", "tensorrt")


@runtime_checkable
class Backend(Protocol):
    name: str

    def prepare(self, shape: tuple[int, int, int, int]) -> None:
        """Get ready for inputs of this NCHW shape (allocate buffers, build graphs, warm up)."""

    def run(self, images: torch.Tensor) -> torch.Tensor:
        """Stylize a batch: float NCHW [0, 1] in, the same shape and range out."""

    def close(self) -> None:
        """Release sessions, engines and buffers."""


class BackendBase:
    """Context-manager plumbing shared by the concrete backends (Polygraphy-style runners)."""

    name = "base"

    def run(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def prepare(self, shape: tuple[int, int, int, int]) -> None:
        del shape

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
