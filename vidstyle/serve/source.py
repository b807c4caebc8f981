"""`serve --source`: a camera or file on the server, stylized once and sent to every viewer.

One live loop (live/session, latest-wins) runs for the whole server; each viewer subscribes two
outgoing tracks, the source's own frames and the stylized ones. A file source starts over at
its end, so a preview of a clip keeps playing.
"""

from __future__ import annotations

import logging
import threading

from ..frames import Frame
from ..live.session import run_live
from ..live.stats import LiveStats
from ..media.capture import FrameSource, is_file_source
from .peers import LatestTrack, SharedStage, readouts

log = logging.getLogger("vidstyle")


class SourceLoop:
    def __init__(self, name: str, frames: FrameSource, stage: SharedStage) -> None:
        self.name = name
        self.frames = frames
        self.stage = stage
        self.stop = threading.Event()
        self.stats = LiveStats()  # bounded: a server runs for days
        self.error: str | None = None
        self._viewers: dict[int, tuple[LatestTrack, LatestTrack]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="vidstyle-source", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.stop.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _show(self, frame: Frame) -> bool:
        assert frame.stylized is not None
        with self._lock:
            viewers = list(self._viewers.values())
        for camera, output in viewers:
            camera.offer(frame.pixels)
            output.offer(frame.stylized)
        return not self.stop.is_set()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                run_live(self.frames, self.stage, self._show, stop=self.stop, stats=self.stats)
                if not is_file_source(self.name):
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the viewers; the server stays up
            self.error = f"the server's source {self.name} failed: {exc}"
            log.error("%s", self.error)
        else:
            if not self.stop.is_set():
                self.error = f"the server's source {self.name} ended"

    def subscribe(self, camera: LatestTrack, output: LatestTrack) -> "Subscription":
        with self._lock:
            self._viewers[id(camera)] = (camera, output)
        return Subscription(self, id(camera))

    def unsubscribe(self, key: int) -> None:
        with self._lock:
            self._viewers.pop(key, None)


class Subscription:
    """One viewer of the shared source: what ViewerLoop is for a browser camera."""

    def __init__(self, source: SourceLoop, key: int) -> None:
        self.source = source
        self.key = key

    def close(self) -> None:
        self.source.unsubscribe(self.key)

    def readouts(self) -> dict[str, float | int | str | None]:
        return readouts(self.source.stats, self.source.stage, self.source.error)
