"""vidstyle bench"""

from __future__ import annotations

import argparse

EXAMPLES = (
    "vidstyle bench --quick                                   # seconds; checks the JSON schema",
    "vidstyle bench --input clip.mp4 --max-side 320           # one file as `stylize --max-side 320` runs it",
    "vidstyle bench --device cuda --sizes 720p,1080p --batches 1,8 --precisions fp16,fp32 --out benchmarks/results/h100.json",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from vidstyle.benchmarks.options import add_arguments as add_bench_arguments

    add_bench_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from vidstyle.benchmarks.run import run as run_bench
    from vidstyle.benchmarks.run import write

    return write(run_bench(args), args.out)
