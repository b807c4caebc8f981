"""The encoding side: video frames with copied pts, audio copied or re-encoded, rotation kept."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from .errors import MediaError
from .frames import FrameBatch
from .media import (
    _CRF_CODECS,
    _FASTSTART_SUFFIXES,
    _PRESET_CODECS,
    VideoInfo,
    _av_error_line,
    choose_pix_fmt,
    even_size_needed,
    open_input,
    pad_to_even,
)

log = logging.getLogger("vidstyle")


@dataclass(frozen=True)
class EncodeOptions:
    codec: str = "libx264"
    crf: int | None = 18
    preset: str | None = "medium"
    pix_fmt: str | None = None
    threads: int = 0  # 0: let the encoder decide


class AudioCarrier:
    """Moves audio from the source file to the output, interleaved with the video by time."""

    def __init__(self, source: str, output: av.container.OutputContainer) -> None:
        self.input = open_input(source)
        self.output = output
        self.in_stream = self.input.streams.audio[0]
        codec = self.in_stream.codec_context.name
        self.copy = codec in output.supported_codecs
        if self.copy:
            self.out_stream = cast(AudioStream, output.add_stream_from_template(self.in_stream))
            self.action = f"audio: copied ({codec}, not re-encoded)"
        else:
            target = "libopus" if output.format.name == "webm" else "aac"
            self.out_stream = cast(AudioStream, output.add_stream(target, rate=self.in_stream.codec_context.sample_rate or 48000))
            self.resampler = av.AudioResampler(format=self.out_stream.codec_context.format, layout=self.out_stream.codec_context.layout, rate=self.out_stream.codec_context.rate)
            self.action = f"audio: re-encoded {codec} -> {target} (the output container cannot hold {codec})"
        self._packets = self.input.demux(self.in_stream)
        self._pending: av.Packet | None = None
        self.done = False

    def _next_packet(self) -> av.Packet | None:
        while True:
            try:
                packet = next(self._packets)
            except (StopIteration, av.error.FFmpegError):
                self.done = True
                return None
            if packet.dts is not None:
                return packet

    def mux_until(self, seconds: float | None) -> None:
        """Mux every audio packet that starts before `seconds` (all of them when None)."""
        while not self.done:
            packet = self._pending or self._next_packet()
            self._pending = None
            if packet is None:
                break
            start = float(packet.pts * packet.time_base) if packet.pts is not None else None
            if seconds is not None and start is not None and start > seconds:
                self._pending = packet
                return
            self._mux(packet)
        if seconds is None and not self.copy:
            for out in self.out_stream.encode(None):
                self.output.mux(out)

    def _mux(self, packet: av.Packet) -> None:
        if self.copy:
            packet.stream = self.out_stream
            self.output.mux(packet)
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            return
        for frame in frames:
            for resampled in self.resampler.resample(cast(AudioFrame, frame)):
                for out in self.out_stream.encode(resampled):
                    self.output.mux(out)

    def close(self) -> None:
        self.input.close()


class VideoWriter:
    """Encodes FrameBatches to `path`; finalise with close(), which leaves a playable file."""

    def __init__(self, path: str | os.PathLike[str], info: VideoInfo, options: EncodeOptions, *, audio: bool = True) -> None:
        self.path = Path(path)
        self.pix_fmt = choose_pix_fmt(options.codec, options.pix_fmt)
        self.even_w, self.even_h = even_size_needed(self.pix_fmt)
        width = info.width + (self.even_w and info.width % 2)
        height = info.height + (self.even_h and info.height % 2)
        self.padded = (width, height) != (info.width, info.height)
        container_options = {"movflags": "+faststart"} if self.path.suffix.lower() in _FASTSTART_SUFFIXES else {}
        try:
            self.output = av.open(str(self.path), mode="w", options=container_options)
        except (av.error.FFmpegError, ValueError) as exc:
            raise MediaError(f"cannot write {self.path.suffix or 'that'} files here (FFmpeg: {_av_error_line(exc)})") from None
        rate = info.average_rate or Fraction(25)
        stream = cast(VideoStream, self.output.add_stream(options.codec, rate=rate))
        stream.width, stream.height, stream.pix_fmt = width, height, self.pix_fmt
        # Frames keep the input's pts, so the encoder must count in the input's time base.
        stream.codec_context.time_base = info.time_base
        stream.time_base = info.time_base
        codec_options: dict[str, str] = {}
        if options.crf is not None and options.codec in _CRF_CODECS:
            codec_options["crf"] = str(options.crf)
        if options.preset and options.codec in _PRESET_CODECS:
            codec_options["preset"] = options.preset
        stream.codec_context.options = codec_options
        if options.threads:
            stream.codec_context.thread_count = options.threads
        if info.rotation_degrees:
            stream.set_display_rotation(info.rotation_degrees)
        self.stream = stream
        self.audio = AudioCarrier(info.path, self.output) if audio and info.audio_codecs else None
        self.frames_written = 0
        self._last_seconds = 0.0
        self._closed = False

    @property
    def audio_action(self) -> str:
        return self.audio.action if self.audio else "audio: none in the input"

    def write(self, batch: FrameBatch) -> None:
        frames = pad_to_even(batch.data, self.even_w, self.even_h).numpy()
        for pixels, pts in zip(frames, batch.pts):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format=self.pix_fmt)
            frame.pts = pts
            frame.time_base = batch.time_base
            for packet in self.stream.encode(frame):
                self.output.mux(packet)
            self.frames_written += 1
        self._last_seconds = batch.pts_seconds[-1]
        if self.audio:
            # A little audio ahead of the video keeps the muxer's interleaving buffer small.
            self.audio.mux_until(batch.pts_seconds[-1] + 1.0)

    def close(self, *, complete: bool = True) -> None:
        """Flush and finalise. An incomplete (interrupted) file gets audio only up to its last frame."""
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self.stream.encode(None):
                self.output.mux(packet)
            if self.audio:
                self.audio.mux_until(None if complete else self._last_seconds)
        finally:
            if self.audio:
                self.audio.close()
            self.output.close()
