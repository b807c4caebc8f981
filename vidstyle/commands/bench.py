"""vidstyle bench"""

from __future__ import annotations

import argparse

EXAMPLES = (
    "vidstyle bench --quick                                   # seconds; checks the JSON schema",
    "vidstyle bench --input clip.mp4 --max-side 320           # one file as `stylize --max-side 320` runs it",
    "vidstyle bench --device cuda --sizes 720p,1080p --batch-size 1,8 --precision fp16,fp32"
    " -o benchmarks/results/h100.json",
    "vidstyle bench --train --data photos/ --style mosaic.jpg -o benchmarks/results/train-cpu.json"
    "   # fp32 vs bf16 training",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from vidstyle.benchmarks.options import add_arguments as add_bench_arguments

    add_bench_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.out:  # before minutes of measuring
        from vidstyle.atomic import check_output_path

        check_output_path(args.out, inputs=[args.input, args.model, args.style], overwrite=args.overwrite)
    if args.train:
        return run_training(args)
    from vidstyle.benchmarks.output import write
    from vidstyle.benchmarks.run import run as run_bench

    return write(run_bench(args), args.out)


def run_training(args: argparse.Namespace) -> int:
    from vidstyle.errors import VidstyleError

    if not args.data or not args.style:
        raise VidstyleError("bench --train needs --data DIR and --style IMG")
    from vidstyle.benchmarks.output import write
    from vidstyle.benchmarks.training import run_training_bench, summary_lines

    return write(run_training_bench(args), args.out, summary=summary_lines)
