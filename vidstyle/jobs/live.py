"""`vidstyle camera` as a library call: live stylization where latency beats throughput.

Capture and inference run in threads of the one pipeline runner, joined by latest-wins
mailboxes: the newest frame always wins and a stale one is dropped, so latency stays
bounded however slow the model is. The outputs (window, recording, virtual camera) run
on the caller's thread.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..atomic import atomic_output
from ..context import resolve_context
from ..errors import VidstyleError
from ..frames import Frame
from ..media.capture import FileFrames, FrameSource, is_file_source, open_source
from ..pipeline import run_pipeline
from ..stylizer import FrameStylizer
from ..stylemix import StyleChoice, describe_mix, style_index
from .livestyles import LiveStylizer
from .live_outputs import Display, LiveOutputs, check_outputs, choose_window

log = logging.getLogger("vidstyle")


def load_live_stylizer(
    models: Sequence[str | os.PathLike[str] | None], *, backend: str | None = None, device: str = "auto", precision: str = "fp32", max_side: int | None = 480,
    styles: StyleChoice = StyleChoice(),
) -> LiveStylizer:
    """One backend per model (None: the bundled style), named after the model files; each
    file's suffix picks its backend (.onnx: onnxruntime, .engine: tensorrt)."""
    ctx = resolve_context(device, precision)
    # The style choice picks the starting style (or mix) of the first model.
    stylizers = [FrameStylizer.open(path, backend, ctx=ctx, max_side=max_side, styles=styles if i == 0 else StyleChoice()) for i, path in enumerate(models)]
    names = [stylizer.name for stylizer in stylizers]
    live = LiveStylizer(stylizers, names)
    first = list(stylizers[0].backend.style_names) if stylizers else []
    if styles.style is not None and stylizers[0].styles is not None:
        live.index = style_index(styles.style, first)
        live.label = live.entries[live.index].name
    elif styles.mix is not None and stylizers[0].styles is not None:
        live.label = describe_mix(stylizers[0].styles.at(0.0), first)
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
    every_frame: bool = False,
) -> dict[str, float | int]:
    """Capture and infer in threads; `show(frame)` runs on the calling thread, False quits.

    Live, the newest frame wins and a stale one is dropped (counted: displayed + dropped =
    captured); every_frame (a file not played in real time) queues them instead, so none is lost.
    """
    stop = stop or threading.Event()
    stats = stats if stats is not None else LiveStats()

    def captured() -> Iterator[Frame]:
        for i, pixels in enumerate(itertools.islice(frames(stop), max_frames)):
            # A file's own timestamp is read as each frame is yielded, on this same thread.
            source_seconds = frames.last_seconds if isinstance(frames, FileFrames) else None
            yield Frame(pixels=pixels, captured_seconds=time.perf_counter(), index=i, source_seconds=source_seconds)

    def display(frame: Frame) -> bool:
        stats.record(frame, time.perf_counter())
        return show(frame)

    result = run_pipeline(captured(), stylizer, display, channel="queue" if every_frame else "latest", stop=stop, on_idle=on_idle)
    return stats.summary(result.dropped, result.produced)


def run_camera(
    source: str,
    stylizer: LiveStylizer | Callable[[], LiveStylizer],
    *,
    display: Display = "auto",
    record: str | os.PathLike[str] | None = None,
    virtual_cam: bool = False,
    realtime: bool = True,
    max_frames: int | None = None,
    stats_json: str | os.PathLike[str] | None = None,
    stop: threading.Event | None = None,
    overwrite: bool = True,
    inputs: Sequence[str | os.PathLike[str] | None] = (),
) -> dict[str, float | int]:
    """The camera session: checks first, then the live loop until the source ends, `q`,
    max_frames, `stop` or Ctrl-C (a normal way to stop: the recording is kept).

    A file source plays at its own timestamps (realtime) with late frames dropped, or, with
    realtime=False, every frame goes through as fast as the model allows. `stylizer` may be a
    function that loads one, so a bad display or path fails before any model is loaded.
    Neither output may be the source or one of `inputs` (the model files), nor exist unless `overwrite`.
    """
    window = choose_window(display, record=record, virtual_cam=virtual_cam)
    check_outputs(record=record, stats_json=stats_json, inputs=[source, *inputs], overwrite=overwrite)
    frames = open_source(source, realtime=realtime)
    every_frame = is_file_source(source) and not realtime
    stylizer = stylizer if isinstance(stylizer, LiveStylizer) else stylizer()
    stats = LiveStats()
    outputs = LiveOutputs(stylizer, stats, window=window, record=record, virtual_cam=virtual_cam)
    ok = False
    try:
        summary = run_live(frames, stylizer, outputs.show, max_frames=max_frames, stop=stop, stats=stats, on_idle=outputs.idle, every_frame=every_frame)
        ok = True
    except KeyboardInterrupt:
        ok = True
        summary = stats.summary(0, stats.displayed)
    finally:
        outputs.close(ok=ok)
    if stats_json:
        with atomic_output(stats_json, inputs=[source, *inputs], overwrite=overwrite) as tmp:
            tmp.write_text(json.dumps(summary | {"styles": stylizer.names}, indent=2))
    if summary["frames_displayed"] == 0:
        raise VidstyleError(f"no frames came from {source}")
    return summary
