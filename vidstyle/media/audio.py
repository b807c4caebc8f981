"""Audio carry-over: the input's audio moved to the output, interleaved with the video by time.

Copied when the output container can hold the codec, else re-encoded (AAC, or Opus for WebM).
The carrier demuxes the input a second time, so the decode thread handles video only.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import cast

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream

from .probe import open_input
from .options import Trim
from .rules import audio_copyable


def _starts_before_zero(packet: av.Packet) -> bool:
    # Whole packets only: one that straddles zero (MP3's) would still shift everything.
    return packet.pts is not None and packet.pts < 0


class AudioCarrier:
    """Moves audio from the source file to the output, interleaved with the video by time."""

    def __init__(self, source: str | os.PathLike[str], output: av.container.OutputContainer, *, trim: Trim = Trim()) -> None:
        """`trim`: the part of the audio to carry, shifted to start at zero as the video is."""
        self.input = open_input(source)
        self.output = output
        self.in_stream = self.input.streams.audio[0]
        self.trim = trim
        time_base = self.in_stream.time_base or Fraction(1, self.in_stream.codec_context.sample_rate or 48000)
        self._shift = round(trim.start_seconds / time_base)
        self._end = None if trim.end_seconds is None else round(trim.end_seconds / time_base)
        if trim.start_seconds > 0:
            self.input.seek(self._shift, stream=self.in_stream, backward=True)
        codec = self.in_stream.codec_context.name
        self.copy = codec in output.supported_codecs and audio_copyable(output.format.name, codec)
        if self.copy:
            self.out_stream = cast(AudioStream, output.add_stream_from_template(self.in_stream))
            self.action = f"audio: copied ({codec}, not re-encoded)"
        else:
            target = "libopus" if output.format.name == "webm" else "aac"
            self.out_stream = cast(AudioStream, output.add_stream(target, rate=self.in_stream.codec_context.sample_rate or 48000))
            self.resampler = av.AudioResampler(format=self.out_stream.codec_context.format, layout=self.out_stream.codec_context.layout, rate=self.out_stream.codec_context.rate)
            self.action = f"audio: re-encoded {codec} -> {target} (the output container cannot hold {codec})"
        # Matroska and WebM hold no negative timestamps: FFmpeg would shift every stream, video
        # too, by the audio's encoder delay, and the priming samples would become audible. The
        # packets before zero are dropped instead (at most one packet of real sound).
        self.skip_priming = self.copy and output.format.name in ("matroska", "webm")
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
            if packet.dts is None or packet.pts is None:
                continue
            if self._end is not None and packet.pts >= self._end:
                self.done = True
                return None
            if packet.pts + (packet.duration or 0) <= self._shift and self._shift:
                continue  # wholly before the part kept
            packet.pts -= self._shift
            packet.dts -= self._shift
            if self.skip_priming and _starts_before_zero(packet):
                continue
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
