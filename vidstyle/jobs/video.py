"""`vidstyle stylize` as a library call: a video file in, a stylized file out, everything else
(timestamps, audio, rotation) kept. Three steps: plan_video checks everything before anything is
opened or written; open_video opens the backend, the stylizer and a writer into a hidden temp file;
run_video drives the pipeline and reports. stylize_video does all three.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal

import torch

from ..atomic import Interrupted, atomic_output, check_output_path, partial_path_for
from ..backends import SUFFIX_BACKENDS, backend_for, create_backend, describe_run
from ..colour import i420_to_rgb_host
from ..context import RunContext, resolve_context
from ..errors import MediaError
from ..frames import FrameBatch, PixelFormat
from ..media.decode import DecodeStats, read_batches
from ..media.codecs import choose_codec, encoder_options
from ..media.encode import VideoWriter
from ..media.options import EncodeOptions, Trim
from ..media.probe import VideoInfo, probe
from ..modelfile import StyleModel, load_model
from ..pipeline import Streamed, run_pipeline
from ..progress import progress_bar
from .notes import decode_notes
from ..stylemix import StyleChoice
from ..stylizer import FrameStylizer
from ..temporal import TemporalBlender

log = logging.getLogger("vidstyle")


@dataclass
class VideoResult:
    output: Path
    frames: int
    seconds: float
    corrupt_packets: int
    audio: str
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class VideoPlan:
    """Everything a run needs, checked: the input is readable, the output writable, the codec here."""

    input: Path
    output: Path
    info: VideoInfo
    model: StyleModel | None  # None when the model file is an ONNX graph or an engine (`engine`)
    ctx: RunContext
    backend: str
    engine: str | None
    compile: bool
    batch: int
    max_side: int | None
    encode: EncodeOptions
    audio: bool  # carry the input's audio tracks (its subtitles are carried where the container holds them)
    pixel_format: PixelFormat
    temporal_blend: float
    keep_partial: bool
    trim: Trim = Trim()
    styles: StyleChoice = StyleChoice()


@dataclass
class VideoSession:
    """What open_video opened; run_video closes the writer, open_video's block the rest."""

    stylizer: FrameStylizer
    writer: VideoWriter
    blender: TemporalBlender | None


class _StoppedEarly(Interrupted):
    """A caller's stop: the temp file is kept as a partial file with keep_partial, else discarded;
    no error is reported either way."""


def stylize_video(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    model: StyleModel | str | os.PathLike[str] | None = None,
    backend: str | None = None,
    engine: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    batch: int = 4,
    max_side: int | None = None,
    codec: str | None = None,
    crf: int | None = None,
    preset: str | None = None,
    pix_fmt: str | None = None,
    keep_partial: bool = False,
    overwrite: bool = True,
    compile: bool = False,
    audio: bool = True,
    temporal_blend: float = 0.0,
    colour_convert: Literal["host", "device"] = "host",
    trim: Trim = Trim(),
    style: str | int | None = None,
    style_mix: str | None = None,
    style_schedule: str | None = None,
    progress: bool = True,
    on_batch: Callable[[FrameBatch], None] | None = None,
    stop: threading.Event | None = None,
) -> VideoResult:
    """Stylize `input` into `output`. Nothing appears at `output` unless the run succeeds.
    Interrupted with keep_partial (Ctrl-C or `stop`), a playable file of the frames done is
    kept: at `output` when that did not exist, else beside it (atomic.partial_path_for).
    The input is never written over; an existing output only with `overwrite`.

    `stop`, set from another thread, ends the run early: the result says interrupted.
    A multi-style model runs `style` (a name or index; default its first), a `style_mix` such
    as "starry:0.7,candy:0.3", or a `style_schedule` such as "0s:candy,4s:starry".
    """
    plan = plan_video(
        input, output, model=model, backend=backend, engine=engine, device=device, precision=precision, batch=batch,
        max_side=max_side, codec=codec, crf=crf, preset=preset, pix_fmt=pix_fmt, keep_partial=keep_partial,
        overwrite=overwrite, trim=trim, compile=compile, audio=audio, temporal_blend=temporal_blend, colour_convert=colour_convert,
        styles=StyleChoice.of(style, style_mix, style_schedule),
    )
    log.info("%s", describe_run(plan.model or plan.engine, plan.backend, plan.ctx))
    started = time.perf_counter()
    stats = DecodeStats()
    notes: list[str] = []
    audio_note = "audio: none in the input"
    written = partial_path_for(plan.output) if plan.keep_partial else plan.output
    frames = 0
    try:
        with open_video(plan, notes) as session:
            audio_note = session.writer.audio_action or audio_note
            try:
                stopped = run_video(plan, session, stats, progress=progress, on_batch=on_batch, stop=stop)
            finally:
                frames = session.writer.frames_written  # decoded frames may be ahead of it on a stop
        written = plan.output
    except _StoppedEarly:
        stopped = True
    if not stopped and plan.trim == Trim():  # a stop or a trim leaves frames undecoded on purpose: no truncation
        notes += decode_notes(stats, plan.info)
    return VideoResult(
        output=written, frames=frames, seconds=time.perf_counter() - started, corrupt_packets=stats.corrupt_packets,
        audio=audio_note, notes=notes, interrupted=stopped,
    )


def plan_video(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    model: StyleModel | str | os.PathLike[str] | None,
    backend: str | None,
    engine: str | None,
    device: str,
    precision: str,
    batch: int,
    max_side: int | None,
    codec: str | None,
    crf: int | None,
    preset: str | None,
    pix_fmt: str | None,
    keep_partial: bool,
    overwrite: bool = True,
    trim: Trim = Trim(),
    styles: StyleChoice = StyleChoice(),
    compile: bool,
    audio: bool,
    temporal_blend: float,
    colour_convert: Literal["host", "device"],
) -> VideoPlan:
    """Every check that can fail, before anything is opened or written."""
    if batch < 1:
        raise MediaError(f"batch must be at least 1, got {batch}")
    if not 0.0 <= temporal_blend < 1.0:
        raise MediaError(f"temporal blend must be in [0, 1), got {temporal_blend}")
    backend = backend_for(model, backend)
    model_path: str | os.PathLike[str] | None = None if isinstance(model, StyleModel) else model
    if model_path is not None and Path(model_path).suffix.lower() in SUFFIX_BACKENDS:
        engine, model = str(model_path), None
    info = probe(input)
    if info.duration_seconds is not None and trim.start_seconds >= info.duration_seconds:
        raise MediaError(f"start {trim.start_seconds:g} s is past the end of {Path(input).name} ({info.duration_seconds:.1f} s long)")
    check_output_path(output, inputs=[input, model_path, engine], overwrite=overwrite)
    # None: the container's own (VP9 for WebM, H.264 for the rest), and that codec's crf/preset.
    codec = choose_codec(Path(output), codec)
    crf, preset = encoder_options(codec, crf, preset)
    encode = EncodeOptions(
        width=info.width, height=info.height, time_base=info.time_base, rate_fps=info.average_rate or Fraction(25),
        rotation_degrees=info.rotation_degrees, codec=codec, crf=crf, preset=preset, pix_fmt=pix_fmt,
    )
    # Device conversion reads I420 planes, which need even sizes; odd ones convert on the host.
    even = info.width % 2 == 0 and info.height % 2 == 0
    return VideoPlan(
        input=Path(input), output=Path(output), info=info,
        model=model if isinstance(model, StyleModel) else (load_model(model) if backend == "torch" else None), ctx=resolve_context(device, precision),
        backend=backend, engine=engine, compile=compile, batch=batch, max_side=max_side, encode=encode,
        audio=audio,
        pixel_format="yuv420p" if colour_convert == "device" and even else "rgb24",
        temporal_blend=temporal_blend, keep_partial=keep_partial, trim=trim, styles=styles,
    )


@contextlib.contextmanager
def open_video(plan: VideoPlan, notes: list[str]) -> Iterator[VideoSession]:
    """Open the backend and a writer into a hidden temp file beside the output; when the block
    ends without an error the file is moved into place (with keep_partial, an interruption
    keeps it too, never over an existing file)."""
    with create_backend(plan.backend, plan.model, plan.ctx, compile=plan.compile, engine_path=plan.engine) as backend:
        matrix: Literal["bt601", "bt709"] = "bt709" if plan.info.colorspace == "bt709" else "bt601"
        styles = plan.styles.resolve(list(backend.style_names))  # before the temp file: a bad name leaves nothing
        stylizer = FrameStylizer(backend, plan.ctx, max_side=plan.max_side, matrix=matrix, full_range=plan.info.full_range, styles=styles)
        with atomic_output(plan.output, inputs=[plan.input], keep_partial=plan.keep_partial) as tmp:
            writer = VideoWriter(tmp, plan.encode, carry_from=plan.input, audio=plan.audio, trim=plan.trim)
            if writer.padded:
                notes.append(f"size {plan.info.width}x{plan.info.height} is odd; {writer.pix_fmt} needs even sizes, so the last row/column is repeated")
            if writer.audio_action:
                notes.append(writer.audio_action)
            if writer.dropped:  # one line, so that no stream is lost silently
                notes.append(f"not carried over: {', '.join(writer.dropped)}")
            blender = TemporalBlender(plan.temporal_blend) if plan.temporal_blend > 0 else None
            yield VideoSession(stylizer=stylizer, writer=writer, blender=blender)


def run_video(
    plan: VideoPlan,
    session: VideoSession,
    stats: DecodeStats,
    *,
    progress: bool = True,
    on_batch: Callable[[FrameBatch], None] | None = None,
    stop: threading.Event | None = None,
) -> bool:
    """Decode -> stylize -> encode until the input ends; True when `stop` ended it early.

    The writer is always closed here: completely on success, up to the last frame written
    on an error or a stop, so a kept partial file plays.
    """
    writer = session.writer
    info = plan.info
    total = plan.trim.frames_kept(frame_count=info.frame_count, rate_fps=float(info.average_rate) if info.average_rate else None, duration_seconds=info.duration_seconds)
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
                sources = frames.data.numpy() if frames.pixel_format == "rgb24" else i420_to_rgb_host(frames.data.numpy())
                stylized = torch.from_numpy(session.blender.blend_batch(sources, stylized.numpy()))
            yield frames.with_data(stylized)

    def sink(frames: FrameBatch) -> None:
        writer.write(frames)
        bar.update(len(frames))
        if on_batch is not None:
            on_batch(frames)

    source = read_batches(plan.input, plan.batch, stats, pixel_format=plan.pixel_format, max_side=plan.max_side, trim=plan.trim)
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
        raise _StoppedEarly
    if writer.frames_written == 0:
        seen = stats.last_seen_seconds
        if plan.trim.start_seconds > 0 and seen is not None and seen < plan.trim.start_seconds:
            raise MediaError(f"start {plan.trim.start_seconds:g} s is past the last frame of {plan.input.name} (at {seen:.2f} s)")
        raise MediaError(f"no frames could be decoded from {plan.input}")
    return stopped
