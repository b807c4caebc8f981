"""vidstyle import"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .common import add_output_argument

EXAMPLES = (
    "vidstyle import candy.pth -o candy.safetensors     # a pytorch/examples fast_neural_style model",
    "vidstyle import candy.pth --images photos/*.jpg  # fit and check the output range on your own pictures",
    "vidstyle stylize in.mp4 -o out.mp4 --model candy.safetensors",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="a pytorch/examples fast_neural_style state dict (.pth or .model: conv1/in1 ... res1-res5 ... deconv3)",
    )
    add_output_argument(parser, "the vidstyle model to write (default: MODEL with .safetensors)", required=False)
    parser.add_argument(
        "--images",
        nargs="+",
        metavar="IMG",
        help="pictures to fit the output range on and to measure the result with; "
        "their net clamps its output where ours ends in a tanh (default: the bundled sample picture)",
    )
    parser.add_argument(
        "--max-side", type=int, default=512, metavar="N", help="longer side those pictures are scaled to (default 512)"
    )


def run(args: argparse.Namespace) -> int:
    from vidstyle.convert import SOURCE_FORMAT, import_fast_neural_style
    from vidstyle.errors import VidstyleError

    source = Path(args.model)
    output = Path(args.output or source.with_suffix(".safetensors"))
    if output.suffix.lower() != ".safetensors":
        raise VidstyleError(f"the output is a vidstyle model, so it must end in .safetensors, not {output.name!r}")
    if args.max_side < 16:
        raise VidstyleError(f"--max-side must be at least 16, got {args.max_side}")
    report = import_fast_neural_style(
        source, output, args.images or (), max_side=args.max_side, overwrite=args.overwrite
    )
    logging.getLogger("vidstyle").info(
        "wrote %s from %s (%s, width %g); its pictures differ from the original's by %.1f 8-bit levels on average, "
        "%.0f at the 99th percentile, on %s (their net clamps its output, ours ends in a fitted tanh)",
        report.output,
        source.name,
        SOURCE_FORMAT,
        report.width,
        report.error.mean,
        report.error.p99,
        ", ".join(report.calibration) if len(report.calibration) <= 3 else f"{len(report.calibration)} pictures",
    )
    return 0
