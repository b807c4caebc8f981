"""How much style and how much content: models scored on photos and video frames, with a contact sheet.

    python -m vidstyle.benchmarks.style_quality --scorer style_score.py --style mosaic.jpg \\
        --photos photos/ --videos clip.mp4 --models a.safetensors b.safetensors \\
        -o benchmarks/results/recipe-x.json --sheet docs/recipe-x.jpg

Each picture is stylized with its longer side at --max-side (512, as the fast-style papers
show them), and scored by an external scorer script called as `SCORER H5 STYLE CONTENT OUTPUT`
that prints "ratio R content C structure S" (ratio: style distance relative to the photo's,
lower is more style; structure: edge correlation with the photo, higher keeps the content
readable). Pictures made elsewhere (another tool's, an optimiser's) are scored beside the
models with --outputs NAME=DIR, where DIR holds one <picture stem>.png per picture; they are
left off the sheet with --sheet-models-only.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageDraw

from vidstyle.atomic import atomic_output
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.images import list_images
from vidstyle.jobs.image import stylize_image
from vidstyle.modelfile import load_model
from vidstyle.training import hed

from .environment import describe

SCORE_LINE = re.compile(r"ratio (\S+) content (\S+) structure (\S+)")
TILE_HEIGHT = 200


def scaled_copy(source: Path, target: Path, max_side: int) -> Path:
    """The picture with its longer side at max_side, as PNG (what every model and the scorer see)."""
    with Image.open(source) as image:
        rgb = image.convert("RGB")
    scale = max_side / max(rgb.size)
    rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.LANCZOS).save(
        target
    )
    return target


def video_frames(clip: Path, times_s: list[float], folder: Path) -> list[Path]:
    """One PNG per requested time (the first frame at or after it), named clip-t<seconds>.png."""
    frames = []
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        if time_base is None:
            raise VidstyleError(f"{clip} has no video time base")
        for time_s in times_s:
            container.seek(int(time_s / time_base), stream=stream, backward=True)
            for frame in container.decode(stream):
                if frame.time is not None and frame.time + 1e-6 >= time_s:
                    path = folder / f"{clip.stem}-t{time_s:g}.png"
                    frame.to_image().save(path)
                    frames.append(path)
                    break
    if len(frames) != len(times_s):
        raise VidstyleError(f"{clip} has no frame at some of {times_s} s")
    return frames


def score(scorer: Path, style: Path, content: Path, output: Path) -> dict[str, float]:
    weights = hed.find_weights_file()
    if weights is None:
        raise VidstyleError(f"the scorer needs the hed-vgg16 weights; run: {hed.INSTALL_HINT}")
    done = subprocess.run(
        [sys.executable, str(scorer), str(weights), str(style), str(content), str(output)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    match = SCORE_LINE.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise VidstyleError(
            f"the scorer failed on {output.name}: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
        )
    return {"ratio": float(match[1]), "content": float(match[2]), "structure": float(match[3])}


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per entry and kind (photo, frame): mean, min and max of ratio and structure."""
    out: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(row["entry"] for row in rows):
        for kind in ("photo", "frame"):
            mine = [row for row in rows if row["entry"] == name and row["kind"] == kind]
            if not mine:
                continue
            key = f"{name}/{kind}s"
            out[key] = {}
            for metric in ("ratio", "structure"):
                values = [row[metric] for row in mine]
                out[key] |= {
                    f"{metric}_mean": round(statistics.fmean(values), 4),
                    f"{metric}_min": min(values),
                    f"{metric}_max": max(values),
                }
    return out


def contact_sheet(
    entries: list[str],
    pictures: list[Path],
    outputs: dict[tuple[str, str], Path],
    rows: list[dict[str, Any]],
    path: Path,
) -> None:
    """Rows: the content, then one per entry; columns: the pictures. Each tile is labelled with its scores."""
    scores = {(row["entry"], row["picture"]): row for row in rows}
    widths = []
    for picture in pictures:
        with Image.open(picture) as image:
            widths.append(round(image.width * TILE_HEIGHT / image.height))
    label_width = 150
    sheet = Image.new("RGB", (label_width + sum(widths), TILE_HEIGHT * (1 + len(entries))), "white")
    draw = ImageDraw.Draw(sheet)
    for row_index, entry in enumerate(["content", *entries]):
        top = row_index * TILE_HEIGHT
        draw.text((6, top + 6), entry if len(entry) < 22 else entry[:20] + "…", fill="black")
        left = label_width
        for picture, width in zip(pictures, widths):
            source = picture if entry == "content" else outputs[(entry, picture.stem)]
            with Image.open(source) as image:
                sheet.paste(image.convert("RGB").resize((width, TILE_HEIGHT), Image.Resampling.LANCZOS), (left, top))
            if entry != "content":
                found = scores[(entry, picture.stem)]
                text = f"r {found['ratio']:.2f} s {found['structure']:.2f}"
                draw.rectangle(
                    (left, top + TILE_HEIGHT - 16, left + 6 * len(text) + 6, top + TILE_HEIGHT), fill="black"
                )
                draw.text((left + 3, top + TILE_HEIGHT - 14), text, fill="white")
            left += width
    with atomic_output(path) as tmp:
        sheet.save(tmp, format="JPEG", quality=88)


def run(args: argparse.Namespace) -> dict[str, Any]:
    scorer, style = Path(args.scorer), Path(args.style)
    for path in (scorer, style, *map(Path, args.models)):
        if not path.is_file():
            raise VidstyleError(f"not found: {path}")
    extras = dict(item.split("=", 1) for item in args.outputs)
    with tempfile.TemporaryDirectory(prefix="vidstyle-quality-") as scratch:
        work = Path(args.keep or scratch)
        work.mkdir(exist_ok=True)
        photos = [
            scaled_copy(p, work / f"{p.stem}.png", args.max_side)
            for p in (list_images(args.photos) if args.photos else [])
        ]
        frames = [
            scaled_copy(f, f, args.max_side)
            for clip in args.videos
            for f in video_frames(Path(clip), args.frame_times, work)
        ]
        pictures = photos + frames
        if not pictures:
            raise VidstyleError("give --photos or --videos: there is nothing to score")
        outputs: dict[tuple[str, str], Path] = {}
        cards: dict[str, dict[str, Any]] = {}
        for model_path in map(Path, args.models):
            model = load_model(model_path)
            name = model_path.stem
            cards[name] = {"file": model_path.name, "steps": model.card.steps, "segments": list(model.card.segments)}
            for picture in pictures:
                out = work / f"{name}--{picture.stem}.png"
                stylize_image(picture, out, model=model, device=args.device)
                outputs[(name, picture.stem)] = out
        for name, folder in extras.items():
            for picture in pictures:
                found = Path(folder) / f"{picture.stem}.png"
                if not found.is_file():
                    raise VidstyleError(f"--outputs {name}: {found} is missing")
                outputs[(name, picture.stem)] = found
        entries = [Path(m).stem for m in args.models] + list(extras)
        rows = []
        for entry in entries:
            for picture in pictures:
                kind = "photo" if picture in photos else "frame"
                result = score(scorer, style, picture, outputs[(entry, picture.stem)])
                rows.append({"entry": entry, "picture": picture.stem, "kind": kind} | result)
                print(
                    f"{entry:>28} {picture.stem:>28}  ratio {result['ratio']:.3f}  structure {result['structure']:.3f}",
                    file=sys.stderr,
                )
        if args.sheet:
            shown = [Path(m).stem for m in args.models] if args.sheet_models_only else entries
            contact_sheet(shown, pictures, outputs, rows, Path(args.sheet))
    report = {
        "kind": "style-quality",
        "environment": describe(resolve_context(args.device, "fp32")),
        "style": style.name,
        "max_side": args.max_side,
        "frame_times_s": args.frame_times,
        "models": cards,
        "external_outputs": sorted(extras),
        "rows": rows,
        "summary": summary(rows),
    }
    if args.output:
        with atomic_output(args.output) as tmp:
            tmp.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vidstyle.benchmarks.style_quality", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--scorer", required=True, help="the scoring script (prints 'ratio R content C structure S')")
    parser.add_argument("--style", required=True, help="the style image the models were trained on")
    parser.add_argument("--photos", help="a folder of photos to stylize (default: none)")
    parser.add_argument(
        "--videos", nargs="*", default=[], help="clips whose frames at --frame-times are stylized too (default: none)"
    )
    parser.add_argument(
        "--frame-times",
        type=lambda t: [float(x) for x in t.split(",")],
        default=[5.0, 15.0],
        help="seconds (default 5,15)",
    )
    parser.add_argument("--models", nargs="*", default=[], help=".safetensors models")
    parser.add_argument(
        "--outputs",
        nargs="*",
        default=[],
        metavar="NAME=DIR",
        help="pictures made elsewhere, DIR/<picture>.png (default: none)",
    )
    parser.add_argument("--max-side", type=int, default=512, help="longer side of every picture (default 512)")
    parser.add_argument("--device", default="cpu", help="where the models run (default cpu)")
    parser.add_argument("-o", "--output", help="the JSON report (default: print only)")
    parser.add_argument("--sheet", help="a contact sheet JPEG (default: none)")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the scaled pictures and every output here, to look at (default: a temporary folder)",
    )
    parser.add_argument("--sheet-models-only", action="store_true", help="leave the --outputs entries off the sheet")
    args = parser.parse_args(argv)
    try:
        report = run(args)
    except VidstyleError as exc:
        print(f"style_quality: error: {exc}", file=sys.stderr)
        return 1
    for key, values in report["summary"].items():
        print(
            f"{key:>40}  ratio {values['ratio_mean']:.3f} ({values['ratio_min']:.3f}-{values['ratio_max']:.3f})"
            f"  structure {values['structure_mean']:.3f} ({values['structure_min']:.3f}-{values['structure_max']:.3f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
