"""`vidstyle camera` as a library call: live stylization where latency beats throughput.

Capture and inference run in threads of the one pipeline runner, joined by latest-wins
mailboxes: the newest frame always wins and a stale one is dropped, so latency stays
bounded however slow the model is. The outputs (window, recording, virtual camera) run
on the caller's thread.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from ..atomic import atomic_output, check_output_path
from ..backends import backend_for, create_backend, describe_run
from ..context import resolve_context
from ..errors import VidstyleError
from ..frames import Frame, FrameBatch
from ..media.capture import FrameSource, open_source
from ..media.encode import VideoWriter
from ..media.options import EncodeOptions
from ..modelfile import load_model
from ..pipeline import run_pipeline
from ..stylizer import FrameStylizer
from ..stylemix import StyleChoice, style_index
from .livestyles import LiveStylizer

log = logging.getLogger("vidstyle")
STATUS_EVERY_SECONDS = 5.0  # without a window, a progress line this often


def load_live_stylizer(
    models: Sequence[str | os.PathLike[str] | None], *, backend: str | None = None, device: str = "auto", precision: str = "fp32", max_side: int | None = 480,
    styles: StyleChoice = StyleChoice(),
) -> LiveStylizer:
    """One backend per model (None: the bundled style), named after the model files; each
    file's suffix picks its backend (.onnx: onnxruntime, .engine: tensorrt)."""
    ctx = resolve_context(device, precision)
    stylizers, names = [], []
    for path in models:
        name = backend_for(path, backend)
        model = load_model(path) if name == "torch" else None
        log.info("%s", describe_run(model or path, name, ctx))
        stylizers.append(FrameStylizer(create_backend(name, model, ctx, engine_path=None if model else str(path)), ctx, max_side=max_side))
        names.append(Path(model.source if model else str(path)).stem)
    # The style choice picks the starting style (or mix) of the first model.
    if stylizers:
        stylizers[0].styles = styles.resolve(list(stylizers[0].backend.style_names))
    live = LiveStylizer(stylizers, names)
    if styles.style is not None and stylizers[0].styles is not None:
        live.index = style_index(styles.style, list(stylizers[0].backend.style_names))
    return live


@dataclass
class LiveStats:
    latencies_ms: list[float] = field(default_factory=list)
    displayed: int = 0
    started_seconds: float = field(default_factory=time.perf_counter)

    def record(self, frame: Frame, now_seconds: float) -> None:
        self.latencies_ms.append(1000.0 * (now_seconds - frame.captured_seconds))
        self.displayed += 1

    def summary(self, dropped: int, captured: int) -> dict[str, float | int]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        seconds = max(time.perf_counter() - self.started_seconds, 1e-9)
        return {
            "frames_captured": captured,
            "frames_displayed": self.displayed,
            "frames_dropped": dropped,
            "fps": self.displayed / seconds,
            "latency_ms_p50": float(np.percentile(lat, 50)),
            "latency_ms_p95": float(np.percentile(lat, 95)),
            "seconds": seconds,
        }


def run_live(
    frames: FrameSource,
    stylizer: LiveStylizer,
    show: Callable[[Frame], bool],
    *,
    max_frames: int | None = None,
    stop: threading.Event | None = None,
    stats: LiveStats | None = None,
    on_idle: Callable[[], bool] | None = None,
) -> dict[str, float | int]:
    """Capture and infer in threads; `show(frame)` runs on the calling thread, False quits."""
    stop = stop or threading.Event()
    stats = stats if stats is not None else LiveStats()

    def captured() -> Iterator[Frame]:
        for i, pixels in enumerate(itertools.islice(frames(stop), max_frames)):
            yield Frame(pixels=pixels, captured_seconds=time.perf_counter(), index=i)

    def display(frame: Frame) -> bool:
        stats.record(frame, time.perf_counter())
        return show(frame)

    result = run_pipeline(captured(), stylizer, display, channel="latest", stop=stop, on_idle=on_idle)
    return stats.summary(result.dropped, result.produced)


def run_camera(
    source: str,
    stylizer: LiveStylizer | Callable[[], LiveStylizer],
    *,
    display: Literal["window", "none"] = "window",
    record: str | os.PathLike[str] | None = None,
    virtual_cam: bool = False,
    realtime: bool = False,
    max_frames: int | None = None,
    stats_json: str | os.PathLike[str] | None = None,
    stop: threading.Event | None = None,
    overwrite: bool = True,
) -> dict[str, float | int]:
    """The camera session: checks first, then the live loop until the source ends, `q`,
    max_frames, `stop` or Ctrl-C (a normal way to stop: the recording is kept).

    `stylizer` may be a function that loads one, so a bad display or path fails before
    any model is loaded. Neither output may be the source, nor exist unless `overwrite`.
    """
    check_outputs(display=display, record=record, stats_json=stats_json, inputs=[source], overwrite=overwrite)
    frames = open_source(source, realtime=realtime)
    stylizer = stylizer if isinstance(stylizer, LiveStylizer) else stylizer()
    stats = LiveStats()
    outputs = LiveOutputs(stylizer, stats, window=display == "window", record=record, virtual_cam=virtual_cam)
    ok = False
    try:
        summary = run_live(frames, stylizer, outputs.show, max_frames=max_frames, stop=stop, stats=stats, on_idle=outputs.idle)
        ok = True
    except KeyboardInterrupt:
        ok = True
        summary = stats.summary(0, stats.displayed)
    finally:
        outputs.close(ok=ok)
    if stats_json:
        with atomic_output(stats_json) as tmp:
            tmp.write_text(json.dumps(summary | {"styles": stylizer.names}, indent=2))
    if summary["frames_displayed"] == 0:
        raise VidstyleError(f"no frames came from {source}")
    return summary


def check_outputs(
    *,
    display: Literal["window", "none"],
    record: str | os.PathLike[str] | None,
    stats_json: str | os.PathLike[str] | None,
    inputs: Sequence[str | os.PathLike[str] | None] = (),
    overwrite: bool = True,
) -> None:
    """Fail with one line before the camera or any model is opened."""
    if display == "window":
        from ..window import check_display

        check_display()
    for output in (record, stats_json):
        if output:
            check_output_path(output, inputs=inputs, overwrite=overwrite)


class LiveOutputs:
    """Where stylized frames go: a window, a recording, a virtual camera. The recording and the
    virtual camera open at the first frame, whose size they take."""

    def __init__(self, stylizer: LiveStylizer, stats: LiveStats, *, window: bool, record: str | os.PathLike[str] | None, virtual_cam: bool) -> None:
        self.stats = stats
        self.record = record
        self.virtual_cam = virtual_cam
        self.recorder: Recorder | None = None
        self.camera: Any = None
        self.window: Any = None
        if window:
            from ..window import WindowDisplay

            self.window = WindowDisplay(stylizer, stats=stats)
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
            return bool(self.window(frame))
        if time.perf_counter() - self.last_status_seconds > STATUS_EVERY_SECONDS:
            self.last_status_seconds = time.perf_counter()
            recent = sorted(self.stats.latencies_ms[-50:])
            log.info("%d frames shown, latency p50 %.0f ms", self.stats.displayed, recent[len(recent) // 2] if recent else 0)
        return True

    def idle(self) -> bool:
        """Keys still work while no new frame is ready."""
        return bool(self.window.idle()) if self.window is not None else True

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
    """`--record`: the same atomic writer as `stylize`; pts are capture times in milliseconds."""

    def __init__(self, path: str | os.PathLike[str], width: int, height: int) -> None:
        options = EncodeOptions(width=width, height=height, time_base=Fraction(1, 1000), rate_fps=Fraction(30), preset="veryfast")
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_output(path))
        self.writer = VideoWriter(tmp, options)
        self._first_seconds: float | None = None
        self._last_pts = -1

    def write(self, frame: Frame) -> None:
        if frame.stylized is None:
            return
        if self._first_seconds is None:
            self._first_seconds = frame.captured_seconds
        pts = max(self._last_pts + 1, round(1000 * (frame.captured_seconds - self._first_seconds)))
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


def open_virtual_camera(width: int, height: int) -> Any:
    try:
        import pyvirtualcam
    except ImportError:
        raise VidstyleError("a virtual camera needs pyvirtualcam: pip install 'vidstyle[virtualcam]' (and on Linux the v4l2loopback kernel module)") from None
    try:
        return pyvirtualcam.Camera(width=width, height=height, fps=30, fmt=pyvirtualcam.PixelFormat.RGB)
    except RuntimeError as exc:
        raise VidstyleError(f"no virtual camera backend is available: {exc} (on Linux: sudo modprobe v4l2loopback)") from None
