"""`vidstyle camera`: live stylization where latency beats throughput.

Capture, inference and display run concurrently. Between them sit single-slot mailboxes,
not queues: the newest frame always wins and a stale one is dropped, so latency stays
bounded however slow the model is.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from .errors import VidstyleError
from .frames import Frame, FrameBatch
from .stylizer import FrameStylizer

log = logging.getLogger("vidstyle")


@dataclass
class LiveStats:
    latencies_ms: list[float] = field(default_factory=list)
    displayed: int = 0
    started: float = field(default_factory=time.perf_counter)

    def record(self, frame: Frame, now: float) -> None:
        self.latencies_ms.append(1000.0 * (now - frame.captured_seconds))
        self.displayed += 1

    def summary(self, dropped: int, captured: int) -> dict[str, float | int]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        seconds = max(time.perf_counter() - self.started, 1e-9)
        return {
            "frames_captured": captured,
            "frames_displayed": self.displayed,
            "frames_dropped": dropped,
            "fps": self.displayed / seconds,
            "latency_ms_p50": float(np.percentile(lat, 50)),
            "latency_ms_p95": float(np.percentile(lat, 95)),
            "seconds": seconds,
        }


def file_frames(path: str, *, realtime: bool, stop: threading.Event) -> Iterator[np.ndarray]:
    """Frames of a file through PyAV; with realtime, paced at the file's own timestamps."""
    from .media.decode import read_batches

    start_wall: float | None = None
    start_pts = 0.0
    for batch in read_batches(path, 1):
        if stop.is_set():
            return
        if realtime:
            pts = batch.pts_seconds[0]
            if start_wall is None:
                start_wall, start_pts = time.perf_counter(), pts
            delay = (pts - start_pts) - (time.perf_counter() - start_wall)
            if delay > 0:
                time.sleep(delay)
        yield batch.data[0].numpy()


def device_frames(source: str, *, stop: threading.Event) -> Iterator[np.ndarray]:
    """A camera index, device path or URL through OpenCV VideoCapture."""
    import cv2

    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        raise VidstyleError(f"cannot open camera source {source!r} (no such device, or no permission)")
    try:
        while not stop.is_set():
            ok, bgr = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()  # the camera is free again even when the loop fails


def is_file_source(source: str) -> bool:
    return not (source.isdigit() or source.startswith("/dev/video") or "://" in source)


class LiveStylizer:
    """The inference stage, with the style list the `n`/`p` keys (and tests) switch through."""

    def __init__(self, stylizers: list[FrameStylizer], names: list[str], *, delay_seconds: float = 0.0) -> None:
        if not stylizers:
            raise VidstyleError("no style models given")
        self.stylizers = stylizers
        self.names = names
        self.index = 0
        self.delay_seconds = delay_seconds  # test hook: a slower model than the source

    def switch(self, step: int) -> str:
        """Next (+1) or previous (-1) style; takes effect on the next frame inferred."""
        self.index = (self.index + step) % len(self.stylizers)
        return self.names[self.index]

    def __call__(self, frame: Frame) -> Frame:
        index = self.index
        out = self.stylizers[index](torch.from_numpy(frame.pixels)[None])[0].numpy()
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        frame.stylized, frame.style_index = out, index
        return frame


def run_live(
    frames: Callable[[threading.Event], Iterator[np.ndarray]],
    stylizer: LiveStylizer,
    show: Callable[[Frame], bool],
    *,
    max_frames: int | None = None,
    stop: threading.Event | None = None,
    stats: LiveStats | None = None,
    on_idle: Callable[[], bool] | None = None,
) -> dict[str, float | int]:
    """Capture and infer in threads; `show` runs on the calling thread and returns False to quit."""
    from .pipeline import run_pipeline

    stop = stop or threading.Event()
    stats = stats or LiveStats()

    def captured() -> Iterator[Frame]:
        for i, pixels in enumerate(itertools.islice(frames(stop), max_frames)):
            yield Frame(pixels=pixels, captured_seconds=time.perf_counter(), index=i)

    def display(frame: Frame) -> bool:
        stats.record(frame, time.perf_counter())
        return show(frame)

    result = run_pipeline(captured(), stylizer, display, channel="latest", stop=stop, on_idle=on_idle)
    return stats.summary(result.dropped, result.produced)


class Recorder:
    """`--record`: the same atomic writer as `stylize`; pts are capture times in milliseconds."""

    def __init__(self, path: str, width: int, height: int) -> None:
        from .atomic import atomic_output
        from .media.encode import VideoWriter
        from .media.options import EncodeOptions

        options = EncodeOptions(width=width, height=height, time_base=Fraction(1, 1000), rate_fps=Fraction(30), preset="veryfast")
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_output(path))
        self.writer = VideoWriter(tmp, options)
        self._first: float | None = None
        self._last_pts = -1

    def write(self, frame: Frame) -> None:
        if frame.stylized is None:
            return
        if self._first is None:
            self._first = frame.captured_seconds
        pts = max(self._last_pts + 1, round(1000 * (frame.captured_seconds - self._first)))
        self._last_pts = pts
        self.writer.write(FrameBatch(data=torch.from_numpy(frame.stylized)[None], pts=(pts,), time_base=Fraction(1, 1000)))

    def close(self, *, ok: bool = True) -> None:
        """Finalise and move into place (ok), or discard the temp file after an error."""
        try:
            self.writer.close()
        except Exception:
            ok = False
            raise
        finally:
            if ok:
                self._stack.close()
            else:
                self._stack.__exit__(RuntimeError, RuntimeError("recording failed"), None)


def check_display() -> None:
    """Fail with one line, before opening anything, when a window cannot be shown."""
    import os
    import sys

    import cv2

    gui = "GUI:" in cv2.getBuildInformation() and "NONE" not in cv2.getBuildInformation().split("GUI:")[1].splitlines()[0]
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise VidstyleError("no display available (DISPLAY is not set); use --display none with --virtual-cam or --record")
    if not gui:
        raise VidstyleError("this OpenCV has no GUI support (opencv-python-headless); use --display none with --virtual-cam or --record, or install opencv-python for a window")


def stats_path_ok(path: str | None) -> None:
    if path and not Path(path).parent.is_dir():
        raise VidstyleError(f"--stats-json folder does not exist: {Path(path).parent}")
