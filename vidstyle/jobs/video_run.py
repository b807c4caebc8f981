"""The two steps of a video run after plan_video: open_video opens the stylizer and a writer
into a hidden temp file; run_video drives decode -> stylize -> encode through the pipeline."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import torch

from ..atomic import Interrupted, atomic_output
from ..colour import i420_to_rgb_host
from ..errors import MediaError
from ..frames import FrameBatch, PixelFormat
from ..media.decode import DecodeStats, read_batches
from ..media.encode import VideoWriter
from ..pipeline import Streamed, run_pipeline
from ..progress import progress_bar
from ..stylizer import FrameStylizer
from ..temporal import TemporalBlender
from .video_plan import VideoPlan


@dataclass
class VideoSession:
    """What open_video opened; run_video closes the writer, open_video's block the rest."""

    stylizer: FrameStylizer
    writer: VideoWriter
    blender: TemporalBlender | None


class StoppedEarly(Interrupted):
    """A caller's stop: the temp file is kept as a partial file with keep_partial, else discarded;
    no error is reported either way."""


@contextlib.contextmanager
def open_video(plan: VideoPlan, notes: list[str]) -> Iterator[VideoSession]:
    """Open the stylizer and a writer into a hidden temp file beside the output; when the block
    ends without an error the file is moved into place (with keep_partial, an interruption
    keeps it too, never over an existing file)."""
    matrix: Literal["bt601", "bt709"] = "bt709" if plan.info.colorspace == "bt709" else "bt601"
    runtime = plan.options.runtime
    # Before the temp file: a bad style name leaves nothing behind.
    with FrameStylizer.open(
        plan.model,
        ctx=plan.ctx,
        max_side=runtime.max_side,
        choice=plan.options.choice,
        compile=runtime.compile,
        matrix=matrix,
        full_range=plan.info.full_range,
        frame_size=(plan.info.height, plan.info.width),
        onnx_export=runtime.onnx_export,
    ) as stylizer:
        with atomic_output(plan.output, overwrite=plan.overwrite, keep_partial=plan.keep_partial) as tmp:
            writer = VideoWriter(
                tmp, plan.encode, carry_from=plan.input, audio=plan.options.encode.audio, trim=plan.options.trim
            )
            if writer.padded:
                notes.append(
                    f"size {plan.info.width}x{plan.info.height} is odd; "
                    f"{writer.pix_fmt} needs even sizes, so the last row/column is repeated"
                )
            if writer.audio_action:
                notes.append(writer.audio_action)
            if writer.dropped:  # one line, so that no stream is lost silently
                notes.append(f"not carried over: {', '.join(writer.dropped)}")
            blend = plan.options.temporal_blend
            yield VideoSession(stylizer=stylizer, writer=writer, blender=TemporalBlender(blend) if blend > 0 else None)


def run_video(
    plan: VideoPlan,
    session: VideoSession,
    stats: DecodeStats,
    *,
    progress: bool = True,
    on_batch: Callable[[FrameBatch], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Decode -> stylize -> encode until the input ends; StoppedEarly when `stop` ended it early.

    The writer is always closed here: completely on success, up to the last frame written
    on an error or a stop, so a kept partial file plays.
    """
    writer = session.writer
    info, trim = plan.info, plan.options.trim
    total = trim.frames_kept(
        frame_count=info.frame_count,
        rate_fps=float(info.average_rate) if info.average_rate else None,
        duration_seconds=info.duration_seconds,
    )
    bar = progress_bar(total=total, enabled=progress, unit="frame", desc=plan.input.name)

    first_seconds: float | None = None  # a style schedule runs on the output's clock: 0s is its first frame

    def frames_of(frames: FrameBatch) -> tuple[torch.Tensor, PixelFormat, list[float]]:
        nonlocal first_seconds
        if first_seconds is None:
            first_seconds = frames.pts_seconds[0]
        return frames.data, frames.pixel_format, [t - first_seconds for t in frames.pts_seconds]

    def transform(batches: Iterator[FrameBatch]) -> Iterator[FrameBatch]:
        # Each batch comes back after the next one is queued, so the device never waits on the host.
        for frames, stylized in session.stylizer.stream(batches, frames_of):
            if session.blender is not None:  # runs in the one transform thread, so frames stay in order
                sources = (
                    frames.data.numpy() if frames.pixel_format == "rgb24" else i420_to_rgb_host(frames.data.numpy())
                )
                stylized = torch.from_numpy(session.blender.blend_batch(sources, stylized.numpy()))
            yield frames.with_data(stylized)

    def sink(frames: FrameBatch) -> None:
        writer.write(frames)
        bar.update(len(frames))
        if on_batch is not None:
            on_batch(frames)

    runtime = plan.options.runtime
    source = read_batches(
        plan.input, runtime.batch, stats, pixel_format=plan.pixel_format, max_side=runtime.max_side, trim=trim
    )
    try:
        stopped = run_pipeline(source, Streamed(transform), sink, stop=stop).stopped
    except BaseException:
        with contextlib.suppress(Exception):  # the original error is the one to report
            writer.close(complete=False)
        raise
    finally:
        bar.close()
    writer.close(complete=not stopped)
    if stopped:
        raise StoppedEarly
    if writer.frames_written == 0:
        seen = stats.last_seen_seconds
        if trim.start_seconds > 0 and seen is not None and seen < trim.start_seconds:
            raise MediaError(
                f"start {trim.start_seconds:g} s is past the last frame of {plan.input.name} (at {seen:.2f} s)"
            )
        raise MediaError(f"no frames could be decoded from {plan.input}")
