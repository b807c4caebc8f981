"""Trim.frames_kept: the progress bar's total for a trimmed clip."""

import pytest

from vidstyle.media.options import Trim

CLIP = dict(frame_count=48, rate_fps=12.0, duration_seconds=4.0)


@pytest.mark.parametrize(
    ("trim", "frames"),
    [
        (Trim(), 48),
        (Trim(start_seconds=1.0, end_seconds=2.5), 18),
        (Trim(start_seconds=3.0, end_seconds=60.0), 12),  # an end past the clip's stops at the clip's
        (Trim(start_seconds=1.5, max_frames=6), 6),
        (Trim(start_seconds=3.5, max_frames=100), 6),  # fewer frames left than asked for
        (Trim(max_frames=10), 10),
    ],
)
def test_frames_kept_by_time_and_count(trim: Trim, frames: int) -> None:
    assert trim.frames_kept(**CLIP) == frames  # type: ignore[arg-type]


def test_frames_kept_is_unknown_without_a_rate_or_a_length() -> None:
    assert Trim(start_seconds=1.0).frames_kept(frame_count=None, rate_fps=None, duration_seconds=None) is None
    assert Trim(start_seconds=1.0).frames_kept(frame_count=None, rate_fps=12.0, duration_seconds=None) is None
    assert (
        Trim(start_seconds=1.0, max_frames=5).frames_kept(frame_count=None, rate_fps=None, duration_seconds=None) == 5
    )
