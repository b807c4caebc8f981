"""Audio carry-over: each of the input's audio tracks moved to the output, interleaved with
the video by time.

Copied when the output container can hold the codec, else re-encoded (AAC, or Opus for WebM).
"""

from __future__ import annotations

import os
from typing import cast

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream

from .codecs import audio_copyable
from .options import Trim
from .streams import StreamCarrier, carried_metadata


class AudioCarrier(StreamCarrier):
    """One audio track (stream `index` of the source; None: its first audio stream)."""

    def __init__(self, source: str | os.PathLike[str], output: av.container.OutputContainer, *, trim: Trim = Trim(), index: int | None = None) -> None:
        """`trim`: the part of the audio to carry, shifted to start at zero as the video is."""
        if index is None:
            with av.open(str(source)) as probe_only:
                index = probe_only.streams.audio[0].index
        super().__init__(source, output, index, trim=trim)
        codec = self.in_stream.codec_context.name
        label = "audio" if self.in_stream is self.input.streams.audio[0] else f"audio #{index}"
        self.copy = codec in output.supported_codecs and audio_copyable(output.format.name, codec)
        if self.copy:
            self.out_stream = cast(AudioStream, output.add_stream_from_template(self.in_stream))
            self.action = f"{label}: copied ({codec}, not re-encoded)"
        else:
            target = "libopus" if output.format.name == "webm" else "aac"
            self.encoder = cast(AudioStream, output.add_stream(target, rate=cast(AudioStream, self.in_stream).codec_context.sample_rate or 48000))
            self.out_stream = self.encoder
            self.resampler = av.AudioResampler(format=self.encoder.codec_context.format, layout=self.encoder.codec_context.layout, rate=self.encoder.codec_context.rate)
            self.action = f"{label}: re-encoded {codec} -> {target} (the output container cannot hold {codec})"
        self.out_stream.metadata.update(carried_metadata(self.in_stream.metadata))
        # Decoded audio keeps its priming samples for the encoder; only copied packets are skipped.
        self.skip_priming = self.skip_priming and self.copy

    def _mux(self, packet: av.Packet) -> None:
        if self.copy:
            super()._mux(packet)
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            return
        for frame in frames:
            for resampled in self.resampler.resample(cast(AudioFrame, frame)):
                for out in self.encoder.encode(resampled):
                    self.output.mux(out)

    def _flush(self) -> None:
        if not self.copy:
            for out in self.encoder.encode(None):
                self.output.mux(out)
