"""stylize_video as the job tests call it: on the CPU, without a progress bar."""

from __future__ import annotations

import os
from typing import Any

from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, VideoResult, stylize_video


def cpu(**runtime: Any) -> Runtime:
    return Runtime(device="cpu", **runtime)


def run(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    model: Any,
    *,
    runtime: Runtime | None = None,
    encode: Encoding = Encoding(),
    temporal_blend: float = 0.0,
    **job: Any,
) -> VideoResult:
    """`job`: stylize_video's own keywords (keep_partial, on_batch, stop, overwrite)."""
    options = VideoOptions(model=model, runtime=runtime or cpu(), encode=encode, temporal_blend=temporal_blend)
    return stylize_video(src, out, options, progress=False, **job)
