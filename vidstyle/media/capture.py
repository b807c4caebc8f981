"""Live sources for the camera: a device or stream through OpenCV, or a file through the
one decode loop, optionally paced at its own timestamps like a camera."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from ..errors import VidstyleError
from .decode import read_batches
from .probe import probe

FrameSource = Callable[[threading.Event], Iterator[np.ndarray]]


def is_file_source(source: str) -> bool:
    return not (source.isdigit() or source.startswith("/dev/video") or "://" in source)


def open_source(source: str, *, realtime: bool) -> FrameSource:
    """A camera index, /dev/videoN, a URL, or a video file; a bad file fails here with one line."""
    if not is_file_source(source):
        return lambda stop: device_frames(source, stop=stop)
    probe(source)
    return FileFrames(source, realtime=realtime)


class FileFrames:
    """A video file as a live source: paced at its own timestamps like a camera (realtime), or
    every frame as fast as the consumer takes them.

    Paced, the file's clock waits when the decoder falls behind (a stall, as a player buffers)
    instead of the frames being thrown away: frames are dropped only where the model cannot
    keep up, by the live loop's latest-wins mailbox, which counts them.
    """

    def __init__(self, path: str, *, realtime: bool) -> None:
        self.path = path
        self.realtime = realtime
        self.last_seconds = 0.0  # the pts of the frame just yielded

    def __call__(self, stop: threading.Event) -> Iterator[np.ndarray]:
        start_wall: float | None = None
        start_pts = 0.0
        for batch in read_batches(self.path, 1):
            if stop.is_set():
                return
            pts = batch.pts_seconds[0]
            if self.realtime:
                if start_wall is None:
                    start_wall, start_pts = time.perf_counter(), pts
                delay = (pts - start_pts) - (time.perf_counter() - start_wall)
                if delay < 0:  # decoded late: this frame is due now, and the clock moves with it
                    start_wall -= delay
                elif stop.wait(delay):  # a long gap still ends promptly on a stop
                    return
            self.last_seconds = pts
            yield batch.data[0].numpy()


def file_frames(path: str, *, realtime: bool, stop: threading.Event) -> Iterator[np.ndarray]:
    """uint8 RGB frames of a file; with realtime, paced at the file's own timestamps."""
    return FileFrames(path, realtime=realtime)(stop)


def device_frames(source: str, *, stop: threading.Event) -> Iterator[np.ndarray]:
    """A camera index, device path or URL through OpenCV VideoCapture, as uint8 RGB."""
    import cv2

    # OpenCV logs a dozen lines while it tries each backend on a missing camera; the one line
    # below says what matters, so its logging is off for the open alone.
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    finally:
        cv2.utils.logging.setLogLevel(level)
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
