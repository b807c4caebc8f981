"""What a video file holds, read once before any work: size, timing, rotation, colour, audio."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error

from ..errors import MediaError


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
    colorspace: str = "bt601"  # the Y'CbCr matrix: bt709 when the stream says so, else bt601
    full_range: bool = False


def av_error_line(exc: BaseException) -> str:
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
        raise MediaError(f"cannot read {file} as a video (FFmpeg: {av_error_line(exc)})") from None


def origin_seconds(container: av.container.InputContainer) -> float:
    """The time of a file's first timestamp (1.4 s or more in MPEG-TS, 0 in most MP4s), which
    ffmpeg's -ss and -t count from and which becomes 0 in the output: every stream is shifted by
    it, so they stay in sync. An earlier-than-zero start (audio priming) is left as it is."""
    start = container.start_time
    return max(0.0, start / av.time_base) if start is not None else 0.0


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
            colorspace="bt709" if ctx.colorspace == 1 else "bt601",  # AVCOL_SPC_BT709
            full_range=ctx.color_range == 2,  # AVCOL_RANGE_JPEG
        )


def _duration_seconds(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None
