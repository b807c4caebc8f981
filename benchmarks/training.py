"""Training speed per precision (s/step, img/s) and how closely bf16 follows fp32's loss curve.

Both precisions train the same net from the same seed on the same batches through the real
trainer, so the comparison covers everything a step does: the transformer net, the loss net,
Gram matrices, the optimizer and data loading.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.precision import BF16_FLAGS, cpu_flags
from vidstyle.training.precision import choose_precision
from vidstyle.training.trainer import TrainConfig, train

from .environment import describe

WARMUP_STEPS = 3  # the first steps pay oneDNN/cuDNN kernel selection


def train_batch_size(args: argparse.Namespace) -> int:
    """--batch-size with --train: one number (training has no list of batch sizes to sweep)."""
    from .choices import batch_sizes

    sizes = batch_sizes(args.batches, ["4"])
    if len(sizes) != 1:
        raise VidstyleError(f"bench --train takes one --batch-size, got {args.batches}")
    return sizes[0]


def train_run(args: argparse.Namespace, precision: str, folder: Path) -> list[dict[str, float]]:
    config = TrainConfig(
        data=args.data,
        style=args.style,
        output=str(folder / f"{precision}.safetensors"),
        steps=args.train_steps,
        image_size=args.image_size,
        batch_size=train_batch_size(args),
        loss_net=args.loss_net,
        device=args.device,
        precision=precision,
        seed=0,
        checkpoint_every=10**9,
        preview_every=0,
        progress=False,
        run_dir=str(folder / precision),
    )
    return train(config).history


def curve_gap(reference: list[float], other: list[float]) -> dict[str, float]:
    """Relative gap of `other` to `reference`, step by step and on a 5-step moving mean."""
    gaps = [abs(b - a) / abs(a) for a, b in zip(reference, other) if a]

    def smooth(values: list[float]) -> list[float]:
        return [statistics.fmean(values[max(0, i - 4) : i + 1]) for i in range(len(values))]

    smooth_gaps = [abs(b - a) / abs(a) for a, b in zip(smooth(reference), smooth(other)) if a]
    return {
        "max_rel_gap": max(gaps),
        "mean_rel_gap": statistics.fmean(gaps),
        "median_rel_gap": statistics.median(gaps),
        "max_rel_gap_5step_mean": max(smooth_gaps),
    }


def run_training_bench(args: argparse.Namespace) -> dict[str, Any]:
    ctx = resolve_context(args.device, "fp32")
    precisions = ["fp32", "bf16"]
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="vidstyle-train-bench-") as tmp:
        for precision in precisions:
            history = train_run(args, precision, Path(tmp))
            timed = [h["seconds"] for h in history[WARMUP_STEPS:]] or [h["seconds"] for h in history]
            seconds = statistics.median(timed)
            rows[precision] = {
                "s_per_step": seconds,
                "img_per_s": train_batch_size(args) / seconds,
                "timed_steps": len(timed),
                "loss_first": history[0]["total"],
                "loss_last": history[-1]["total"],
                "losses": [h["total"] for h in history],
            }
    auto = choose_precision(args.device, "auto")
    faster = min(precisions, key=lambda p: rows[p]["s_per_step"])
    flags = cpu_flags()
    return {
        "kind": "training",
        "environment": describe(ctx),
        "cpu_bf16_flags": [flag for flag in BF16_FLAGS if flag in flags],
        "config": {
            "image_size": args.image_size,
            "batch_size": train_batch_size(args),
            "steps": args.train_steps,
            "warmup_steps": WARMUP_STEPS,
            "loss_net": args.loss_net,
            "data": Path(args.data).name,
            "style": Path(args.style).name,
        },
        "results": rows,
        "speedup_bf16_over_fp32": rows["fp32"]["s_per_step"] / rows["bf16"]["s_per_step"],
        "bf16_vs_fp32_loss": curve_gap(rows["fp32"]["losses"], rows["bf16"]["losses"]),
        "auto": {
            "chose": auto.ctx.precision,
            "reason": auto.reason,
            "faster_measured": faster,
            "auto_picked_faster": auto.ctx.precision == faster,
        },
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    rows, gap = result["results"], result["bf16_vs_fp32_loss"]
    lines = [f"{p}: {r['s_per_step']:.2f} s/step, {r['img_per_s']:.2f} img/s" for p, r in rows.items()]
    lines.append(
        f"bf16 speed-up: {result['speedup_bf16_over_fp32']:.2f}x (CPU bf16 flags: "
        f"{', '.join(result['cpu_bf16_flags']) or 'none'})"
    )
    lines.append(
        f"bf16 loss vs fp32 over {result['config']['steps']} steps: median gap {gap['median_rel_gap']:.1%}, "
        f"mean {gap['mean_rel_gap']:.1%}, max {gap['max_rel_gap']:.1%}"
    )
    lines.append(
        f"auto chose {result['auto']['chose']} "
        f"({'the faster' if result['auto']['auto_picked_faster'] else 'NOT the faster'} here)"
    )
    return lines
