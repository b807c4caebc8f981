"""What a live session measures: frames shown, and each one's capture-to-display latency.

A camera or a browser viewer may run for hours, so only the latest LATENCY_WINDOW latencies
are kept: the memory is fixed, and the percentiles describe the recent frames (a short run's
are those of every frame).
"""

from __future__ import annotations

import collections
import itertools
import threading
import time

import numpy as np

from ..frames import Frame

LATENCY_WINDOW = 4096  # over two minutes at 30 fps
RECENT_FRAMES = 30  # what a status line or a readout shows: about a second at 30 fps


class LiveStats:
    def __init__(self, window: int = LATENCY_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"a latency window holds at least 1 frame, got {window}")
        self.displayed = 0
        self.started_seconds = time.perf_counter()
        self._latencies_ms: collections.deque[float] = collections.deque(maxlen=window)
        # record() runs on the loop's thread; a server reads the readouts on its own.
        self._lock = threading.Lock()

    def record(self, frame: Frame, now_seconds: float) -> None:
        with self._lock:
            self._latencies_ms.append(1000.0 * (now_seconds - frame.captured_seconds))
            self.displayed += 1

    @property
    def latencies_ms(self) -> list[float]:
        """The kept latencies, oldest first: at most the window's length."""
        with self._lock:
            return list(self._latencies_ms)

    def recent_median_ms(self, frames: int = RECENT_FRAMES) -> float | None:
        """The median latency of the last `frames` frames; None before the first."""
        with self._lock:  # the newest few, without copying the whole window on every frame
            recent = list(itertools.islice(reversed(self._latencies_ms), frames))
        return float(np.median(recent)) if recent else None

    def summary(self, dropped: int, captured: int) -> dict[str, float | int]:
        latencies = self.latencies_ms or [0.0]
        seconds = max(time.perf_counter() - self.started_seconds, 1e-9)
        return {
            "frames_captured": captured,
            "frames_displayed": self.displayed,
            "frames_dropped": dropped,
            "fps": self.displayed / seconds,
            "latency_ms_p50": float(np.percentile(latencies, 50)),
            "latency_ms_p95": float(np.percentile(latencies, 95)),
            "seconds": seconds,
        }
