"""vidstyle import"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .common import add_output_argument

EXAMPLES = (
    "vidstyle import candy.pth -o candy.safetensors     # a pytorch/examples fast_neural_style model",
    "vidstyle stylize in.mp4 -o out.mp4 --model candy.safetensors",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="a pytorch/examples fast_neural_style state dict (.pth or .model: conv1/in1 ... res1-res5 ... deconv3)",
    )
    add_output_argument(parser, "the vidstyle model to write (default: MODEL with .safetensors)", required=False)


def run(args: argparse.Namespace) -> int:
    from vidstyle.convert import SOURCE_FORMAT, import_fast_neural_style
    from vidstyle.errors import VidstyleError

    source = Path(args.model)
    output = Path(args.output or source.with_suffix(".safetensors"))
    if output.suffix.lower() != ".safetensors":
        raise VidstyleError(f"the output is a vidstyle model, so it must end in .safetensors, not {output.name!r}")
    report = import_fast_neural_style(source, output, overwrite=args.overwrite)
    logging.getLogger("vidstyle").info(
        "wrote %s from %s (%s, width %g); it ends in a clamp as theirs does, so its pictures are theirs",
        report.output,
        source.name,
        SOURCE_FORMAT,
        report.width,
    )
    return 0
