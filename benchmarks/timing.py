"""The timing discipline every bench stage shares: warm up first; on CUDA synchronise before
reading the clock; report the median of repeats; time off the main thread, as `stylize` runs
its stages. Also the measured matmul peak the roofline line divides by."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np
import psutil
import torch

from vidstyle.context import RunContext

T = TypeVar("T")


@dataclass
class Timing:
    stage: str
    fps: float
    ms_p50: float
    ms_p95: float
    frames: int
    config: dict[str, Any] = field(default_factory=dict)
    cpu_percent: float = 0.0
    peak_gpu_mb: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sync(ctx: RunContext) -> None:
    if ctx.is_cuda:
        torch.cuda.synchronize(ctx.device)


def measure(
    stage: str,
    call: Callable[[int], int],
    ctx: RunContext,
    *,
    repeats: int,
    warmup: int = 1,
    config: dict[str, Any] | None = None,
) -> Timing:
    """call(i) does the i-th unit of work and returns how many frames it handled.

    It runs in a thread of its own, as each stage of `stylize` does: torch's OpenMP team on
    the main thread spin-waits at every barrier, and on a CPU shared with other work that
    made the model alone measure slower than the whole pipeline around it.
    """
    return off_main_thread(lambda: _measure(stage, call, ctx, repeats=repeats, warmup=warmup, config=config))


def off_main_thread(work: Callable[[], T]) -> T:
    """work() on a thread of its own; its result, or its exception, comes back here."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="bench-measure")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]


def _measure(
    stage: str, call: Callable[[int], int], ctx: RunContext, *, repeats: int, warmup: int, config: dict[str, Any] | None
) -> Timing:
    for i in range(warmup):
        call(i)
    _sync(ctx)
    if ctx.is_cuda:
        torch.cuda.reset_peak_memory_stats(ctx.device)
    process = psutil.Process()
    cpu_before = process.cpu_times()
    wall_before = time.perf_counter()
    per_frame_ms: list[float] = []
    frames = 0
    for i in range(repeats):
        start = time.perf_counter()
        n = call(warmup + i)
        _sync(ctx)
        elapsed = time.perf_counter() - start
        frames += n
        per_frame_ms.append(1000.0 * elapsed / max(n, 1))
    wall = time.perf_counter() - wall_before
    cpu_after = process.cpu_times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    p50 = statistics.median(per_frame_ms)
    p95 = float(np.percentile(per_frame_ms, 95))
    peak = torch.cuda.max_memory_allocated(ctx.device) / 2**20 if ctx.is_cuda else None
    return Timing(
        stage=stage,
        fps=1000.0 / p50 if p50 else 0.0,
        ms_p50=p50,
        ms_p95=p95,
        frames=frames,
        config=config or {},
        cpu_percent=100.0 * cpu / wall,
        peak_gpu_mb=peak,
    )


def matmul_peak_tflops(ctx: RunContext, *, size: int = 2048, repeats: int = 5) -> float:
    return off_main_thread(lambda: _matmul_peak_tflops(ctx, size=size, repeats=repeats))


def _matmul_peak_tflops(ctx: RunContext, *, size: int, repeats: int) -> float:
    """A measured peak (dense matmul) for the roofline line, in the precision the model runs at:
    the best of the repeats, as a peak is what the device can do, not what it did on average."""
    dtype = ctx.dtype if ctx.is_cuda else torch.float32
    a = torch.rand(size, size, device=ctx.device, dtype=dtype)
    b = torch.rand(size, size, device=ctx.device, dtype=dtype)
    a @ b
    _sync(ctx)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        _sync(ctx)
        times.append(time.perf_counter() - start)
    return 2 * size**3 / min(times) / 1e12
