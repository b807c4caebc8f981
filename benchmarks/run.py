"""`vidstyle bench` / `python -m benchmarks`: the stage, end-to-end and baseline matrix, as JSON."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import torch

from vidstyle.colour import fit_max_side
from vidstyle.context import RunContext, resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.media.probe import probe
from vidstyle.modelfile import default_model_path, load_model
from vidstyle.net import macs_per_pixel
from vidstyle.progress import progress_bar

from . import stages
from .choices import batch_sizes, csv, parse_size
from .environment import describe
from .one_size import bench_size, one_line
from .options import add_arguments
from .output import write
from .paper import paper_check
from .runnables import BACKENDS, ModelFiles, choose_backends

SCHEMA = "vidstyle-bench/1"
# What the net holds per pixel of one image while it runs (a few 32-channel fp32 maps at full
# size): what a size needs before it is measured.
ACTIVATION_BYTES_PER_PIXEL = 512


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidstyle bench", description="Measure fps per stage and end to end; write JSON."
    )
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = resolve_context(args.device, "fp32")
    cuda = ctx.is_cuda
    source = args.input or str(default_model_path().parent / "sample.mp4")
    probe(source)  # a bad --input fails here with one line
    model = load_model(args.model)
    skipped: list[str] = []
    backends = choose_backends(csv(args.backends, list(BACKENDS)), ctx, skipped)
    precisions = csv(args.precisions, ["fp16", "fp32"] if cuda else ["fp32"])
    for precision in precisions:
        resolve_context(ctx.device.type, precision)  # fp16 on a CPU is one line before any measuring
    repeats = args.repeats or (2 if args.quick else 5)
    n_frames = args.frames or (8 if args.quick else 48)
    batches = batch_sizes(args.batches, ["1", "2"] if args.quick else (["1", "8"] if cuda else ["1", "4"]))
    source_frames = stages.decode_frames(source, n_frames)
    if args.max_side:
        h, w = source_frames[0].shape[:2]
        sizes = [(f"{Path(source).name}@max-side-{args.max_side}", fit_max_side(h, w, args.max_side))]
    else:
        sizes = [
            parse_size(s)
            for s in csv(args.sizes, ["96x64"] if args.quick else (["720p", "1080p"] if cuda else ["360p"]))
        ]
    check_memory(sizes, n_frames, max(batches), ctx)

    result: dict[str, Any] = {
        "schema": SCHEMA,
        "environment": describe(ctx),
        "settings": {
            "quick": args.quick,
            "input": Path(source).name,
            "frames": n_frames,
            "repeats": repeats,
            "backends": backends,
            "precisions": precisions,
            "batches": batches,
            "sizes": [s[0] for s in sizes],
            "max_side": args.max_side,
        },
        "model": {
            "source": Path(model.source).name,
            "width": model.card.width,
            "macs_per_pixel": macs_per_pixel(model.net),
        },
        "stages": [],
        "models": [],
        "end_to_end": [],
        "naive_baseline": [],
        "summary": {},
        "skipped": skipped,
    }
    models_per_size = len(backends) * len(precisions) * len(batches)
    presets = 1 if args.quick else 3
    # decode, upload, download, upload YUV, the encode presets, the models, the naive baseline, each backend end to end
    planned = len(sizes) * (4 + presets + models_per_size + 1 + len(backends)) + (
        0 if args.skip_paper else 1 if args.quick else 2
    )
    bar = progress_bar(total=planned, enabled=not getattr(args, "quiet", False), unit="measurement", desc="bench")
    with bar, tempfile.TemporaryDirectory(prefix="vidstyle-bench-") as tmp:
        files = ModelFiles(model, Path(tmp))
        for name, (height, width) in sizes:
            try:
                result["summary"][name] = bench_size(
                    result,
                    files,
                    ctx,
                    name,
                    height,
                    width,
                    source_frames,
                    source,
                    Path(tmp),
                    backends,
                    precisions,
                    batches,
                    repeats,
                    args,
                    bar,
                )
            except (MemoryError, torch.OutOfMemoryError) as exc:
                raise VidstyleError(
                    f"out of memory at size {name} ({one_line(exc)}); try a smaller --sizes or --batch-size"
                ) from None
        if not args.skip_paper:
            result["paper_check"] = paper_check(model, ctx, quick=args.quick, bar=bar)
    return result


def check_memory(sizes: list[tuple[str, tuple[int, int]]], frames: int, batch: int, ctx: RunContext) -> None:
    """A size that cannot fit is one line before any measuring, not an allocator's error later."""
    for name, (height, width) in sizes:
        need = height * width * (3 * frames + batch * ACTIVATION_BYTES_PER_PIXEL)
        free = torch.cuda.mem_get_info(ctx.device)[0] if ctx.is_cuda else psutil.virtual_memory().available
        if need > free:
            raise VidstyleError(
                f"size {name} needs about {need / 2**30:.1f} GiB at batch {batch}, "
                f"and {free / 2**30:.1f} GiB is free here"
            )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return write(run(args), args.out)
