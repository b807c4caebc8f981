"""Flicker floor: `python -m benchmarks.flicker_floor CLIP... [--model M] [--max-side 256]`.

The warping error counts edges as well as flicker. The flow between two real frames is off by
a fraction of a pixel here and there, and where it is, an edge that moves exactly with the
content still leaves a residual that grows with the edge's contrast. So a stylization with
sharper, stronger edges than its input scores above 1x even if it never flickers.

This measures how much: filters with no flicker of their own (each output pixel a fixed
function of the input pixels around it, so they change only where the input does, passing on
its noise) go through the decode -> --max-side -> encode path of `stylize`, and each row
reports its warping error beside its edge energy (mean |Gx| + |Gy| of the unnormalised Sobel
on the grey frames as written, decoded at --max-side); the model's rows are the same two
numbers for `stylize`, plain and with each `--blend`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.jobs.flicker import measure_flicker
from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, stylize_video
from vidstyle.media.decode import read_batches
from vidstyle.media.encode import VideoWriter
from vidstyle.media.options import EncodeOptions
from vidstyle.media.probe import probe
from vidstyle.stylemix import StyleChoice

from .environment import describe
from .report import save_with_table

Filter = Callable[[np.ndarray], np.ndarray]


def _gradient(frame: np.ndarray) -> np.ndarray:
    """|d/dx| + |d/dy| of the grey image (Sobel), per pixel."""
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def contrast(gain: float) -> Filter:
    """Stretch every channel about mid-grey by `gain`: steeper edges, same positions."""

    def apply(frame: np.ndarray) -> np.ndarray:
        return np.clip((frame.astype(np.float32) - 128.0) * gain + 128.0, 0, 255).astype(np.uint8)

    return apply


def outlines(strength: float) -> Filter:
    """Darken each pixel by `strength` times its gradient: dark lines along every edge, flat areas untouched."""

    def apply(frame: np.ndarray) -> np.ndarray:
        return np.clip(frame.astype(np.float32) - strength * _gradient(frame)[..., None], 0, 255).astype(np.uint8)

    return apply


FILTERS: dict[str, Filter] = {
    "identity (resampled to --max-side and back)": contrast(1.0),
    "contrast x2": contrast(2.0),
    "outlines x1": outlines(1.0),
    "outlines x2": outlines(2.0),
}


def edge_energy(path: Path, *, max_side: int) -> float:
    """Mean |Gx| + |Gy| (unnormalised Sobel) of a clip's grey frames decoded at `max_side`."""
    sums = [
        float(_gradient(frame).mean())
        for batch in read_batches(path, 4, max_side=max_side)
        for frame in batch.data.numpy()
    ]
    return sum(sums) / len(sums)


def write_filtered(clip: str, out: Path, apply: Filter, *, max_side: int) -> None:
    """The clip at `max_side`, filtered frame by frame, scaled back up and encoded as `stylize` does."""
    info = probe(clip)
    options = EncodeOptions(
        width=info.width,
        height=info.height,
        time_base=info.time_base,
        rate_fps=info.average_rate or Fraction(25),
        preset="veryfast",
    )
    writer = VideoWriter(out, options, audio=False)
    try:
        for batch in read_batches(clip, 4, max_side=max_side):
            writer.write(batch.with_data(torch.from_numpy(np.stack([apply(frame) for frame in batch.data.numpy()]))))
    finally:
        writer.close()


def measured_row(clip: str, out: Path, label: str, *, max_side: int) -> tuple[dict[str, Any], float]:
    """The row for `out` against `clip`, and the input's own warping error."""
    report = measure_flicker(clip, str(out))
    row = {
        "row": label,
        "warping_error": report.stylized_warping_error,
        "ratio_to_input": report.ratio,
        "edge_energy": edge_energy(out, max_side=max_side),
    }
    return row, report.input_warping_error


def measure_clip(
    clip: str,
    tmp: Path,
    *,
    model: str | None,
    blends: Sequence[float],
    compare: Sequence[tuple[str, str, str | None]],
    max_side: int,
    device: str,
) -> list[dict[str, Any]]:
    stem = Path(clip).stem
    outputs: list[tuple[str, Path]] = []
    for n, (label, apply) in enumerate(FILTERS.items()):
        outputs.append((label, tmp / f"{stem}-filter{n}.mp4"))
        write_filtered(clip, outputs[-1][1], apply, max_side=max_side)
    runs: list[tuple[str, str | None, str | None, float]] = [
        (f"model + --temporal-blend {b}" if b else "model", model, None, b) for b in (0.0, *blends)
    ]
    runs += [(label, other, style, 0.0) for label, other, style in compare]
    for n, (label, which, style, blend) in enumerate(runs):
        outputs.append((label, tmp / f"{stem}-model{n}.mp4"))
        options = VideoOptions(
            model=which,
            runtime=Runtime(device=device, max_side=max_side),
            encode=Encoding(preset="veryfast"),
            choice=StyleChoice(style),
            temporal_blend=blend,
        )
        stylize_video(clip, outputs[-1][1], options, progress=False)
    measured = [measured_row(clip, out, label, max_side=max_side) for label, out in outputs]
    reference = {
        "row": "input (reference)",
        "warping_error": measured[0][1],
        "ratio_to_input": 1.0,
        "edge_energy": edge_energy(Path(clip), max_side=max_side),
    }
    return [reference] + [row for row, _ in measured]


def compare_spec(text: str) -> tuple[str, str, str | None]:
    """LABEL=MODEL or LABEL=MODEL:STYLE -> (label, model, style)."""
    label, _, rest = text.partition("=")
    model, _, style = rest.partition(":")
    if not label or not model:
        raise argparse.ArgumentTypeError(f"expected LABEL=MODEL[:STYLE], got {text!r}")
    return label, model, style or None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flicker_floor")
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--model", help="the model under test (default: the bundled one)")
    parser.add_argument(
        "--blend",
        type=float,
        action="append",
        default=[],
        metavar="A",
        help="a --temporal-blend weight for a model row of its own (repeatable)",
    )
    parser.add_argument(
        "--compare",
        type=compare_spec,
        action="append",
        default=[],
        metavar="LABEL=MODEL[:STYLE]",
        help="another model (or one style of a multi-style model) for a plain row of its own (repeatable)",
    )
    parser.add_argument("--max-side", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="benchmarks/results/flicker-floor.json")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {
        "environment": describe(resolve_context(args.device)),
        "max_side": args.max_side,
        "model": Path(args.model).name if args.model else "bundled default",
        "blends": args.blend,
        "compare": [list(spec) for spec in args.compare],
        "precision": "fp32",
        "batch": 4,
        "clips": {},
    }
    try:
        with tempfile.TemporaryDirectory(prefix="vidstyle-floor-") as tmp:
            for clip in args.clips:
                result["clips"][Path(clip).name] = measure_clip(
                    clip,
                    Path(tmp),
                    model=args.model,
                    blends=args.blend,
                    compare=args.compare,
                    max_side=args.max_side,
                    device=args.device,
                )
    except VidstyleError as exc:  # a missing clip or model: one line, and no results file
        print(f"flicker_floor: {exc}", file=sys.stderr)
        return 1
    cells = [
        [clip, r["row"], f"{r['warping_error']:.4f}", f"{r['ratio_to_input']:.2f}", f"{r['edge_energy']:.1f}"]
        for clip, rows in result["clips"].items()
        for r in rows
    ]
    print(save_with_table(Path(args.out), result, ["clip", "row", "warping error", "x input", "edge energy"], cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
