"""Flicker table: `python -m benchmarks.temporal --model M.safetensors [--compare LABEL=OTHER.safetensors] CLIP...`.

For each clip: the input's own warping error, the model plain and with `--temporal-blend`,
and any models to compare against, each with its end-to-end fps; plus a strip of
consecutive frames. Writes JSON and a markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from vidstyle.context import resolve_context
from vidstyle.jobs.flicker import measure_flicker
from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, stylize_video

from .environment import describe
from .report import save_with_table


def strip(paths: list[Path], out: Path, *, start: int = 40, count: int = 4, height: int = 144) -> None:
    """Rows of `count` consecutive frames, one row per clip (input first), saved as one JPEG."""
    from vidstyle.media.decode import read_batches

    rows = []
    for path in paths:
        frames = [b.data[0].numpy() for b in read_batches(path, 1) if start <= b.first_index < start + count]
        images = [Image.fromarray(f).resize((round(f.shape[1] * height / f.shape[0]), height)) for f in frames]
        row = Image.new("RGB", (sum(i.width for i in images) + 4 * (len(images) - 1), height), "white")
        x = 0
        for image in images:
            row.paste(image, (x, 0))
            x += image.width + 4
        rows.append(row)
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows) + 4 * (len(rows) - 1)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height + 4
    sheet.save(out, quality=88)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.temporal")
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--model", help="the model under test (default: the bundled one)")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LABEL=MODEL",
        help="another model for a row of its own (repeatable)",
    )
    parser.add_argument(
        "--blend",
        type=float,
        action="append",
        metavar="A",
        help="a --temporal-blend weight for a row of its own (repeatable; default: 0.5)",
    )
    parser.add_argument("--max-side", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="benchmarks/results/temporal.json")
    parser.add_argument("--strip", help="also write a strip of consecutive frames to this JPEG (default: none)")
    parser.add_argument(
        "--strip-start", type=int, default=40, metavar="N", help="the strip's first frame (default: 40)"
    )
    args = parser.parse_args(argv)

    blends = args.blend or [0.5]
    runs = [("model", args.model, 0.0)] + [(f"model + --temporal-blend {blend}", args.model, blend) for blend in blends]
    runs += [(label, model, 0.0) for label, _, model in (spec.partition("=") for spec in args.compare)]
    model_name = Path(args.model).name if args.model else "bundled default"
    result: dict[str, Any] = {
        "environment": describe(resolve_context(args.device)),
        "max_side": args.max_side,
        "model": model_name,
        "blends": blends,
        "precision": "fp32",
        "batch": 4,
        "clips": {},
    }
    with tempfile.TemporaryDirectory(prefix="vidstyle-temporal-") as tmp:
        for clip in args.clips:
            rows = []
            outputs: list[Path] = []
            for label, model, blend in runs:
                out = Path(tmp) / f"{Path(clip).stem}-{len(outputs)}.mp4"
                done = stylize_video(
                    clip,
                    out,
                    VideoOptions(
                        model=model,
                        runtime=Runtime(device=args.device, max_side=args.max_side),
                        encode=Encoding(preset="veryfast"),
                        temporal_blend=blend,
                    ),
                    progress=False,
                )
                report = measure_flicker(clip, str(out))
                rows.append(
                    {
                        "row": label,
                        "warping_error": report.stylized_warping_error,
                        "ratio_to_input": report.ratio,
                        "fps": done.fps,
                        "frames": report.frames,
                    }
                )
                outputs.append(out)
                input_error = report.input_warping_error
            rows.insert(
                0,
                {
                    "row": "input (reference)",
                    "warping_error": input_error,
                    "ratio_to_input": 1.0,
                    "fps": None,
                    "frames": rows[0]["frames"],
                },
            )
            plain = rows[1]["warping_error"]
            for row in rows:
                row["ratio_to_plain"] = row["warping_error"] / plain if plain else None
            result["clips"][Path(clip).name] = rows
            if args.strip and clip == args.clips[0]:
                strip([Path(clip), *outputs], Path(args.strip), start=args.strip_start)
    cells = [
        [
            clip,
            r["row"],
            f"{r['warping_error']:.4f}",
            f"{r['ratio_to_input']:.2f}",
            f"{r['ratio_to_plain']:.2f}",
            f"{r['fps']:.1f}" if r["fps"] else "-",
        ]
        for clip, rows in result["clips"].items()
        for r in rows
    ]
    print(
        save_with_table(
            Path(args.out), result, ["clip", "row", "warping error", "x input", "x model plain", "fps"], cells
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
