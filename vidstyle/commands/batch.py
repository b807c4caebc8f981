"""vidstyle batch"""

from __future__ import annotations

import argparse
import logging

from .common import positive_int
from .stylize import add_video_arguments, video_options

EXAMPLES = (
    "vidstyle batch videos/ --output-dir styled/                       # Ray on this machine, or the cluster it finds",
    "vidstyle batch 'clips/**/*.mov' a.mp4 --output-dir out/ --max-side 480 --preset veryfast",
    "vidstyle batch videos/ --output-dir styled/ --ray ray://head:10001 --device cuda --gpus-per-worker 1",
    "vidstyle batch videos/ --output-dir styled/                       # again: resumes, finished files are skipped",
)
OVERWRITE_HELP = "redo outputs that exist (default: skip them, so running a batch again resumes it)"


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="video files, folders (searched recursively) or glob patterns"
    )
    parser.add_argument(
        "--output-dir",
        required=True,
        metavar="DIR",
        help="where the outputs go, mirroring the input tree, with batch-report.json (created if missing)",
    )
    scale = parser.add_argument_group("Ray (pip install 'vidstyle[scale]')")
    scale.add_argument(
        "--ray",
        default="auto",
        metavar="auto|local|ADDRESS",
        help="auto: join the cluster in RAY_ADDRESS or one running on this machine, else start Ray here; "
        "local: start Ray here; ADDRESS: join that cluster (default: auto)",
    )
    scale.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="workers, each loading the model once (default: one per --gpus-per-worker GPUs in the cluster, else 1)",
    )
    scale.add_argument(
        "--gpus-per-worker",
        type=non_negative_float,
        metavar="G",
        help="GPUs each worker reserves (default: 1 when the cluster has GPUs, else 0)",
    )
    add_video_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from vidstyle.jobs.batch import REPORT_NAME, format_table, stylize_batch

    rows = stylize_batch(
        args.inputs,
        args.output_dir,
        video_options(args),
        ray=args.ray,
        workers=args.workers,
        gpus_per_worker=args.gpus_per_worker,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(format_table(rows))
    failed = sum(row.status == "failed" for row in rows)
    done = sum(row.status == "done" for row in rows)
    logging.getLogger("vidstyle").info(
        "%d done, %d failed, %d skipped (already there; -y redoes them); report: %s",
        done,
        failed,
        len(rows) - done - failed,
        f"{args.output_dir.rstrip('/')}/{REPORT_NAME}",
    )
    return 1 if failed else 0
