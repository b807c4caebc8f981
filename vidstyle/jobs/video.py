"""`vidstyle stylize` as a library call: a video file in, a stylized file out, everything else
(timestamps, audio, rotation) kept. Three steps: plan_video (video_plan) checks everything
before anything is opened or written; open_video (video_run) opens the stylizer and a writer
into a hidden temp file; run_video drives the pipeline. stylize_video does all three.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import partial_path_for
from ..frames import FrameBatch
from ..media.decode import DecodeStats
from ..media.options import Trim
from .notes import decode_notes
from .video_options import Encoding, Runtime, VideoOptions
from .video_plan import plan_video
from .video_run import StoppedEarly, open_video, run_video

__all__ = ["Encoding", "Runtime", "VideoOptions", "VideoResult", "stylize_video"]


@dataclass
class VideoResult:
    output: Path
    frames: int
    seconds: float
    corrupt_packets: int
    audio: str
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def stylize_video(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: VideoOptions | None = None,
    *,
    overwrite: bool = True,
    keep_partial: bool = False,
    progress: bool = True,
    on_batch: Callable[[FrameBatch], None] | None = None,
    stop: threading.Event | None = None,
) -> VideoResult:
    """Stylize `input` into `output` as `options` say (None: the bundled style, defaults).
    Nothing appears at `output` unless the run succeeds. Interrupted with keep_partial
    (Ctrl-C or `stop`), a playable file of the frames done is kept: at `output` when that did
    not exist, else beside it (atomic.partial_path_for). The input is never written over; an
    existing output only with `overwrite`.

    `stop`, set from another thread, ends the run early: the result says interrupted.
    """
    plan = plan_video(input, output, options or VideoOptions(), overwrite=overwrite, keep_partial=keep_partial)
    started = time.perf_counter()
    stats = DecodeStats()
    notes: list[str] = []
    audio_note = "audio: none in the input"
    written = partial_path_for(plan.output) if plan.keep_partial else plan.output
    frames = 0
    stopped = False
    try:
        with open_video(plan, notes) as session:
            audio_note = session.writer.audio_action or audio_note
            try:
                run_video(plan, session, stats, progress=progress, on_batch=on_batch, stop=stop)
            finally:
                frames = session.writer.frames_written  # decoded frames may be ahead of it on a stop
        written = plan.output
    except StoppedEarly:
        stopped = True
    # a stop or a trim leaves frames undecoded on purpose: no truncation
    if not stopped and plan.options.trim == Trim():
        notes += decode_notes(stats, plan.info)
    return VideoResult(
        output=written,
        frames=frames,
        seconds=time.perf_counter() - started,
        corrupt_packets=stats.corrupt_packets,
        audio=audio_note,
        notes=notes,
        interrupted=stopped,
    )
