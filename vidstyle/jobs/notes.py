"""What a `stylize` run says about its input: damaged packets and truncation, each by its
name."""

from __future__ import annotations

from ..media.decode import DecodeStats
from ..media.probe import VideoInfo


def decode_notes(stats: DecodeStats, info: VideoInfo) -> list[str]:
    """What the decoder met on the way, each by its name: damaged packets (frames lost in the
    middle), or a truncated file (the frames stop before the stream's end)."""
    notes = []
    if stats.corrupt_packets:
        notes.append(
            f"{stats.corrupt_packets} damaged packet(s) skipped while decoding; the frames around them were stylized"
        )
    if stats.ended_early or _ends_before_its_duration(stats, info):
        notes.append(
            f"input looks truncated: frames stop at {stats.last_seconds or 0:.2f} s of "
            f"{info.duration_seconds or 0:.2f} s; all decodable frames were stylized"
        )
    return notes + [n for n in stats.notes if n not in notes]


def _ends_before_its_duration(stats: DecodeStats, info: VideoInfo) -> bool:
    """Judged by time, not by frame counts: a count estimated from duration x average rate is
    wrong for variable frame rate, and damaged packets lose frames without shortening the file."""
    if stats.first_seconds is None or stats.last_seconds is None or not info.duration_seconds:
        return bool(
            info.frame_count_exact
            and info.frame_count
            and stats.frames < info.frame_count
            and not stats.corrupt_packets
        )
    frame_seconds = 1 / float(info.average_rate) if info.average_rate else 0.1
    slack = max(3 * frame_seconds, 0.05 * info.duration_seconds)
    return stats.last_seconds - stats.first_seconds < info.duration_seconds - slack
