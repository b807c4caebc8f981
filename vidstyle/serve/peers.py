"""Frames between WebRTC tracks and the camera's latest-wins loop.

Each viewer's incoming track feeds `live.session.run_live` in a thread of its own, so a browser
camera takes the same path as `vidstyle camera`: a stale frame is replaced, never queued.
All viewers share one backend through SharedStage, whose lock lets one frame at a time
through; each viewer holds at most one frame waiting for it, so the work is bounded by the
number of viewers.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from collections.abc import Callable, Iterator

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from ..frames import Frame
from ..live.session import run_live
from ..live.stage import Stage
from ..live.stats import LiveStats

log = logging.getLogger("vidstyle")
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)  # the RTP video clock


class SharedStage:
    """One stage (and so one backend) for every viewer's loop, itself a Stage: the lock lets
    one frame at a time through, and is the bound on work in flight."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self._lock = threading.Lock()
        self.model_ms = 0.0  # the last frame's time inside the backend

    def __call__(self, frame: Frame) -> Frame:
        with self._lock:
            started = time.perf_counter()
            result = self.stage(frame)
            self.model_ms = 1000.0 * (time.perf_counter() - started)
        return result


class LatestPixels:
    """The newest frame from the browser, waiting for the live loop; a newer one replaces it."""

    def __init__(self) -> None:
        self._pixels: np.ndarray | None = None
        self._ended = False
        self._cond = threading.Condition()

    def put(self, pixels: np.ndarray) -> None:
        with self._cond:
            self._pixels = pixels
            self._cond.notify_all()

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def __call__(self, stop: threading.Event) -> Iterator[np.ndarray]:
        """A FrameSource for run_live: yields until end() or stop."""
        while not stop.is_set():
            with self._cond:
                if self._pixels is None and not self._ended:
                    self._cond.wait(0.05)  # wakes on put(); the timeout only to see `stop`
                pixels, self._pixels = self._pixels, None
                if pixels is None and self._ended:
                    return
            if pixels is not None:
                yield pixels


class LatestTrack(MediaStreamTrack):
    """An outgoing video track that sends the newest frame handed to it and never repeats one."""

    kind = "video"

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._event_loop = loop
        self._pixels: np.ndarray | None = None
        self._ready = asyncio.Event()
        self._started_seconds: float | None = None
        self._last_pts = -1

    def offer(self, pixels: np.ndarray) -> None:
        """Thread-safe: called from the live loop's thread."""
        try:
            self._event_loop.call_soon_threadsafe(self._set, pixels)
        except RuntimeError:  # the event loop has closed: the server is stopping, nobody is watching
            pass

    def _set(self, pixels: np.ndarray) -> None:
        self._pixels = pixels
        self._ready.set()

    async def recv(self) -> av.VideoFrame:
        while self._pixels is None:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        pixels, self._pixels = self._pixels, None
        now = time.perf_counter()
        if self._started_seconds is None:
            self._started_seconds = now
        # Timestamps from the wall clock, so the browser plays frames when they arrive.
        pts = max(self._last_pts + 1, round((now - self._started_seconds) / VIDEO_TIME_BASE))
        self._last_pts = pts
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        return frame

    def stop(self) -> None:
        super().stop()
        self._event_loop.call_soon_threadsafe(self._ready.set)


class ViewerLoop:
    """One viewer's browser camera -> latest-wins live loop (own thread) -> LatestTrack."""

    def __init__(
        self, stage: SharedStage, output: LatestTrack, *, max_frame_side: int, on_end: Callable[[str | None], None]
    ) -> None:
        self.stage = stage
        self.output = output
        self.max_frame_side = max_frame_side
        self.on_end = on_end
        self.pixels = LatestPixels()
        self.stop = threading.Event()
        self.stats = LiveStats()  # bounded: a browser session may run for hours
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="vidstyle-viewer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        def show(frame: Frame) -> bool:
            assert frame.stylized is not None
            self.output.offer(frame.stylized)
            return not self.stop.is_set()

        try:
            run_live(self.pixels, self.stage, show, stop=self.stop, stats=self.stats)
        except Exception as exc:  # noqa: BLE001 - one viewer's failure must not stop the server
            self.error = f"stylizing failed: {exc}"
            log.error("a viewer's stream stopped: %s", exc)
        self.on_end(self.error)

    async def consume(self, track: MediaStreamTrack) -> None:
        """Read the browser's frames until the track ends; an oversized frame ends the viewer."""
        try:
            while not self.stop.is_set():
                frame = await track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue
                if max(frame.width, frame.height) > self.max_frame_side:
                    self.error = (
                        f"frame {frame.width}x{frame.height} is larger than the server's limit of "
                        f"{self.max_frame_side} pixels a side (--max-frame-side)"
                    )
                    break
                self.pixels.put(frame.to_ndarray(format="rgb24"))
        except MediaStreamError:
            pass
        finally:
            self.pixels.end()

    def close(self) -> None:
        self.stop.set()
        self.pixels.end()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def readouts(self) -> dict[str, float | int | str | None]:
        return readouts(self.stats, self.stage, self.error)


def readouts(stats: LiveStats, stage: SharedStage, error: str | None) -> dict[str, float | int | str | None]:
    """Server-side timings for the page: a frame's arrival to its stylized frame handed to the sender."""
    return {
        "server_ms": stats.recent_median_ms(),
        "model_ms": stage.model_ms,
        "frames": stats.displayed,
        "error": error,
    }
