"""The serve jitter buffer releases a video frame on its marked last packet, not a frame later."""

from __future__ import annotations

import inspect

import pytest

pytest.importorskip("aiortc")

import aiortc.rtcrtpreceiver  # noqa: E402
from aiortc.jitterbuffer import JitterBuffer  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402

from vidstyle.serve.jitter import MarkerJitterBuffer, use_marker_jitter_buffer  # noqa: E402

TICKS_PER_FRAME = 6000  # 15 fps on the 90 kHz video clock


def frame_packets(first_seq: int, frame: int, parts: list[bytes]) -> list[RtpPacket]:
    """One frame's packets as the receiver hands them over: depayloaded data in `_data`."""
    packets = []
    for i, data in enumerate(parts):
        packet = RtpPacket(
            sequence_number=first_seq + i, timestamp=frame * TICKS_PER_FRAME, marker=int(i == len(parts) - 1)
        )
        packet._data = data  # type: ignore[attr-defined]
        packets.append(packet)
    return packets


def feed(buffer: JitterBuffer, packets: list[RtpPacket]) -> list[tuple[int, bytes] | None]:
    out = []
    for packet in packets:
        _, frame = buffer.add(packet)
        out.append(None if frame is None else (frame.timestamp, frame.data))
    return out


def test_a_frame_leaves_on_its_marked_packet() -> None:
    packets = frame_packets(100, 0, [b"a", b"b", b"c"])
    assert feed(MarkerJitterBuffer(capacity=128, is_video=True), packets) == [None, None, (0, b"abc")]
    # aiortc's own buffer holds the same frame until the next frame's first packet.
    assert feed(JitterBuffer(capacity=128, is_video=True), packets) == [None, None, None]


def test_each_frame_comes_out_once_and_in_order() -> None:
    packets = frame_packets(100, 0, [b"a", b"b"]) + frame_packets(102, 1, [b"c"]) + frame_packets(103, 2, [b"d", b"e"])
    assert feed(MarkerJitterBuffer(capacity=128, is_video=True), packets) == [
        None,
        (0, b"ab"),
        (1 * TICKS_PER_FRAME, b"c"),
        None,
        (2 * TICKS_PER_FRAME, b"de"),
    ]


def test_a_frame_with_a_missing_packet_waits() -> None:
    first, middle, last = frame_packets(100, 0, [b"a", b"b", b"c"])
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert feed(buffer, [first, last]) == [None, None]
    assert feed(buffer, [middle]) == [(0, b"abc")]  # a late (retransmitted) packet completes it


def test_audio_keeps_aiortc_behaviour() -> None:
    # Audio's marker bit starts a talkspurt; the audio buffer must not release on it.
    packets = frame_packets(100, 0, [b"a"]) + frame_packets(101, 1, [b"b"]) + frame_packets(102, 2, [b"c"])
    assert feed(MarkerJitterBuffer(capacity=16, prefetch=1), packets) == feed(
        JitterBuffer(capacity=16, prefetch=1), packets
    )


def test_receivers_made_after_install_use_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiortc.rtcrtpreceiver, "JitterBuffer", JitterBuffer)  # undone after the test
    use_marker_jitter_buffer()
    assert aiortc.rtcrtpreceiver.JitterBuffer is MarkerJitterBuffer


def test_aiortc_still_has_the_private_names_it_builds_on() -> None:
    # MarkerJitterBuffer reads these; a renamed one would surface only as a failed frame.
    buffer = JitterBuffer(capacity=128, is_video=True)
    assert (buffer._is_video, buffer._origin, buffer._packets) == (True, None, [None] * 128)  # type: ignore[attr-defined]
    assert callable(buffer.remove)
    packet = RtpPacket()
    packet._data = b"x"  # type: ignore[attr-defined]
    buffer.add(packet)
    assert buffer._origin == packet.sequence_number  # type: ignore[attr-defined]
    assert "JitterBuffer" in vars(aiortc.rtcrtpreceiver)  # the name use_marker_jitter_buffer replaces
    # looked up by name when a receiver is made
    assert "JitterBuffer(" in inspect.getsource(aiortc.rtcrtpreceiver.RTCRtpReceiver.__init__)
