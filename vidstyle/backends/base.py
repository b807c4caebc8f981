"""What every inference backend is: its I/O names and its lifecycle.

A backend owns only the net. It takes and returns NCHW float RGB in [0, 1] on the
context's device; colour conversion, resizing and host transfers live outside it so
torch, onnxruntime and TensorRT all see exactly the same tensor.

Lifecycle, the same for all three: constructing a backend opens it (loads the net, the
session or the engine); close() releases all of that, and is safe to call twice; prepare()
and run() on a closed backend raise. `with open_backend(...) as backend:` closes it.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar, Literal

import torch

from ..closing import Closing
from ..errors import VidstyleError

BackendName = Literal["torch", "onnxruntime", "tensorrt"]
BACKEND_NAMES: tuple[BackendName, ...] = ("torch", "onnxruntime", "tensorrt")

# An exported file's suffix names the backend that runs it, as in ultralytics; any other
# suffix is a .safetensors model, whose weights every backend can run. Here, beside the
# backend names, so that modelfile can name an exported file without importing a backend.
EXPORTED_SUFFIXES: dict[str, tuple[BackendName, str]] = {
    ".onnx": ("onnxruntime", "ONNX model"),
    ".engine": ("tensorrt", "TensorRT engine"),
}


def exported_kind(path: str | os.PathLike[str]) -> tuple[BackendName, str] | None:
    """(backend, what it is) for an exported model file, None for a .safetensors one."""
    return EXPORTED_SUFFIXES.get(Path(path).suffix.lower())


# The exported graph's tensor names, which the ONNX exporter writes and the onnxruntime
# and TensorRT backends bind to.
INPUT_NAME = "images"
OUTPUT_NAME = "stylized"
# Multi-style graphs take a second input: [B, N] weights that mix the N styles' norm rows.
STYLE_INPUT_NAME = "style_weights"


class Backend(Closing):
    name: ClassVar[BackendName]
    _closed = False
    # The styles the loaded net holds, in row order: what --style names and --style-mix weights index.
    style_names: tuple[str, ...] = ("style",)
    # True when a new input shape costs a compile or a CUDA graph capture: callers then pad a
    # short batch (a clip's last) up to the shape they prepared instead of asking for a new one.
    fixed_shapes: bool = False

    def prepare(self, shape: tuple[int, int, int, int]) -> None:
        """Get ready for inputs of this NCHW shape (allocate buffers, build graphs, warm up)."""
        self._check_open()
        self._prepare(shape)

    def run(self, images: torch.Tensor, style_weights: torch.Tensor | None = None) -> torch.Tensor:
        """Stylize a batch: float NCHW [0, 1] in, the same shape and range out.

        `style_weights` [B, N] mixes a multi-style net's styles; single-style nets take None.
        The result may be the backend's own output buffer (TensorRT's): read it, or queue
        work that reads it on the same stream, before the next run() writes over it.
        """
        self._check_open()
        return self._run(images, style_weights)

    def close(self) -> None:
        """Release the net, session or engine and every buffer; a second call does nothing."""
        if not self._closed:
            self._closed = True
            self._release()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise VidstyleError(f"the {self.name} backend is closed")

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        """Backends with nothing to set up per shape keep this no-op."""
        del shape

    @abstractmethod
    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor: ...

    @abstractmethod
    def _release(self) -> None: ...
