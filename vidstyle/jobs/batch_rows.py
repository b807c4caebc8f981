"""The rows of `vidstyle batch`: a file to do, and a file's result. Their own module, so the
driver (batch), the Ray side (batch_ray) and the worker (batch_worker) share them without
importing one another."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["done", "failed", "skipped"]


@dataclass(frozen=True)
class BatchItem:
    input: Path
    output: Path


@dataclass
class BatchRow:
    """One file's result, as a worker returns it and as batch-report.json lists it."""

    input: str
    output: str
    status: Status
    frames: int = 0
    fps: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    worker_peak_rss_mb: float | None = None  # the worker process's peak so far: what a worker costs
