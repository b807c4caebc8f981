"""One backend end to end: `stylize` on a clip, its steady rate with the opening left out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from vidstyle.context import RunContext
from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, stylize_video
from vidstyle.media.options import Trim

from .timing import Timing


def end_to_end(
    clip: Path,
    out: Path,
    runs: Any,
    ctx: RunContext,
    *,
    batch: int,
    max_side: int | None,
    preset: str,
    backend: str,
    frames: int,
) -> Timing:
    """`stylize` on `frames` frames of the clip, after a warm-up run (the backend's opening,
    compiling and first allocations): the steady rate is the extra frames of a full run over a
    short one, divided by the extra time, so the opening each run still pays is left out."""

    def seconds(limit: int) -> tuple[float, int]:
        started = time.perf_counter()
        done = stylize_video(
            clip,
            out,
            VideoOptions(
                model=runs,
                runtime=Runtime(
                    backend=backend, device=ctx.device.type, precision=ctx.precision, batch=batch, max_side=max_side
                ),
                encode=Encoding(preset=preset),
                trim=Trim(max_frames=limit),
            ),
            progress=False,
        ).frames
        return time.perf_counter() - started, done

    seconds(frames)  # warm-up
    process = psutil.Process()
    cpu_before, wall_before = process.cpu_times(), time.perf_counter()
    short_seconds, short = seconds(max(1, min(batch, frames // 4)))
    full_seconds, full = seconds(frames)
    cpu_after = process.cpu_times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    steady = full > short and full_seconds > short_seconds
    fps = (full - short) / (full_seconds - short_seconds) if steady else full / full_seconds
    config = {
        "backend": backend,
        "precision": ctx.precision,
        "batch": batch,
        "preset": preset,
        "frames_in_clip": full,
        "frames_short_run": short,
        "fps_with_opening": full / full_seconds,
        "steady": steady,
    }
    return Timing(
        stage="end-to-end",
        fps=fps,
        ms_p50=1000.0 / fps,
        ms_p95=1000.0 / fps,
        frames=full + short,
        config=config,
        cpu_percent=100.0 * cpu / (time.perf_counter() - wall_before),
    )
