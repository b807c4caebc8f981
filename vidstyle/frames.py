"""What crosses a stage boundary: FrameBatch for files, Frame for the live camera.

Frames travel as uint8 RGB, NHWC, because that is what the decoder hands over and what
the encoder takes; conversion to the net's NCHW float happens once, on the device.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import torch

if TYPE_CHECKING:  # only the live Frame's annotations: the file path needs torch alone
    import numpy as np

__all__ = ["Frame", "FrameBatch", "PixelFormat"]

PixelFormat = Literal["rgb24", "yuv420p"]


@dataclass(frozen=True, repr=False)
class FrameBatch:
    """N frames of one stream, with pts in `time_base` units.

    `data` is uint8: RGB [N, H, W, 3] for "rgb24", or packed I420 planes [N, H*3/2, W]
    for "yuv420p" (half the bytes to upload; converted to RGB on the device).
    """

    data: torch.Tensor
    pts: tuple[int, ...]
    time_base: Fraction
    first_index: int = 0
    pixel_format: PixelFormat = "rgb24"

    def __post_init__(self) -> None:
        if self.data.dtype != torch.uint8:
            raise ValueError(f"FrameBatch.data must be uint8, got {self.data.dtype}")
        if self.pixel_format == "rgb24" and (self.data.ndim != 4 or self.data.shape[-1] != 3):
            raise ValueError(f"rgb24 FrameBatch.data must be [N, H, W, 3], got {tuple(self.data.shape)}")
        if self.pixel_format == "yuv420p" and (self.data.ndim != 3 or self.data.shape[1] % 3 or self.data.shape[2] % 2):
            raise ValueError(
                f"yuv420p FrameBatch.data must be [N, H*3/2, W] with even H and W, got {tuple(self.data.shape)}"
            )
        if len(self.pts) != self.data.shape[0]:
            raise ValueError(f"FrameBatch has {self.data.shape[0]} frames but {len(self.pts)} pts")
        if self.time_base <= 0:
            raise ValueError(f"FrameBatch.time_base must be positive, got {self.time_base}")

    def __repr__(self) -> str:
        # A batch holds megabytes of pixels; a log line or a failing assert wants its shape.
        return (
            f"FrameBatch({len(self)} x {self.width}x{self.height} {self.pixel_format}, "
            f"frames {self.first_index}..{self.first_index + len(self) - 1}, time_base={self.time_base})"
        )

    def __len__(self) -> int:
        return int(self.data.shape[0])

    @property
    def nbytes(self) -> int:
        """What the pixels take in memory: the pipeline bounds its queues by it."""
        return int(self.data.numel() * self.data.element_size())

    def __getitem__(self, frames: slice) -> FrameBatch:
        """A batch of consecutive frames of this one, keeping their pts and indices."""
        if not isinstance(frames, slice) or frames.step not in (None, 1):
            raise TypeError("FrameBatch takes a slice of consecutive frames, like batch[2:5]")
        start, stop, _ = frames.indices(len(self))
        stop = max(start, stop)
        return FrameBatch(
            self.data[start:stop], self.pts[start:stop], self.time_base, self.first_index + start, self.pixel_format
        )

    @property
    def height(self) -> int:
        return int(self.data.shape[1]) if self.pixel_format == "rgb24" else int(self.data.shape[1]) * 2 // 3

    @property
    def width(self) -> int:
        return int(self.data.shape[2])

    @property
    def pts_seconds(self) -> tuple[float, ...]:
        return tuple(float(p * self.time_base) for p in self.pts)

    def with_data(self, data: torch.Tensor, pixel_format: PixelFormat = "rgb24") -> FrameBatch:
        return FrameBatch(
            data=data, pts=self.pts, time_base=self.time_base, first_index=self.first_index, pixel_format=pixel_format
        )


@dataclass(frozen=True, repr=False, eq=False)  # eq on pixel arrays has no one answer
class Frame:
    """One live frame: the camera works a frame at a time, timed from capture to display.

    Frozen: the capture thread, the inference stage and the display each hold it in turn, and
    the stage hands on a new one (stylized_with) rather than changing the one it was given.
    """

    pixels: np.ndarray  # uint8 RGB [H, W, 3]
    captured_seconds: float  # time.perf_counter() at capture
    index: int
    stylized: np.ndarray | None = None
    style_label: str = ""  # the style (or mix) it was stylized with, as the window shows it
    source_seconds: float | None = None  # a file's own timestamp: a recording keeps the file's timing

    def stylized_with(self, stylized: np.ndarray, style_label: str) -> Frame:
        """This frame with its stylized pixels and the style (or mix) that made them."""
        return replace(self, stylized=stylized, style_label=style_label)

    def __repr__(self) -> str:
        height, width = self.pixels.shape[:2]
        done = "stylized" if self.stylized is not None else "not stylized"
        style = f", {self.style_label}" if self.style_label else ""
        return f"Frame(#{self.index} {width}x{height}, {done}{style})"
