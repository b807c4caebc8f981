"""`vidstyle stylize`: a video file in, a stylized video file out, everything else preserved."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal

import torch
from tqdm import tqdm

from .atomic import atomic_output, check_output_path
from .backends import create_backend
from .context import resolve_context
from .errors import MediaError
from .colour import i420_to_rgb_host
from .frames import FrameBatch, PixelFormat
from .stylizer import FrameStylizer
from .media.decode import DecodeStats, read_batches
from .media.encode import VideoWriter, check_encoder
from .media.options import EncodeOptions
from .media.probe import VideoInfo, probe
from .modelfile import StyleModel, load_model
from .temporal import TemporalBlender

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


def stylize_video(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    model: StyleModel | str | os.PathLike[str] | None = None,
    backend: str = "torch",
    engine: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    batch: int = 4,
    max_side: int | None = None,
    codec: str = EncodeOptions.codec,
    crf: int | None = EncodeOptions.crf,
    preset: str | None = EncodeOptions.preset,
    pix_fmt: str | None = None,
    keep_partial: bool = False,
    compile: bool = False,
    audio: bool = True,
    temporal_blend: float = 0.0,
    colour_convert: Literal["host", "device"] = "host",
    progress: bool = True,
    on_batch: Callable[[FrameBatch], None] | None = None,
    stop: threading.Event | None = None,
) -> VideoResult:
    """Stylize `input` into `output`. Nothing appears at `output` unless the run succeeds
    (or is interrupted with keep_partial, which leaves a playable file of the frames done)."""
    if batch < 1:
        raise MediaError(f"--batch must be at least 1, got {batch}")
    if not 0.0 <= temporal_blend < 1.0:
        raise MediaError(f"--temporal-blend must be in [0, 1), got {temporal_blend}")
    info = probe(input)  # every input check happens before anything is written
    check_output_path(output)
    check_encoder(codec)
    if Path(output).resolve() == Path(input).resolve():
        raise MediaError("output must not be the input file")
    style = model if isinstance(model, StyleModel) else load_model(model)
    ctx = resolve_context(device, precision)
    notes: list[str] = []
    stats = DecodeStats()
    started = time.perf_counter()
    interrupted = False
    with create_backend(backend, style, ctx, compile=compile, engine_path=engine) as runner:
        # Device conversion reads I420 planes, which need even sizes; odd ones convert on the host.
        pixel_format: PixelFormat = "yuv420p" if colour_convert == "device" and info.width % 2 == 0 and info.height % 2 == 0 else "rgb24"
        stylizer = FrameStylizer(runner, ctx, max_side=max_side, matrix="bt709" if info.colorspace == "bt709" else "bt601", full_range=info.full_range)
        with atomic_output(output, keep_on_error=keep_partial) as tmp:
            options = EncodeOptions(
                width=info.width, height=info.height, time_base=info.time_base, rate_fps=info.average_rate or Fraction(25),
                rotation_degrees=info.rotation_degrees, codec=codec, crf=crf, preset=preset, pix_fmt=pix_fmt,
            )
            writer = VideoWriter(tmp, options, audio_source=input if audio and info.audio_codecs else None)
            if writer.padded:
                notes.append(f"size {info.width}x{info.height} is odd; {writer.pix_fmt} needs even sizes, so the last row/column is repeated")
                log.warning("note: %s", notes[-1])
            if writer.audio_action:
                notes.append(writer.audio_action)
            bar = tqdm(total=info.frame_count, disable=not progress, unit="frame", dynamic_ncols=True, desc=Path(input).name)

            blender = TemporalBlender(temporal_blend) if temporal_blend > 0 else None

            def transform(frames: FrameBatch) -> FrameBatch:
                stylized = stylizer(frames.data, frames.pixel_format)
                if blender is not None:  # runs in the one infer thread, so frames stay in order
                    sources = frames.data.numpy() if frames.pixel_format == "rgb24" else i420_to_rgb_host(frames.data.numpy())
                    stylized = torch.from_numpy(blender.blend_batch(sources, stylized.numpy()))
                return frames.with_data(stylized)

            def sink(frames: FrameBatch) -> None:
                writer.write(frames)
                bar.update(len(frames))
                if on_batch is not None:
                    on_batch(frames)

            from .pipeline import run_pipeline

            try:
                if run_pipeline(read_batches(input, batch, stats, pixel_format=pixel_format), transform, sink, stop=stop).stopped:
                    raise KeyboardInterrupt
            except KeyboardInterrupt:
                interrupted = True
                writer.close(complete=False)
                bar.close()
                raise
            except BaseException:
                try:
                    writer.close(complete=False)
                except Exception:  # noqa: BLE001 - the original error is the one to report
                    pass
                bar.close()
                raise
            writer.close()
            bar.close()
            if writer.frames_written == 0:
                raise MediaError(f"no frames could be decoded from {input}")
    seconds = time.perf_counter() - started
    if stats.corrupt_packets:
        notes.append(f"{stats.corrupt_packets} damaged packet(s) skipped while decoding")
    if stats.ended_early or _fewer_frames_than_promised(stats.frames, info):
        notes.append(f"input looks truncated: decoded {stats.frames} of {info.frame_count or '?'} frames; all decodable frames were stylized")
    notes.extend(n for n in stats.notes if n not in notes)
    return VideoResult(output=Path(output), frames=stats.frames, seconds=seconds, corrupt_packets=stats.corrupt_packets, audio=writer.audio_action or "audio: none in the input", notes=notes, interrupted=interrupted)


def _fewer_frames_than_promised(decoded: int, info: VideoInfo) -> bool:
    """An exact count must match; an estimate (duration x rate, as in mkv/webm) gets 10% slack."""
    if not info.frame_count:
        return False
    if info.frame_count_exact:
        return decoded < info.frame_count
    return decoded < 0.9 * info.frame_count

