"""vidstyle image"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import torch

from .common import add_output_argument, add_runtime_arguments, add_style_arguments, onnx_export_for, style_options

EXAMPLES = (
    "vidstyle image photo.jpg -o photo-styled.jpg",
    "vidstyle image photo.jpg -o out.png --model starry.safetensors --max-side 1024",
    "vidstyle image photos/ -o styled/        # a folder into a folder",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="an image file, or a folder of images")
    add_output_argument(parser, "the output image (a folder, made if missing, when INPUT is a folder)")
    add_runtime_arguments(parser, backend=True)
    add_style_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from vidstyle.errors import VidstyleError
    from vidstyle.jobs.batch import VIDEO_SUFFIXES
    from vidstyle.jobs.image import stylize_folder, stylize_image

    folder = Path(args.input).is_dir()
    if not folder and Path(args.input).suffix.lower() in VIDEO_SUFFIXES:
        raise VidstyleError(
            f"{args.input} is a video; `vidstyle stylize {args.input} -o OUT{Path(args.input).suffix}` stylizes it"
        )
    log = logging.getLogger("vidstyle")
    options = dict(
        backend=args.backend,
        onnx_export=onnx_export_for(args),
        max_side=args.max_side,
        device=args.device,
        precision=args.precision,
        overwrite=args.overwrite,
        **style_options(args),
    )
    if folder:
        skipped: list[Path] = []
        written = stylize_folder(
            args.input, args.output, model=args.model, skipped=skipped, progress=not args.quiet, **options
        )
        log.info("wrote %d image(s) to %s", len(written), args.output)
        if skipped:
            raise VidstyleError(
                f"skipped {len(skipped)} unreadable file(s), first {skipped[0]}; the other {len(written)} were written"
            )
    else:
        # a path gives a tensor
        result = cast("torch.Tensor", stylize_image(args.input, args.output, model=args.model, **options))
        log.info("wrote %s (%dx%d)", args.output, result.shape[1], result.shape[0])
    return 0
