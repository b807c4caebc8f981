"""Model-only speed of candidate student nets: fps at one size, batch 1, per precision and layout.

    python -m vidstyle.benchmarks.student --size 640x360 --threads 2 -o benchmarks/results/student-cpu.json

Each architecture is timed with random weights (speed does not depend on them): a warm-up
call, then the best and the median of --repeats calls. Quality needs trained students and is
measured separately (benchmarks/style_quality.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

import torch

from vidstyle.atomic import atomic_output
from vidstyle.context import resolve_context
from vidstyle.net import TransformerNet, macs_per_pixel

from .environment import describe

# (width, residual blocks, separable): the paper's net, then smaller ones.
ARCHITECTURES = [
    (1.0, 5, False),
    (0.5, 5, False),
    (0.5, 5, True),
    (0.5, 3, True),
    (0.375, 3, True),
    (0.25, 3, True),
    (0.25, 2, True),
]


def time_net(net: TransformerNet, x: torch.Tensor, *, precision: str, channels_last: bool, repeats: int) -> list[float]:
    layout = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(memory_format=layout)
    x = x.contiguous(memory_format=layout)
    seconds = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        net(x)  # oneDNN picks its kernels on the first call
        for _ in range(repeats):
            tic = time.perf_counter()
            net(x)
            seconds.append(time.perf_counter() - tic)
    return seconds


def run(args: argparse.Namespace) -> dict[str, Any]:
    width, height = (int(v) for v in args.size.split("x"))
    if args.threads:
        torch.set_num_threads(args.threads)
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    rows = []
    for net_width, blocks, separable in ARCHITECTURES:
        torch.manual_seed(0)
        net = TransformerNet(net_width, blocks, separable=separable).eval()
        for precision in args.precisions:
            for channels_last in (False, True):
                seconds = time_net(net, x, precision=precision, channels_last=channels_last, repeats=args.repeats)
                row = {
                    "width": net_width,
                    "residual_blocks": blocks,
                    "separable": separable,
                    "parameters": sum(p.numel() for p in net.parameters()),
                    "macs_per_pixel": macs_per_pixel(net),
                    "precision": precision,
                    "channels_last": channels_last,
                    "fps_best": round(1 / min(seconds), 2),
                    "fps_median": round(1 / statistics.median(seconds), 2),
                }
                rows.append(row)
                print(
                    f"w{net_width} r{blocks} sep{int(separable)} {precision} cl{int(channels_last)}: "
                    f"{row['fps_median']} fps",
                    file=sys.stderr,
                    flush=True,
                )
    report = {
        "kind": "student-speed",
        "environment": describe(resolve_context("cpu", "fp32")),
        "size": args.size,
        "batch": 1,
        "repeats": args.repeats,
        "rows": rows,
    }
    if args.output:
        with atomic_output(args.output) as tmp:
            tmp.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidstyle.benchmarks.student", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    parser.add_argument(
        "--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"], help="(default fp32 bf16)"
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per row (default 10)")
    parser.add_argument("-o", "--output", help="the JSON report (default: print only)")
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
