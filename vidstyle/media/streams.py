"""Streams besides the video, carried from the input into the output: every audio track and
every subtitle stream the output container can hold, interleaved with the video by time.

Each carried stream reads the input through a demuxer of its own, so the decode thread
handles video only and each stream is cut to the trimmed part on its own clock.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import av.error

from .options import Trim
from .probe import open_input, origin_seconds

# Tags that describe how the input was written, not what it holds: the output's muxer writes its own.
_WRITER_TAGS = frozenset(
    {
        "encoder",
        "major_brand",
        "minor_version",
        "compatible_brands",
        "duration",
        "number_of_frames",
        "number_of_bytes",
        "bps",
    }
)


def carried_metadata(tags: dict[str, str]) -> dict[str, str]:
    """The tags carried to the output, as ffmpeg's default mapping carries them (title, language,
    comments...), less those that describe how the input was written. Keys keep their spelling:
    FFmpeg's muxers look tags up without regard to case."""
    return {
        key: value
        for key, value in tags.items()
        if key.lower() not in _WRITER_TAGS and not key.lower().startswith("_statistics")
    }


def _starts_before_zero(packet: av.Packet) -> bool:
    # Whole packets only: one that straddles zero (MP3's) would still shift everything.
    return packet.pts is not None and packet.pts < 0


class StreamCarrier:
    """Copies one input stream's packets to the output, the part `trim` keeps, shifted to start
    at zero as the video is. Subclasses decide how a packet is written (copied or re-encoded)."""

    out_stream: av.stream.Stream  # made by each subclass: a copy of the input's, or an encoder's
    action: str  # what happened to the stream, in words

    def __init__(
        self,
        source: str | os.PathLike[str],
        output: av.container.OutputContainer,
        index: int,
        *,
        trim: Trim = Trim(),
        seek: bool = True,
    ) -> None:
        self.input = open_input(source)
        self.output = output
        self.in_stream = self.input.streams[index]
        self.trim = trim
        rate = getattr(self.in_stream.codec_context, "sample_rate", None) or 48000
        time_base = self.in_stream.time_base or Fraction(1, rate)
        # Trims count from the file's first timestamp, and the part kept starts at zero.
        origin = origin_seconds(self.input)
        self._shift = round((origin + trim.start_seconds) / time_base)
        self._end = None if trim.end_seconds is None else round((origin + trim.end_seconds) / time_base)
        if seek and trim.start_seconds > 0:
            self.input.seek(self._shift, stream=self.in_stream, backward=True)
        # Matroska and WebM hold no negative timestamps: FFmpeg would shift every stream, video
        # too, by the audio's encoder delay, and the priming samples would become audible. The
        # packets before zero are dropped instead (at most one packet of real sound).
        self.skip_priming = output.format.name in ("matroska", "webm")
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
        """Mux every packet that starts before `seconds` (all of them when None)."""
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
        if seconds is None:
            self._flush()

    def _mux(self, packet: av.Packet) -> None:
        packet.stream = self.out_stream
        self.output.mux(packet)

    def _flush(self) -> None:
        """Whatever an encoder still holds, once the input has ended; nothing for a copy."""

    def close(self) -> None:
        self.input.close()


class SubtitleCarrier(StreamCarrier):
    """A subtitle stream, copied as it is (the container was checked to hold its codec)."""

    def __init__(
        self, source: str | os.PathLike[str], output: av.container.OutputContainer, index: int, *, trim: Trim = Trim()
    ) -> None:
        # Subtitle streams are sparse and small: read from the start rather than seek on them.
        super().__init__(source, output, index, trim=trim, seek=False)
        self.out_stream = output.add_stream_from_template(self.in_stream)
        self.out_stream.metadata.update(carried_metadata(self.in_stream.metadata))
        self.action = f"subtitle #{index}: copied ({self.in_stream.codec_context.name})"


def stream_name(stream: av.stream.Stream) -> str:
    codec = stream.codec_context.name if stream.codec_context else "unknown"
    return f"{stream.type} #{stream.index} ({codec})"


def plan_carriers(
    source: str | os.PathLike[str], output: av.container.OutputContainer, *, audio: bool
) -> tuple[list[tuple[str, int]], list[str]]:
    """([(kind, stream index)] to carry, [what is not carried, by name and why]).

    Audio is always carried unless `audio` is False (re-encoded where the container cannot hold
    it); subtitles where the container holds their codec; anything else (data, attachments,
    further video) is named as not carried."""
    carried: list[tuple[str, int]] = []
    dropped: list[str] = []
    suffix = Path(str(output.name)).suffix or output.format.name
    with open_input(source) as container_in:
        first_video = container_in.streams.video[0] if container_in.streams.video else None
        for stream in container_in.streams:
            if stream is first_video:
                continue
            codec = stream.codec_context.name if stream.codec_context else ""
            if stream.type == "audio" and audio:
                carried.append(("audio", stream.index))
            elif stream.type == "audio":
                dropped.append(f"{stream_name(stream)}: --no-audio")
            elif stream.type == "subtitle" and codec in output.supported_codecs:
                carried.append(("subtitle", stream.index))
            elif stream.type == "subtitle":
                dropped.append(f"{stream_name(stream)}: a {suffix} file cannot hold {codec}")
            else:
                dropped.append(f"{stream_name(stream)}: only audio and subtitles are carried")
    return carried, dropped
