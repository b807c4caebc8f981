"""A video jitter buffer that hands a frame on as soon as its last packet is in.

aiortc's JitterBuffer takes a video frame as complete only when a packet of the next frame
arrives, so each browser frame waited a whole frame interval in the server (67 ms at 15 fps)
before it could be decoded. RTP video payload formats set the marker bit on the last packet
of each frame (RFC 7741 for VP8, RFC 6184 for H.264), so a frame can go on as soon as the
buffer holds every packet from its first up to the marked one.
"""

from __future__ import annotations

import aiortc.rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket


class MarkerJitterBuffer(JitterBuffer):
    """aiortc's buffer, plus: a video frame whose marked last packet is in is released at once."""

    # aiortc has no public way to change when a frame is complete, so this reads its private
    # fields (_is_video, _origin, _packets, RtpPacket._data) and replaces the name its receiver
    # looks up, here and nowhere else; tests/serve/test_jitter.py fails if aiortc changes them.

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        pli_flag, frame = super().add(packet)
        # Audio's marker bit means the start of a talkspurt, not the end of a frame. Any video
        # packet may complete the oldest frame: a late retransmission fills the gap before the mark.
        if frame is None and self._is_video:
            frame = self._remove_marked_frame()
        return pli_flag, frame

    def _remove_marked_frame(self) -> JitterFrame | None:
        """The oldest frame, if its packets run without a gap from the origin to a marked one."""
        if self._origin is None:
            return None
        packets: list[RtpPacket] = []
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None or (packets and packet.timestamp != packets[0].timestamp):
                return None
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=packets[0].timestamp)  # type: ignore[attr-defined]
        return None


def use_marker_jitter_buffer() -> None:
    """Make every RTCRtpReceiver created from now on in this process use MarkerJitterBuffer.

    aiortc builds its buffer inside the receiver with no way to pass one in, so the name the
    receiver module looks up is replaced; `vidstyle serve` owns its process, and audio keeps
    the base behaviour (see MarkerJitterBuffer.add).
    """
    aiortc.rtcrtpreceiver.JitterBuffer = MarkerJitterBuffer  # type: ignore[misc]
