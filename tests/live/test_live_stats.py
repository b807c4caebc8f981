"""A live session's numbers: memory that stays flat however long it runs, and percentiles that
are those of the frames kept."""

import numpy as np
import pytest

from vidstyle.frames import Frame
from vidstyle.live.stats import LATENCY_WINDOW, LiveStats

PIXELS = np.zeros((2, 2, 3), np.uint8)


def record(stats: LiveStats, latencies_ms: np.ndarray) -> None:
    for i, latency in enumerate(latencies_ms):
        stats.record(Frame(pixels=PIXELS, captured_seconds=10.0, index=i), 10.0 + latency / 1000)


def test_an_hour_of_frames_keeps_only_the_window() -> None:
    """30 fps for an hour: 108000 frames, of which the last LATENCY_WINDOW are kept."""
    latencies = np.random.default_rng(0).gamma(4.0, 10.0, size=30 * 3600)
    latencies[-LATENCY_WINDOW:] += 100.0  # the session got slower: the summary must say so
    stats = LiveStats()
    record(stats, latencies)
    kept = stats.latencies_ms
    assert len(kept) == LATENCY_WINDOW
    assert kept == pytest.approx(latencies[-LATENCY_WINDOW:].tolist())
    summary = stats.summary(dropped=7, captured=len(latencies) + 7)
    assert summary["frames_displayed"] == len(latencies) and summary["frames_dropped"] == 7
    assert summary["latency_ms_p50"] == pytest.approx(np.percentile(latencies[-LATENCY_WINDOW:], 50))
    assert summary["latency_ms_p95"] == pytest.approx(np.percentile(latencies[-LATENCY_WINDOW:], 95))
    assert summary["latency_ms_p50"] > np.percentile(latencies, 50) + 50  # not the whole hour's


def test_a_short_run_keeps_every_frame_and_its_exact_percentiles() -> None:
    stats = LiveStats(window=100)
    record(stats, np.arange(1.0, 41.0))
    summary = stats.summary(dropped=0, captured=40)
    assert stats.latencies_ms == pytest.approx(list(range(1, 41)))
    assert (summary["latency_ms_p50"], summary["latency_ms_p95"]) == pytest.approx((20.5, 38.05))
    assert stats.recent_median_ms(4) == pytest.approx(38.5)  # of 37..40


def test_before_the_first_frame_there_is_no_latency_to_show() -> None:
    stats = LiveStats()
    assert stats.recent_median_ms() is None
    summary = stats.summary(dropped=0, captured=0)
    assert (summary["frames_displayed"], summary["latency_ms_p50"]) == (0, 0.0)
    with pytest.raises(ValueError, match="at least 1 frame"):
        LiveStats(window=0)
