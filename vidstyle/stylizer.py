"""FrameStylizer: the only code that moves pixels to and from a backend.

Host frames in, host frames out: upload, convert, resize, run the backend, and back. It is
the middle stage of `stylize` and `camera` and the whole of `vidstyle image`; sharing it is
what makes a video frame and the same picture stylized as an image bit-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from .backends.base import Backend
from .context import RunContext
from .colour import fit_max_side, float_to_uint8, resize, uint8_to_float, yuv420_to_rgb
from .frames import PixelFormat
from .stylemix import StyleSchedule

# The smallest side TransformerNet takes: its first 9x9 convolution reflection-pads by 4, and
# reflection needs more pixels than the pad. Smaller frames are padded up to it (edge pixels
# repeated) and the result cropped back, so any size from 1x1 up works.
MIN_NET_SIDE = 5


class FrameStylizer:
    """Owns the pinned staging buffer; one instance per stream of same-sized frames."""

    def __init__(
        self, backend: Backend, ctx: RunContext, *, max_side: int | None = None, matrix: Literal["bt601", "bt709"] = "bt601",
        full_range: bool = False, styles: StyleSchedule | None = None,
    ) -> None:
        self.backend = backend
        # A multi-style net's weights over time (None for a single-style net). Public: the
        # camera swaps it to switch or cross-fade styles between frames.
        self.styles = styles
        self.matrix = matrix
        self.full_range = full_range
        self.ctx = ctx
        self.max_side = max_side
        self._prepared: tuple[int, int, int, int] | None = None
        self._pinned: torch.Tensor | None = None

    def net_size(self, height: int, width: int) -> tuple[int, int]:
        return fit_max_side(height, width, self.max_side)

    def _upload(self, frames: torch.Tensor) -> torch.Tensor:
        if not self.ctx.is_cuda:
            return frames
        if self._pinned is None or self._pinned.shape != frames.shape:
            self._pinned = torch.empty(frames.shape, dtype=torch.uint8, pin_memory=True)
        self._pinned.copy_(frames)
        # non_blocking from pinned memory: the copy overlaps with the previous batch's work.
        return self._pinned.to(self.ctx.device, non_blocking=True)

    def style_weights(self, batch: int, pts_seconds: Sequence[float] | None) -> torch.Tensor | None:
        """[B, N] rows for this batch: the schedule at each frame's time (time 0 without times)."""
        styles = self.styles
        if styles is None:
            return None
        times = list(pts_seconds) if pts_seconds is not None else [0.0] * batch
        return torch.stack([styles.at(t) for t in times])

    def __call__(self, frames: torch.Tensor, pixel_format: PixelFormat = "rgb24", pts_seconds: Sequence[float] | None = None) -> torch.Tensor:
        """uint8 frames (host: RGB NHWC, or packed I420 [N, H*3/2, W]) -> stylized uint8 RGB NHWC (host).

        `pts_seconds`, one per frame, places each frame on a style schedule.
        """
        batch, height, width = frames.shape[0], frames.shape[1], frames.shape[2]
        if pixel_format == "yuv420p":
            height = height * 2 // 3
        size = self.net_size(height, width)
        shape = (batch, 3, max(size[0], MIN_NET_SIDE), max(size[1], MIN_NET_SIDE))  # what the backend sees
        if self._prepared != shape:
            self.backend.prepare(shape)
            self._prepared = shape
        with torch.inference_mode():
            uploaded = self._upload(frames)
            # I420 travels at half the bytes of RGB and is converted where the net runs.
            images = yuv420_to_rgb(uploaded, matrix=self.matrix, full_range=self.full_range) if pixel_format == "yuv420p" else uint8_to_float(uploaded)
            images = resize(images, size)
            stylized = resize(_run_padded(self.backend, images, self.style_weights(batch, pts_seconds)), (height, width))
            # One device->host copy per batch; .cpu() is the only synchronisation point.
            return float_to_uint8(stylized).cpu()


def _run_padded(backend: Backend, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
    height, width = images.shape[-2:]
    pad_h, pad_w = max(0, MIN_NET_SIDE - height), max(0, MIN_NET_SIDE - width)
    if not (pad_h or pad_w):
        return backend.run(images, style_weights)
    padded = torch.nn.functional.pad(images, (0, pad_w, 0, pad_h), mode="replicate")
    return backend.run(padded, style_weights)[..., :height, :width]
