"""Audio carry-over: each of the input's audio tracks moved to the output, interleaved with
the video by time.

Copied when the output container can hold the codec, else re-encoded (AAC, or Opus for WebM)
with the input's channel layout and sample rate where the encoder takes them.
"""

from __future__ import annotations

import os
from typing import cast

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream

from .codecs import audio_copyable, audio_encoder, audio_layout, audio_rate, input_layout
from .options import Trim
from .streams import StreamCarrier, carried_metadata


class AudioCarrier(StreamCarrier):
    """One audio track, stream `index` of the source."""

    def __init__(
        self, source: str | os.PathLike[str], output: av.container.OutputContainer, index: int, *, trim: Trim = Trim()
    ) -> None:
        """`trim`: the part of the audio to carry, shifted to start at zero as the video is."""
        super().__init__(source, output, index, trim=trim)
        codec = self.in_stream.codec_context.name
        label = "audio" if self.in_stream is self.input.streams.audio[0] else f"audio #{index}"
        self.copy = codec in output.supported_codecs and audio_copyable(output.format.name, codec)
        if self.copy:
            self.out_stream = cast(AudioStream, output.add_stream_from_template(self.in_stream))
            self.action = f"{label}: copied ({codec}, not re-encoded)"
        else:
            self.encoder = self._add_encoder(output, codec, label)
            self.out_stream = self.encoder
        self.out_stream.metadata.update(carried_metadata(self.in_stream.metadata))
        # Decoded audio keeps its priming samples for the encoder; only copied packets are skipped.
        self.skip_priming = self.skip_priming and self.copy

    def _add_encoder(self, output: av.container.OutputContainer, codec: str, label: str) -> AudioStream:
        """An encoder for the container with the input's rate and layout where it takes them;
        what it cannot take is said in the action (Opus: 48 kHz; some layouts)."""
        target = audio_encoder(output.format.name)
        source = cast(AudioStream, self.in_stream).codec_context
        in_layout = input_layout(source.layout)
        rate = audio_rate(target, source.sample_rate)
        layout = audio_layout(target, in_layout, rate)
        encoder = cast(AudioStream, output.add_stream(target, rate=rate, layout=layout))
        self.resampler = av.AudioResampler(format=encoder.codec_context.format, layout=layout, rate=rate)
        changes = [f"{source.sample_rate} Hz -> {rate} Hz"] * (rate != source.sample_rate)
        changes += [f"{in_layout} channels stored as {layout} ({target} cannot take {in_layout})"] * (
            layout != in_layout
        )
        self.action = f"{label}: re-encoded {codec} -> {target} (the output container cannot hold {codec})" + "".join(
            f"; {c}" for c in changes
        )
        return encoder

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
