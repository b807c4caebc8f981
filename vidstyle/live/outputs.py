"""Where the camera's stylized frames go: a window, a recording, a virtual camera; and the
checks, made before any camera or model is opened, that there is somewhere for them to go."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import torch

from ..atomic import atomic_output, check_output_path
from ..errors import VidstyleError
from ..frames import Frame, FrameBatch
from ..media.codecs import choose_codec, encoder_options
from ..media.encode import VideoWriter
from ..media.options import EncodeOptions
from .stats import LiveStats
from .styles import StyleSwitcher
from .window import WindowDisplay, display_problem

log = logging.getLogger("vidstyle")
STATUS_EVERY_SECONDS = 5.0  # without a window, a progress line this often
Display = Literal["auto", "on", "off"]


def choose_window(display: Display, *, record: str | os.PathLike[str] | None, virtual_cam: bool) -> bool:
    """Whether to open a window. auto: where one can be shown, else one note; on: a window or
    one error line. With no window, the frames must go somewhere else, or the run would only
    heat the machine: that is one error line too."""
    problem = "--display off" if display == "off" else display_problem()
    if display == "on" and problem:
        raise VidstyleError(f"cannot open a window: {problem}; use --display off with --record or --virtual-cam")
    if problem is None:
        return True
    if not (record or virtual_cam):
        raise VidstyleError(f"nothing to show or write: no window ({problem}), no --record and no --virtual-cam")
    if display == "auto":
        log.info(
            "no window: %s; frames go to %s only",
            problem,
            " and ".join(["--record"] * bool(record) + ["--virtual-cam"] * virtual_cam),
        )
    return False


def check_outputs(
    *,
    record: str | os.PathLike[str] | None,
    stats_json: str | os.PathLike[str] | None,
    inputs: Sequence[str | os.PathLike[str] | None] = (),
    overwrite: bool = True,
) -> None:
    """Fail with one line before the camera or any model is opened."""
    if record:
        # a name FFmpeg cannot mux (an image, no suffix) is refused now, not at the first frame
        choose_codec(Path(record), None)
    # through any symlinked folder
    if record and stats_json and os.path.realpath(record) == os.path.realpath(stats_json):
        raise VidstyleError(f"the recording and the stats JSON are the same file ({stats_json}); give each its own")
    for output in (record, stats_json):
        if output:
            check_output_path(output, inputs=inputs, overwrite=overwrite)


class LiveOutputs:
    """Where stylized frames go: a window, a recording, a virtual camera. The recording and the
    virtual camera open at the first frame, whose size they take."""

    def __init__(
        self,
        switcher: StyleSwitcher,
        stats: LiveStats,
        *,
        window: bool,
        record: str | os.PathLike[str] | None,
        virtual_cam: bool,
    ) -> None:
        self.stats = stats
        self.record = record
        self.virtual_cam = virtual_cam
        self.recorder: Recorder | None = None
        self.camera: Any = None
        self.window = WindowDisplay(switcher, stats=stats) if window else None
        self.last_status_seconds = time.perf_counter()

    def show(self, frame: Frame) -> bool:
        assert frame.stylized is not None
        height, width = frame.stylized.shape[:2]
        if self.record and self.recorder is None:
            self.recorder = Recorder(self.record, width, height)
        if self.virtual_cam and self.camera is None:
            self.camera = open_virtual_camera(width, height)
        if self.recorder is not None:
            self.recorder.write(frame)
        if self.camera is not None:
            self.camera.send(frame.stylized)
        if self.window is not None:
            return self.window(frame)
        if time.perf_counter() - self.last_status_seconds > STATUS_EVERY_SECONDS:
            self.last_status_seconds = time.perf_counter()
            log.info("%d frames shown, latency p50 %.0f ms", self.stats.displayed, self.stats.recent_median_ms() or 0)
        return True

    def idle(self) -> bool:
        """Keys still work while no new frame is ready."""
        return self.window.idle() if self.window is not None else True

    def close(self, *, ok: bool) -> None:
        try:
            if self.recorder is not None:
                self.recorder.close(ok=ok)
        finally:
            if self.camera is not None:
                self.camera.close()
            if self.window is not None:
                self.window.close()


class Recorder:
    """`--record`: the same atomic writer as `stylize`; pts in milliseconds, from a file's own
    timestamps (so a file not played in real time still records at its speed) or capture times."""

    def __init__(self, path: str | os.PathLike[str], width: int, height: int) -> None:
        codec = choose_codec(Path(path), None)  # the container's own: VP9 for .webm, H.264 for the rest
        crf, preset = encoder_options(codec, None, None)
        options = EncodeOptions(
            width=width,
            height=height,
            time_base=Fraction(1, 1000),
            rate_fps=Fraction(30),
            codec=codec,
            crf=crf,
            preset=preset,
            realtime=True,
        )
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_output(path))
        self.writer = VideoWriter(tmp, options)
        self._first_seconds: float | None = None
        self._last_pts = -1

    def write(self, frame: Frame) -> None:
        if frame.stylized is None:
            return
        seconds = frame.captured_seconds if frame.source_seconds is None else frame.source_seconds
        if self._first_seconds is None:
            self._first_seconds = seconds
        pts = max(self._last_pts + 1, round(1000 * (seconds - self._first_seconds)))
        self._last_pts = pts
        self.writer.write(
            FrameBatch(data=torch.from_numpy(frame.stylized)[None], pts=(pts,), time_base=Fraction(1, 1000))
        )

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


def open_virtual_camera(width: int, height: int) -> Any:
    try:
        import pyvirtualcam
    except ImportError:
        raise VidstyleError(
            "a virtual camera needs pyvirtualcam: pip install 'vidstyle[virtualcam]' "
            "(and on Linux the v4l2loopback kernel module)"
        ) from None
    try:
        return pyvirtualcam.Camera(width=width, height=height, fps=30, fmt=pyvirtualcam.PixelFormat.RGB)
    except RuntimeError as exc:
        raise VidstyleError(
            f"no virtual camera backend is available: {exc} (on Linux: sudo modprobe v4l2loopback)"
        ) from None
