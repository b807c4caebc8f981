"""The one decode loop: a video file as uint8 FrameBatches with their own pts.

`stylize`, the camera's file sources, `flicker`, reference frames and the benchmarks all
read through read_batches, so a damaged packet, a missing pts or a 10-bit stream is
handled the same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

import av
import av.error
import numpy as np
import torch
from av.video.codeccontext import VideoCodecContext

from ..colour import fit_max_side
from ..frames import FrameBatch, PixelFormat
from .options import Trim
from .probe import av_error_line, open_input, origin_seconds


@dataclass
class DecodeStats:
    frames: int = 0
    corrupt_packets: int = 0
    ended_early: bool = False
    notes: list[str] = field(default_factory=list)
    first_seconds: float | None = None  # pts of the first and last frames kept
    last_seconds: float | None = None
    last_seen_seconds: float | None = None  # of the last frame decoded, kept or not, from the file's first timestamp


def read_batches(
    path: str | os.PathLike[str],
    batch_size: int,
    stats: DecodeStats | None = None,
    *,
    pixel_format: PixelFormat = "rgb24",
    decoder: str | None = None,
    max_side: int | None = None,
    trim: Trim = Trim(),
) -> Iterator[FrameBatch]:
    """Decode the first video stream as uint8 batches (RGB, or I420 planes for conversion on
    the device); damaged packets are skipped and counted in `stats`.

    `decoder` names another FFmpeg decoder for the stream (h264_cuvid for NVDEC). `max_side`
    scales frames down here, in the decode thread, so that nothing after it holds a frame
    larger than the net's: an 8K clip at max_side 128 costs what a 128-pixel one does.
    `trim` keeps a part of the clip, its times counted from the file's first timestamp as
    ffmpeg's -ss and -t are; the pts are shifted so that this timestamp, or the trim's start,
    is zero (probe.origin_seconds). Stopping early (a break, itertools.islice) closes the file.
    """
    stats = stats if stats is not None else DecodeStats()
    with open_input(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        codec = stream.codec_context
        if decoder is not None:
            codec = cast(VideoCodecContext, av.CodecContext.create(decoder, "r"))
            codec.extradata = stream.codec_context.extradata
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        step = max(1, round(1 / (float(rate) * time_base)))
        frames: list[np.ndarray] = []
        pts: list[int] = []
        last_pts = -step
        origin = round(origin_seconds(container) / time_base)
        shift = origin + round(trim.start_seconds / time_base)
        if trim.start_seconds > 0:  # to the keyframe before the start; the frames up to it are skipped
            container.seek(shift, stream=stream, backward=True)
        kept = 0
        try:
            for frame in _decode_tolerant(container, stream, codec, stats):
                # Some raw streams carry no pts; continue the sequence at the nominal rate.
                current = frame.pts if frame.pts is not None else last_pts + step
                last_pts = current
                stats.last_seen_seconds = float((current - origin) * time_base)
                keep = trim.keeps(stats.last_seen_seconds)
                if keep is None or (trim.max_frames is not None and kept >= trim.max_frames):
                    _drain(codec)
                    break
                if not keep:
                    continue
                kept += 1
                current -= shift
                stats.last_seconds = float(current * time_base)
                stats.first_seconds = stats.last_seconds if stats.first_seconds is None else stats.first_seconds
                frames.append(
                    _to_ndarray(frame, pixel_format, decode_size(frame.height, frame.width, max_side, pixel_format))
                )
                pts.append(current)
                if len(frames) == batch_size:
                    yield _batch(frames, pts, time_base, stats.frames, pixel_format)
                    stats.frames += len(frames)
                    frames, pts = [], []
            if frames:
                yield _batch(frames, pts, time_base, stats.frames, pixel_format)
                stats.frames += len(frames)
        except GeneratorExit:
            # The consumer stopped early (a break, itertools.islice) and closes us at a yield:
            # a frame-threaded decoder freed with frames still in its threads can wait forever.
            _drain(codec)
            raise


def _drain(codec: VideoCodecContext) -> None:
    """Collect the frames still in the decoder's threads before the file closes under them."""
    try:
        for _ in codec.decode(None):
            pass
    except av.error.FFmpegError:
        pass


def decode_size(height: int, width: int, max_side: int | None, pixel_format: PixelFormat) -> tuple[int, int]:
    """The size frames leave the decoder at: the net's (I420 planes need it even)."""
    height, width = fit_max_side(height, width, max_side)
    if pixel_format == "yuv420p":
        return max(2, height - height % 2), max(2, width - width % 2)
    return height, width


def _to_ndarray(frame: av.VideoFrame, pixel_format: PixelFormat, size: tuple[int, int]) -> np.ndarray:
    if size == (frame.height, frame.width):  # no scaler flags: plain conversion, as before scaling existed
        return frame.to_ndarray(format=pixel_format)
    # AREA averages every source pixel: no aliasing however large the step down.
    return frame.to_ndarray(format=pixel_format, width=size[1], height=size[0], interpolation="AREA")


def _batch(
    frames: list[np.ndarray], pts: list[int], time_base: Fraction, first_index: int, pixel_format: PixelFormat
) -> FrameBatch:
    return FrameBatch(
        data=torch.from_numpy(np.stack(frames)),
        pts=tuple(pts),
        time_base=time_base,
        first_index=first_index,
        pixel_format=pixel_format,
    )


def _decode_tolerant(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    codec: VideoCodecContext,
    stats: DecodeStats,
) -> Iterator[av.VideoFrame]:
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            stats.ended_early = True
            stats.notes.append(f"input ended early ({av_error_line(exc)})")
            break
        if packet.is_corrupt:
            stats.corrupt_packets += 1
        try:
            for frame in codec.decode(packet):
                if frame.is_corrupt:  # concealed by the decoder: usable, but worth reporting
                    stats.corrupt_packets += 1
                yield frame
        except av.error.FFmpegError:
            stats.corrupt_packets += 1
    try:  # drain the decoder after a broken demux
        yield from codec.decode(None)
    except av.error.FFmpegError:
        pass
