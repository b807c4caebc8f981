"""FrameStylizer: the only code that moves pixels to and from a backend.

Host frames in, host frames out: upload, convert, resize, run the backend, and back. It is
the middle stage of `stylize` and `camera` and the whole of `vidstyle image`; sharing it is
what makes a video frame and the same picture stylized as an image bit-identical.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

import torch

from .backends import OnnxExport, RunnableModel, describe_run, open_backend, runnable_model
from .backends.base import Backend
from .closing import Closing
from .colour import fit_max_side, float_to_uint8, resize, uint8_to_float, yuv420_to_rgb
from .context import RunContext
from .frames import PixelFormat
from .staging import Staging, Ticket, staging_for
from .stylemix import StyleChoice, StyleSchedule, describe_mix, style_index

if TYPE_CHECKING:
    from .modelfile import StyleModel

log = logging.getLogger("vidstyle")

# The smallest side TransformerNet takes: its first 9x9 convolution reflection-pads by 4, and
# reflection needs more pixels than the pad. Smaller frames are padded up to it (edge pixels
# repeated) and the result cropped back, so any size from 1x1 up works.
MIN_NET_SIDE = 5

Item = TypeVar("Item")
Frames = tuple[torch.Tensor, PixelFormat, Sequence[float] | None]


@dataclass(frozen=True)
class Pending:
    """A submitted batch: its result comes back with FrameStylizer.collect."""

    ticket: Ticket
    frames: int  # the batch's own frames (a padded batch carries more)


class FrameStylizer(Closing):
    """Owns the staging buffers; one instance per stream of same-sized frames."""

    def __init__(
        self,
        backend: Backend,
        ctx: RunContext,
        *,
        max_side: int | None = None,
        matrix: Literal["bt601", "bt709"] = "bt601",
        full_range: bool = False,
        schedule: StyleSchedule | None = None,
        overlap: bool = True,
        staging: Staging | None = None,
        name: str = "style",
        announce_size: bool = False,
    ) -> None:
        self.backend = backend
        self.name = name  # the model's, for the camera's style list
        self._schedule = schedule
        self.matrix = matrix
        self.full_range = full_range
        self.ctx = ctx
        self.max_side = max_side
        # stream() collects each batch one batch later, so the device is never left idle
        # while the host waits; overlap=False collects each batch before the next goes in.
        self.overlap = overlap
        self._prepared: tuple[int, int, int, int] | None = None
        self._staging = staging if staging is not None else staging_for(ctx.device)
        # A live source's size is known only once its first frame is here; then the size the net
        # runs at is logged, as the first line does where the size is known before.
        self._announce_size = announce_size

    @classmethod
    def open(
        cls,
        model: RunnableModel | StyleModel | str | os.PathLike[str] | None,
        backend: str | None = None,
        *,
        ctx: RunContext,
        max_side: int | None = None,
        choice: StyleChoice = StyleChoice(),
        compile: bool = False,
        matrix: Literal["bt601", "bt709"] = "bt601",
        full_range: bool = False,
        overlap: bool = True,
        frame_size: tuple[int, int] | None = None,
        onnx_export: OnnxExport | None = None,
        announce_size: bool = False,
    ) -> FrameStylizer:
        """The one way from a model to a stylizer: a .safetensors file, a loaded model, an .onnx
        graph, a TensorRT engine or a RunnableModel (None: the bundled style), on the backend
        its file names (`backend` may only agree; a .safetensors model runs on the one named).
        Logs the run's first line: model, style, the size the net runs at (`frame_size`, the
        source's height and width, where one size is known; `announce_size`: else logged with the first frame),
        backend, device, precision.
        `onnx_export` turns weights asked to run on onnxruntime into a graph (backends.OnnxExport).
        close() (or a `with` block) closes the backend."""
        runnable = runnable_model(model, backend)
        opened = open_backend(runnable, ctx, compile=compile, onnx_export=onnx_export)
        try:
            names = list(opened.style_names)
            schedule = choice.resolve(names)
        except BaseException:
            opened.close()
            raise
        log.info(
            "%s",
            describe_run(
                opened,
                runnable,
                ctx,
                style=_style_label(choice, names, schedule),
                size=_size_label(max_side, frame_size),
            ),
        )
        return cls(
            opened,
            ctx,
            max_side=max_side,
            matrix=matrix,
            full_range=full_range,
            schedule=schedule,
            overlap=overlap,
            name=runnable.name,
            announce_size=announce_size and frame_size is None,
        )

    def close(self) -> None:
        self.backend.close()

    @property
    def schedule(self) -> StyleSchedule | None:
        """A multi-style net's weights over time (None for a single-style net)."""
        return self._schedule

    def use_schedule(self, schedule: StyleSchedule | None) -> None:
        """Follow these weights from the next batch submitted: the camera switches or
        cross-fades styles between frames."""
        self._schedule = schedule

    def net_size(self, height: int, width: int) -> tuple[int, int]:
        return fit_max_side(height, width, self.max_side)

    def style_weights(self, batch: int, pts_seconds: Sequence[float] | None) -> torch.Tensor | None:
        """[B, N] rows for this batch: the schedule at each frame's time (time 0 without times)."""
        schedule = self.schedule
        if schedule is None:
            return None
        times = list(pts_seconds) if pts_seconds is not None else [0.0] * batch
        return torch.stack([schedule.at(t) for t in times])

    def __call__(
        self, frames: torch.Tensor, pixel_format: PixelFormat = "rgb24", pts_seconds: Sequence[float] | None = None
    ) -> torch.Tensor:
        """uint8 frames (host: RGB NHWC, or packed I420 [N, H*3/2, W]) -> stylized uint8 RGB NHWC (host).

        `pts_seconds`, one per frame, places each frame on a style schedule.
        """
        return self.collect(self.submit(frames, pixel_format, pts_seconds))

    def submit(
        self, frames: torch.Tensor, pixel_format: PixelFormat = "rgb24", pts_seconds: Sequence[float] | None = None
    ) -> Pending:
        """Queue a batch: upload, convert, run and start its copy back; collect() waits for it."""
        count = int(frames.shape[0])
        frames, pts_seconds = self._fill_batch(frames, pts_seconds, pixel_format)
        batch, height, width = frames.shape[0], frames.shape[1], frames.shape[2]
        if pixel_format == "yuv420p":
            height = height * 2 // 3
        size = self.net_size(height, width)
        shape = (batch, 3, max(size[0], MIN_NET_SIDE), max(size[1], MIN_NET_SIDE))  # what the backend sees
        if self._prepared != shape:
            if self._announce_size:
                log.info("%s: %s", self.name, _size_label(self.max_side, (height, width)))
                self._announce_size = False
            self.backend.prepare(shape)
            self._prepared = shape
        with torch.inference_mode():
            uploaded = self._staging.upload(frames)
            # I420 travels at half the bytes of RGB and is converted where the net runs.
            images = (
                yuv420_to_rgb(uploaded, matrix=self.matrix, full_range=self.full_range)
                if pixel_format == "yuv420p"
                else uint8_to_float(uploaded)
            )
            images = resize(images, size)
            stylized = resize(
                _run_padded(self.backend, images, self.style_weights(batch, pts_seconds)), (height, width)
            )
            return Pending(self._staging.download(float_to_uint8(stylized)), count)

    def collect(self, pending: Pending) -> torch.Tensor:
        """The stylized host frames of a submitted batch."""
        return self._staging.fetch(pending.ticket)[: pending.frames]

    def stream(self, items: Iterable[Item], frames_of: Callable[[Item], Frames]) -> Iterator[tuple[Item, torch.Tensor]]:
        """(item, stylized frames) for each item, in order; each batch is collected after the
        next one has been submitted (with `overlap`), so the copies and the net overlap."""
        waiting: tuple[Item, Pending] | None = None
        for item in items:
            pending = self.submit(*frames_of(item))
            if not self.overlap:
                yield item, self.collect(pending)
                continue
            if waiting is not None:
                yield waiting[0], self.collect(waiting[1])
            waiting = (item, pending)
        if waiting is not None:
            yield waiting[0], self.collect(waiting[1])

    def _fill_batch(
        self, frames: torch.Tensor, pts_seconds: Sequence[float] | None, pixel_format: PixelFormat
    ) -> tuple[torch.Tensor, Sequence[float] | None]:
        """A short batch (a clip's last) of the prepared frame size, repeated up to the prepared
        batch when a new shape would cost the backend a compile or a graph capture."""
        prepared = self._prepared
        if not self.backend.fixed_shapes or prepared is None or frames.shape[0] >= prepared[0]:
            return frames, pts_seconds
        height = frames.shape[1] * 2 // 3 if pixel_format == "yuv420p" else frames.shape[1]
        size = self.net_size(height, frames.shape[2])
        if (max(size[0], MIN_NET_SIDE), max(size[1], MIN_NET_SIDE)) != prepared[2:]:
            return frames, pts_seconds
        extra = prepared[0] - frames.shape[0]
        filled = torch.cat([frames, frames[-1:].expand(extra, *frames.shape[1:])])
        times = None if pts_seconds is None else [*pts_seconds, *[pts_seconds[-1]] * extra]
        return filled, times


def _style_label(choice: StyleChoice, names: list[str], schedule: StyleSchedule | None) -> str:
    """The style a run starts with, as the first log line names it."""
    if choice.schedule is not None and schedule is not None:
        return f"schedule {choice.schedule}"
    if choice.mix is not None and schedule is not None:
        return describe_mix(schedule.at(0.0), names)
    return names[style_index(choice.style, names)] if choice.style is not None and len(names) > 1 else names[0]


def _size_label(max_side: int | None, frame_size: tuple[int, int] | None) -> str:
    """The size the net runs at, as the first log line names it: the one rule is the source's
    own size unless max_side limits it."""
    if frame_size is None:
        return f"size: at most {max_side} on the longer side" if max_side is not None else "size: each input's own"
    height, width = frame_size
    net_height, net_width = fit_max_side(height, width, max_side)
    return f"size {net_width}x{net_height}" + (
        "" if (net_height, net_width) == (height, width) else f" (scaled from {width}x{height})"
    )


def _run_padded(backend: Backend, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
    height, width = images.shape[-2:]
    pad_h, pad_w = max(0, MIN_NET_SIDE - height), max(0, MIN_NET_SIDE - width)
    if not (pad_h or pad_w):
        return backend.run(images, style_weights)
    padded = torch.nn.functional.pad(images, (0, pad_w, 0, pad_h), mode="replicate")
    return backend.run(padded, style_weights)[..., :height, :width]
