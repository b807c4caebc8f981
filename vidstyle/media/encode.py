"""The encoding side: FrameBatches to a file with their pts copied, rotation kept, audio
and metadata carried over. Which codec and pixel format a file gets is decided in codecs.py.

Timestamps are copied from input to output rather than re-derived from a frame rate, so
variable-frame-rate video stays variable.
"""

from __future__ import annotations

import contextlib
import os
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
from .codecs import FASTSTART_SUFFIXES, choose_pix_fmt, encoder_settings, even_size_needed
from .options import EncodeOptions, Trim, codec_logs_quiet
from .probe import av_error_line, open_input
from .streams import StreamCarrier, SubtitleCarrier, carried_metadata, plan_carriers


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
        """`carry_from`: a file whose audio tracks (unless not `audio`), the subtitles this
        container can hold, and the metadata (title, languages) are carried over, the part
        `trim` keeps of them; what is not carried is listed, by name and why, in `dropped`."""
        self.path = Path(path)
        self._closed = True  # until the file is open: close() has nothing to finish before then
        self.carriers: list[StreamCarrier] = []
        self.dropped: list[str] = []
        self.frames_written = 0
        self._last_seconds = 0.0
        self.pix_fmt = choose_pix_fmt(options.codec, options.pix_fmt)
        self.even_w, self.even_h = even_size_needed(options.codec, self.pix_fmt)
        width = options.width + (self.even_w and options.width % 2)
        height = options.height + (self.even_h and options.height % 2)
        self.padded = (width, height) != (options.width, options.height)
        self.width, self.height = options.width, options.height
        self.rate_fps = options.rate_fps
        container_options = {"movflags": "+faststart"} if self.path.suffix.lower() in FASTSTART_SUFFIXES else {}
        try:
            self.output = av.open(str(self.path), mode="w", options=container_options)
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(
                f"cannot write {self.path.suffix or 'that'} files here (FFmpeg: {av_error_line(exc)})"
            ) from None
        try:
            self.stream = self._add_video(options, width, height)
            if carry_from is not None:
                self._carry(carry_from, audio=audio, trim=trim)
            self._start(options.codec)
        except BaseException:
            self._discard()
            raise
        self._closed = False

    def _add_video(self, options: EncodeOptions, width: int, height: int) -> VideoStream:
        try:
            stream = cast(VideoStream, self.output.add_stream(options.codec, rate=options.rate_fps))
        except ValueError as exc:  # the container refuses the codec (codecs.choose_codec says so earlier)
            raise MediaError(f"a {self.path.suffix} file cannot hold {options.codec} video ({exc})") from None
        stream.width, stream.height, stream.pix_fmt = width, height, self.pix_fmt
        # Frames keep the input's pts, so the encoder must count in the input's time base.
        stream.codec_context.time_base = options.time_base
        stream.time_base = options.time_base
        codec_options = encoder_settings(options.codec, options.crf, options.preset, realtime=options.realtime)
        if options.codec == "libx265":
            # x265 prints to stderr itself, past FFmpeg's log, so -q has to reach it here.
            codec_options["x265-params"] = "log-level=error" if codec_logs_quiet() else "log-level=warning"
        stream.codec_context.options = codec_options
        if options.threads:
            stream.codec_context.thread_count = options.threads
        if options.rotation_degrees:
            stream.set_display_rotation(options.rotation_degrees)
        return stream

    def _carry(self, source: str | os.PathLike[str], *, audio: bool, trim: Trim) -> None:
        with open_input(source) as original:
            self.output.metadata.update(carried_metadata(original.metadata))
            if original.streams.video:
                self.stream.metadata.update(carried_metadata(original.streams.video[0].metadata))
        planned, self.dropped = plan_carriers(source, self.output, audio=audio)
        for kind, index in planned:
            carrier = AudioCarrier if kind == "audio" else SubtitleCarrier
            self.carriers.append(carrier(source, self.output, index, trim=trim))

    def _start(self, codec: str) -> None:
        """The encoder, then the header: what either refuses is known before any frame."""
        try:
            self.stream.codec_context.open()
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(
                f"the {codec} encoder cannot start for {self.width}x{self.height} {self.pix_fmt} video "
                f"(FFmpeg: {av_error_line(exc)})"
            ) from None
        try:
            self.output.start_encoding()
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(
                f"cannot write {codec} video in a {self.path.suffix} file (FFmpeg: {av_error_line(exc)})"
            ) from None

    def _discard(self) -> None:
        """Release what a failed start opened; the caller removes the file (atomic_output)."""
        for carrier in self.carriers:
            carrier.close()
        with contextlib.suppress(Exception):  # the error that got here is the one to report
            self.output.close()

    @property
    def audio_action(self) -> str | None:
        """What happened to the audio and subtitles, in words; None when none is carried."""
        return "; ".join(c.action for c in self.carriers if isinstance(c, (AudioCarrier, SubtitleCarrier))) or None

    def write(self, batch: FrameBatch) -> None:
        """Frames may arrive at the net's size (scaled down when decoded); the stream has the
        source's. They are scaled up one at a time, so one full-size frame exists at once."""
        for pixels, pts in zip(batch.data.numpy(), batch.pts):
            frame = self._encoder_frame(pixels)
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

    def _encoder_frame(self, pixels: np.ndarray) -> av.VideoFrame:
        """An RGB frame at the stream's size and pixel format. The scale up and the conversion
        are one swscale pass where no padding comes between them: two passes (RGB up, then
        RGB to YUV) cost a quarter of the encoding thread's time at 256 px -> 768x432, time a
        stylize pipeline on a 2-core CPU takes from the net."""
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        if pixels.shape[:2] == (self.height, self.width) and not self.padded:
            return frame.reformat(format=self.pix_fmt)
        if not self.padded:
            return frame.reformat(width=self.width, height=self.height, format=self.pix_fmt, interpolation="BILINEAR")
        if pixels.shape[:2] != (self.height, self.width):
            pixels = frame.to_ndarray(format="rgb24", width=self.width, height=self.height, interpolation="BILINEAR")
        padded = pad_to_even(torch.from_numpy(pixels)[None], self.even_w, self.even_h)[0].numpy()
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24").reformat(format=self.pix_fmt)

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


def pad_to_even(frames: torch.Tensor, width_even: bool, height_even: bool) -> torch.Tensor:
    """Repeat the last column/row, so 4:2:0 encoders get the even size they need."""
    pad_w = int(width_even and frames.shape[2] % 2)
    pad_h = int(height_even and frames.shape[1] % 2)
    if not (pad_w or pad_h):
        return frames
    return torch.from_numpy(np.pad(frames.numpy(), ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge"))
