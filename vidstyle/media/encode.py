"""The encoding side: FrameBatches to a file with their pts copied, rotation kept, audio
carried over; and the rules for which codec takes which options and pixel formats.

Timestamps are copied from input to output rather than re-derived from a frame rate, so
variable-frame-rate video stays variable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import cast

import av
import av.error
import numpy as np
import torch
from av.video.stream import VideoStream

from ..errors import MediaError
from ..frames import FrameBatch
from .audio import AudioCarrier
from .streams import StreamCarrier, SubtitleCarrier, plan_carriers
from .options import EncodeOptions, Trim, codec_logs_quiet
from .probe import av_error_line

# Encoders that understand x264-style crf/preset options.
CRF_CODECS = frozenset({"libx264", "libx264rgb", "libx265", "libvpx-vp9", "libsvtav1", "libaom-av1"})
PRESET_CODECS = frozenset({"libx264", "libx264rgb", "libx265", "libsvtav1"})
# Encoders that store odd sizes even in subsampled formats (FFV1 codes chroma planes rounded up).
ODD_SIZE_CODECS = frozenset({"ffv1"})
FASTSTART_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
SUGGESTED_CODECS = ("libx264", "libx265", "libx264rgb", "ffv1", "libvpx-vp9", "libsvtav1", "mpeg4")


class VideoWriter:
    """Encodes FrameBatches to `path`; finalise with close(), which leaves a playable file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        options: EncodeOptions,
        *,
        carry_from: str | os.PathLike[str] | None = None,
        audio: bool = True,
        trim: Trim = Trim(),
    ) -> None:
        """`carry_from`: a file whose audio tracks (unless not `audio`) and the subtitles this
        container can hold are carried over, the part `trim` keeps of them; what is not
        carried is listed, by name and why, in `dropped`."""
        self.path = Path(path)
        self.pix_fmt = choose_pix_fmt(options.codec, options.pix_fmt)
        self.even_w, self.even_h = even_size_needed(self.pix_fmt) if options.codec not in ODD_SIZE_CODECS else (False, False)
        width = options.width + (self.even_w and options.width % 2)
        height = options.height + (self.even_h and options.height % 2)
        self.padded = (width, height) != (options.width, options.height)
        self.width, self.height = options.width, options.height
        self.rate_fps = options.rate_fps
        container_options = {"movflags": "+faststart"} if self.path.suffix.lower() in FASTSTART_SUFFIXES else {}
        try:
            self.output = av.open(str(self.path), mode="w", options=container_options)
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(f"cannot write {self.path.suffix or 'that'} files here (FFmpeg: {av_error_line(exc)})") from None
        stream = cast(VideoStream, self.output.add_stream(options.codec, rate=options.rate_fps))
        stream.width, stream.height, stream.pix_fmt = width, height, self.pix_fmt
        # Frames keep the input's pts, so the encoder must count in the input's time base.
        stream.codec_context.time_base = options.time_base
        stream.time_base = options.time_base
        codec_options: dict[str, str] = {}
        if options.crf is not None and options.codec in CRF_CODECS:
            codec_options["crf"] = str(options.crf)
        if options.preset and options.codec in PRESET_CODECS:
            codec_options["preset"] = options.preset
        if options.codec == "libx265":
            # x265 prints to stderr itself, past FFmpeg's log, so -q has to reach it here.
            codec_options["x265-params"] = "log-level=error" if codec_logs_quiet() else "log-level=warning"
        stream.codec_context.options = codec_options
        if options.threads:
            stream.codec_context.thread_count = options.threads
        if options.rotation_degrees:
            stream.set_display_rotation(options.rotation_degrees)
        self.stream = stream
        self.carriers: list[StreamCarrier] = []
        self.dropped: list[str] = []
        if carry_from is not None:
            planned, self.dropped = plan_carriers(carry_from, self.output, audio=audio)
            for kind, index in planned:
                carrier = AudioCarrier if kind == "audio" else SubtitleCarrier
                self.carriers.append(carrier(carry_from, self.output, trim=trim, index=index))
        try:  # the header now, so what the muxer or encoder refuses is known before any frame
            self.output.start_encoding()
        except (av.error.FFmpegError, ValueError) as exc:
            self.close()
            raise MediaError(f"cannot write {options.codec} in a {self.path.suffix} file (FFmpeg: {av_error_line(exc)})") from None
        self.frames_written = 0
        self._last_seconds = 0.0
        self._closed = False

    @property
    def audio_action(self) -> str | None:
        """What happened to the audio and subtitles, in words; None when none is carried."""
        return "; ".join(c.action for c in self.carriers if isinstance(c, (AudioCarrier, SubtitleCarrier))) or None

    def write(self, batch: FrameBatch) -> None:
        """Frames may arrive at the net's size (scaled down when decoded); the stream has the
        source's. They are scaled up one at a time, so one full-size frame exists at once."""
        for pixels, pts in zip(batch.data.numpy(), batch.pts):
            frame = av.VideoFrame.from_ndarray(self._full_size(pixels), format="rgb24").reformat(format=self.pix_fmt)
            frame.pts = pts
            frame.time_base = batch.time_base
            for packet in self.stream.encode(frame):
                self.output.mux(packet)
            self.frames_written += 1
        self._last_seconds = batch.pts_seconds[-1]
        for carrier in self.carriers:
            # Audio up to the video written so far and no further: the muxer interleaves by
            # time anyway, and a file cut here (an interruption) ends its audio with its video.
            carrier.mux_until(batch.pts_seconds[-1])

    def _full_size(self, pixels: np.ndarray) -> np.ndarray:
        if pixels.shape[:2] != (self.height, self.width):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            pixels = frame.to_ndarray(format="rgb24", width=self.width, height=self.height, interpolation="BILINEAR")
        return pad_to_even(torch.from_numpy(pixels)[None], self.even_w, self.even_h)[0].numpy()

    def close(self, *, complete: bool = True) -> None:
        """Flush and finalise. An incomplete (interrupted) file, or one cut at a frame count,
        gets audio only up to the end of its last frame."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self.stream.encode(None):
                self.output.mux(packet)
            for carrier in self.carriers:
                to_the_end = complete and carrier.trim.max_frames is None
                carrier.mux_until(None if to_the_end else self._last_seconds + 1 / float(self.rate_fps))
        finally:
            for carrier in self.carriers:
                carrier.close()
            self.output.close()


def check_encoder(codec: str) -> str:
    """FFmpeg's codec name for an encoder that exists here (vp9 for libvpx-vp9), or one line."""
    try:
        found = av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError, av.codec.codec.UnknownCodecError):  # type: ignore[attr-defined]
        found = None
    if found is None or found.type != "video":
        available = [name for name in SUGGESTED_CODECS if name in av.codecs_available]
        raise MediaError(f"video codec {codec!r} is not available in this FFmpeg build; available: {', '.join(available)}")
    return str(found.canonical_name)


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
