"""The worker of `vidstyle batch`: Ray Data makes one actor of it per worker, so the model is
loaded once per worker, not once per file. It imports nothing of Ray: it is a plain callable
class that takes a batch of rows (input and output paths) and returns a batch of result rows."""

from __future__ import annotations

import dataclasses
import os
import resource
import socket
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..backends import runnable_model
from .batch_rows import BatchRow
from .video import stylize_video
from .video_options import VideoOptions

# Result columns as Ray Data carries them: flat scalars, so every block has the same schema
# whatever a file's notes or error (lists and None would change a block's inferred types).
COLUMNS = ("input", "output", "status", "frames", "fps", "seconds", "notes", "error", "worker_peak_rss_mb")
NOTE_SEPARATOR = "\n"


class BatchWorker:
    def __init__(self, options: VideoOptions, *, overwrite: bool, threads: int, progress: Any = None) -> None:
        # Ray reserves `threads` CPUs for this worker; torch would otherwise use every core of the
        # node and the workers on one node would fight over them.
        torch.set_num_threads(max(1, threads))
        # Once per worker: the weights, or the exported file found (the driver has checked both).
        self.options = dataclasses.replace(options, model=runnable_model(options.model, options.runtime.backend))
        self.overwrite = overwrite
        self.progress = progress  # a Ray actor counting frames for the driver's bar, or None
        if progress is not None:  # so that a stopped run can end this process (see ray_session.shut_down)
            progress.register.remote(socket.gethostname(), os.getpid())

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        rows = [self.stylize_one(Path(str(i)), Path(str(o))) for i, o in zip(batch["input"], batch["output"])]
        return {
            column: [
                NOTE_SEPARATOR.join(r.notes)
                if column == "notes"
                else (r.error or "")
                if column == "error"
                else getattr(r, column)
                for r in rows
            ]
            for column in COLUMNS
        }

    def stylize_one(self, input: Path, output: Path) -> BatchRow:
        """stylize_video, with any failure turned into the row's error so the other files go on."""
        output.parent.mkdir(parents=True, exist_ok=True)
        on_batch = (lambda frames: self.progress.add.remote(len(frames))) if self.progress is not None else None
        started = time.perf_counter()
        try:
            result = stylize_video(
                input, output, self.options, overwrite=self.overwrite, progress=False, on_batch=on_batch
            )
        except Exception as exc:  # noqa: BLE001  one bad file must not end the batch
            return BatchRow(
                str(input),
                str(output),
                "failed",
                seconds=time.perf_counter() - started,
                error=_one_line(exc),
                worker_peak_rss_mb=_peak_rss_mb(),
            )
        return BatchRow(
            str(input),
            str(result.output),
            "done",
            frames=result.frames,
            fps=result.fps,
            seconds=result.seconds,
            notes=[result.audio, *result.notes] if result.audio not in result.notes else result.notes,
            worker_peak_rss_mb=_peak_rss_mb(),
        )


def _one_line(exc: Exception) -> str:
    """A user's error is its message; anything else is named by its type too, since it is a bug."""
    from ..errors import VidstyleError

    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, VidstyleError) else f"{type(exc).__name__}: {text}"


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes on macOS, KiB on Linux
