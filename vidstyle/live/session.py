"""`vidstyle camera` as a library call: live stylization where latency beats throughput.

Capture and inference run in threads of the one pipeline runner, joined by latest-wins
mailboxes: the newest frame always wins and a stale one is dropped, so latency stays
bounded however slow the model is. The outputs (window, recording, virtual camera) run
on the caller's thread.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from ..atomic import atomic_output
from ..errors import VidstyleError
from ..frames import Frame
from ..media.capture import FileFrames, FrameSource, is_file_source, open_source
from ..pipeline import run_pipeline
from .outputs import Display, LiveOutputs, check_outputs, choose_window
from .stage import Stage
from .stats import LiveStats
from .styles import StyleSwitcher


def run_live(
    frames: FrameSource,
    stage: Stage,
    show: Callable[[Frame], bool],
    *,
    max_frames: int | None = None,
    stop: threading.Event | None = None,
    stats: LiveStats | None = None,
    on_idle: Callable[[], bool] | None = None,
    every_frame: bool = False,
) -> dict[str, float | int]:
    """Capture, and run `stage` on each frame, in threads; `show(frame)` runs on the calling
    thread, False quits.

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

    result = run_pipeline(
        captured(), stage, display, channel="queue" if every_frame else "latest", stop=stop, on_idle=on_idle
    )
    return stats.summary(result.dropped, result.produced)


def run_camera(
    source: str,
    switcher: StyleSwitcher | Callable[[], StyleSwitcher],
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
    realtime=False, every frame goes through as fast as the model allows. `switcher` may be a
    function that loads it, so a bad display or path fails before any model is loaded.
    Neither output may be the source or one of `inputs` (the model files), nor exist unless `overwrite`.
    """
    window = choose_window(display, record=record, virtual_cam=virtual_cam)
    check_outputs(record=record, stats_json=stats_json, inputs=[source, *inputs], overwrite=overwrite)
    frames = open_source(source, realtime=realtime)
    every_frame = is_file_source(source) and not realtime
    switcher = switcher if isinstance(switcher, StyleSwitcher) else switcher()
    stats = LiveStats()
    outputs = LiveOutputs(switcher, stats, window=window, record=record, virtual_cam=virtual_cam)
    ok = False
    try:
        summary = run_live(
            frames,
            switcher,
            outputs.show,
            max_frames=max_frames,
            stop=stop,
            stats=stats,
            on_idle=outputs.idle,
            every_frame=every_frame,
        )
        ok = True
    except KeyboardInterrupt:
        ok = True
        summary = stats.summary(0, stats.displayed)
    finally:
        outputs.close(ok=ok)
    if stats_json:
        with atomic_output(stats_json, overwrite=overwrite) as tmp:
            tmp.write_text(json.dumps(summary | {"styles": switcher.names}, indent=2))
    if summary["frames_displayed"] == 0:
        raise VidstyleError(f"no frames came from {source}")
    return summary
