"""Johnson et al.'s ~1000x, checked here: the feed-forward net against Gatys' 500 L-BFGS steps,
and the roofline: the model's achieved TFLOP/s against the device's peak."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import torch

from vidstyle.context import RunContext, resolve_context
from vidstyle.modelfile import StyleModel, default_model_path

from . import stages, timing

# Vendor dense-math peaks (TFLOP/s, no sparsity) for the roofline line, next to the measured one.
# fp32 convolutions run as TF32 on these GPUs while cuDNN allows it (torch's default).
STATED_PEAKS = {
    "H100": {"fp16": 989.4, "bf16": 989.4, "tf32": 494.7, "fp32": 66.9},
    "H200": {"fp16": 989.4, "bf16": 989.4, "tf32": 494.7, "fp32": 66.9},
}


def peak_precision(ctx: RunContext) -> str:
    """The arithmetic the model's convolutions really use: fp32 means TF32 on CUDA when cuDNN allows it."""
    if ctx.is_cuda and ctx.precision == "fp32" and torch.backends.cudnn.allow_tf32:
        return "tf32"
    return ctx.precision


@contextlib.contextmanager
def _matmul_like_convs(precision: str) -> Iterator[None]:
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def roofline(achieved_tflops: float, ctx: RunContext, device_name: str, skipped: list[str]) -> dict[str, Any]:
    """The achieved rate as a fraction of the stated peak (else the measured one). A fraction
    over 1 means the peak is no ceiling (a busy machine measured it low): it is not reported."""
    precision = peak_precision(ctx)
    with _matmul_like_convs(precision):
        measured = timing.matmul_peak_tflops(ctx)
    stated = next((peaks.get(precision) for name, peaks in STATED_PEAKS.items() if name in device_name), None)
    peak = stated or measured
    fraction: float | None = achieved_tflops / peak if peak else None
    if fraction is not None and fraction > 1.0:
        skipped.append(
            f"roofline: the model ran at {achieved_tflops:.3g} TFLOP/s, "
            f"above the {'stated' if stated else 'measured'} peak of {peak:.3g}; no fraction reported"
        )
        fraction = None
    return {
        "measured_peak_tflops": measured,
        "stated_peak_tflops": stated,
        "peak_precision": precision,
        "roofline_fraction": fraction,
    }


def paper_check(model: StyleModel, ctx: RunContext, *, quick: bool, bar: Any = None) -> dict[str, Any]:
    """Johnson et al. report ~1000x: feed-forward time vs Gatys with 500 L-BFGS steps."""
    from vidstyle.training.gatys import GatysConfig, run_gatys

    sample = str(default_model_path().parent / "sample.jpg")
    rows: dict[str, Any] = {}
    measured_steps = 500 if ctx.is_cuda else (5 if quick else 10)
    for size in [64] if quick else [256, 512]:
        frames = [torch.rand(size, size, 3).mul(255).byte() for _ in range(4)]
        ff = stages.model_only(
            model,
            frames,
            resolve_context(ctx.device.type, "fp32"),
            backend="torch",
            batch=1,
            repeats=3 if quick else 10,
        )

        def gatys_seconds(steps: int) -> float:
            started = time.perf_counter()
            run_gatys(
                GatysConfig(
                    content=sample,
                    style_images=[sample],
                    steps=steps,
                    size=size,
                    loss_net="vgg19-random",
                    device=ctx.device.type,
                    progress=False,
                )
            )
            return time.perf_counter() - started

        # A 1-step run holds the start-up (loss net, Gram targets, first-call warm-up), which
        # 500 real steps would spread thin: only the steps after it count. Each is the best of
        # two runs, since another process can only ever make a run slower.
        startup_and_one = min(gatys_seconds(1) for _ in range(2))
        per_step = (min(gatys_seconds(measured_steps) for _ in range(2)) - startup_and_one) / (measured_steps - 1)
        row: dict[str, Any] = {
            "feed_forward_ms": ff.ms_p50,
            "gatys_steps_measured": measured_steps,
            "gatys_startup_and_first_step_s": startup_and_one,
        }
        if per_step > 0:
            row |= {"gatys_500_steps_s": per_step * 500, "ratio": per_step * 500 * 1000 / ff.ms_p50}
        else:  # the steps took less time than the start-up's own noise: no number rather than a negative one
            row |= {
                "gatys_500_steps_s": None,
                "ratio": None,
                "note": f"{measured_steps - 1} Gatys steps were lost in the start-up's noise",
            }
        rows[str(size)] = row
        if bar is not None:
            bar.update(1)
    return rows
