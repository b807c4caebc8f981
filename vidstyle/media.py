"""PyAV reading and writing: frames with their own pts, audio carried over, rotation kept.

Timestamps are copied from input to output rather than re-derived from a frame rate,
so variable-frame-rate video stays variable.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
import torch

from .errors import MediaError
from .frames import FrameBatch, PixelFormat

log = logging.getLogger("vidstyle")

DEFAULT_CODEC = "libx264"
DEFAULT_CRF = 18
DEFAULT_PRESET = "medium"
# Encoders that understand x264-style crf/preset options.
_CRF_CODECS = {"libx264", "libx264rgb", "libx265", "libvpx-vp9", "libsvtav1", "libaom-av1"}
_PRESET_CODECS = {"libx264", "libx264rgb", "libx265", "libsvtav1"}
_FASTSTART_SUFFIXES = {".mp4", ".m4v", ".mov"}
_SUGGESTED = ("libx264", "libx265", "libx264rgb", "ffv1", "libvpx-vp9", "libsvtav1", "mpeg4")


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    codec: str
    pix_fmt: str
    time_base: Fraction
    average_rate: Fraction | None
    duration_seconds: float | None
    frame_count: int | None  # exact when the container says so, else estimated from duration x rate
    frame_count_exact: bool
    rotation_degrees: int
    audio_codecs: tuple[str, ...]
    colorspace: str = "bt601"  # the Y'CbCr matrix: bt709 when the stream says so, else bt601
    full_range: bool = False


def _av_error_line(exc: BaseException) -> str:
    """FFmpeg's own words without the errno and the repeated path."""
    text = getattr(exc, "strerror", None) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return str(text)


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open for reading, turning each way a path can be wrong into one clear MediaError."""
    file = Path(path)
    if not file.exists():
        raise MediaError(f"input not found: {file}")
    if not file.is_file():
        raise MediaError(f"input is not a file: {file}")
    if file.stat().st_size == 0:
        raise MediaError(f"input is empty (0 bytes): {file}")
    try:
        return av.open(str(file), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"cannot read {file} as a video (FFmpeg: {_av_error_line(exc)})") from None


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    with open_input(path) as container:
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
            raise MediaError(f"{path} has no video stream (it holds: {kinds})")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate
        duration = _duration_seconds(container, stream)
        exact = bool(stream.frames)
        count = int(stream.frames) if exact else (round(duration * float(rate)) if duration and rate else None)
        rotation = 0
        try:
            for frame in container.decode(stream):
                rotation = int(round(frame.rotation or 0))
                break
        except av.error.FFmpegError:
            pass
        return VideoInfo(
            path=str(path),
            width=ctx.width,
            height=ctx.height,
            codec=ctx.name,
            pix_fmt=ctx.format.name if ctx.format else "unknown",
            time_base=Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000),
            average_rate=Fraction(rate) if rate else None,
            duration_seconds=duration,
            frame_count=count,
            frame_count_exact=exact,
            rotation_degrees=rotation,
            audio_codecs=tuple(s.codec_context.name for s in container.streams.audio),
            colorspace="bt709" if ctx.colorspace == 1 else "bt601",  # AVCOL_SPC_BT709
            full_range=ctx.color_range == 2,  # AVCOL_RANGE_JPEG
        )


def _duration_seconds(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


@dataclass
class DecodeStats:
    frames: int = 0
    corrupt_packets: int = 0
    ended_early: bool = False
    notes: list[str] = field(default_factory=list)


def read_batches(path: str | os.PathLike[str], batch_size: int, stats: DecodeStats | None = None, *, pixel_format: PixelFormat = "rgb24") -> Iterator[FrameBatch]:
    """Decode the first video stream as uint8 batches (RGB, or I420 planes for conversion on
    the device); damaged packets are skipped and counted."""
    stats = stats if stats is not None else DecodeStats()
    with open_input(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        step = max(1, round(1 / (float(rate) * time_base)))
        frames: list[np.ndarray] = []
        pts: list[int] = []
        last_pts = -step
        for frame in _decode_tolerant(container, stream, stats):
            # Some raw streams carry no pts; continue the sequence at the nominal rate.
            current = frame.pts if frame.pts is not None else last_pts + step
            last_pts = current
            frames.append(frame.to_ndarray(format=pixel_format))
            pts.append(current)
            if len(frames) == batch_size:
                yield _batch(frames, pts, time_base, stats.frames, pixel_format)
                stats.frames += len(frames)
                frames, pts = [], []
        if frames:
            yield _batch(frames, pts, time_base, stats.frames, pixel_format)
            stats.frames += len(frames)


def _batch(frames: list[np.ndarray], pts: list[int], time_base: Fraction, first_index: int, pixel_format: PixelFormat) -> FrameBatch:
    return FrameBatch(data=torch.from_numpy(np.stack(frames)), pts=tuple(pts), time_base=time_base, first_index=first_index, pixel_format=pixel_format)


def _decode_tolerant(container: av.container.InputContainer, stream: av.video.stream.VideoStream, stats: DecodeStats) -> Iterator[av.VideoFrame]:
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            stats.ended_early = True
            stats.notes.append(f"input ended early ({_av_error_line(exc)})")
            break
        if packet.is_corrupt:
            stats.corrupt_packets += 1
        try:
            for frame in packet.decode():
                if frame.is_corrupt:  # concealed by the decoder: usable, but worth reporting
                    stats.corrupt_packets += 1
                yield frame
        except av.error.FFmpegError:
            stats.corrupt_packets += 1
    try:  # drain the decoder after a broken demux
        yield from stream.codec_context.decode(None)
    except av.error.FFmpegError:
        pass


def check_encoder(codec: str) -> None:
    try:
        found = av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError, av.codec.codec.UnknownCodecError):  # type: ignore[attr-defined]
        found = None
    if found is None or found.type != "video":
        available = [name for name in _SUGGESTED if name in av.codecs_available]
        raise MediaError(f"video codec {codec!r} is not available in this FFmpeg build; available: {', '.join(available)}")


def choose_pix_fmt(codec: str, requested: str | None) -> str:
    formats = [f.name for f in (av.codec.Codec(codec, "w").video_formats or [])]
    if requested:
        if formats and requested not in formats:
            raise MediaError(f"codec {codec} cannot encode pixel format {requested}; it takes: {', '.join(formats)}")
        return requested
    if not formats or "yuv420p" in formats:
        return "yuv420p"
    return formats[0]


def even_size_needed(pix_fmt: str) -> tuple[bool, bool]:
    """(width must be even, height must be even) for chroma-subsampled formats."""
    match = re.search(r"4(\d)(\d)", pix_fmt)
    if not match or pix_fmt.startswith(("gbr", "rgb", "bgr")):
        return False, False
    horizontal, vertical = match.groups()
    return horizontal in ("1", "2") or pix_fmt.startswith("yuv42"), vertical == "0"


def pad_to_even(frames: torch.Tensor, width_even: bool, height_even: bool) -> torch.Tensor:
    """Repeat the last column/row, so 4:2:0 encoders get the even size they need."""
    pad_w = int(width_even and frames.shape[2] % 2)
    pad_h = int(height_even and frames.shape[1] % 2)
    if not (pad_w or pad_h):
        return frames
    return torch.from_numpy(np.pad(frames.numpy(), ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge"))
