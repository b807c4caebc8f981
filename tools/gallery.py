"""Make docs/gallery.jpg: each content image as input, through a style model, and as a Gatys reference.

The Gatys column optimises each image directly against the same loss network the model was
trained with, so it shows what the feed-forward net is approximating.

    python tools/gallery.py --style styles/mosaic.jpg --content a.jpg b.jpg c.jpg d.jpg --out docs/gallery.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

import vidstyle
from vidstyle.atomic import atomic_output
from vidstyle.training import GatysConfig, run_gatys

LABEL_HEIGHT = 22


def load_rgb(path: str, max_side: int) -> torch.Tensor:
    """[1, 3, H, W] in [0, 1], longer side max_side, both sides even (the net pads to 4 anyway)."""
    image = Image.open(path).convert("RGB")
    scale = max_side / max(image.size)
    size = (max(2, round(image.width * scale / 2) * 2), max(2, round(image.height * scale / 2) * 2))
    pixels = np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0).contiguous()


def to_pil(image: torch.Tensor) -> Image.Image:
    pixels = (image[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(pixels)


def gatys_reference(path: str, content: torch.Tensor, args: argparse.Namespace, loss_net: str) -> torch.Tensor:
    cached = None
    if args.gatys_dir:
        name = (
            f"{Path(path).stem}-{Path(args.style).stem}-{loss_net}-{args.size}px-"
            f"{args.gatys_steps}steps-{args.gatys_precision}.png"
        )
        cached = Path(args.gatys_dir) / name
        if cached.is_file():
            return load_rgb(str(cached), args.size)
    config = GatysConfig(
        content=path,
        style_images=[args.style],
        steps=args.gatys_steps,
        size=args.size,
        loss_net=loss_net,
        device="cpu",
        precision=args.gatys_precision,
    )
    image = run_gatys(config, content_image=content).image
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        to_pil(image).save(cached)
    return image


def labelled_row(tiles: list[Image.Image], labels: list[str], gap: int) -> Image.Image:
    height = max(t.height for t in tiles) + LABEL_HEIGHT
    row = Image.new("RGB", (sum(t.width for t in tiles) + gap * (len(tiles) - 1), height), "white")
    draw = ImageDraw.Draw(row)
    x = 0
    for tile, label in zip(tiles, labels):
        row.paste(tile, (x, LABEL_HEIGHT))
        draw.text((x + 4, 4), label, fill="black")
        x += tile.width + gap
    return row


def save_sheet(sheet: Image.Image, out: Path) -> None:
    """Through a temp file, so a failed run leaves the old picture in place."""
    with atomic_output(out) as tmp:
        sheet.save(tmp, quality=90)
    print(f"wrote {out} ({sheet.width}x{sheet.height})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="style model (default: the bundled one)")
    parser.add_argument("--style", required=True, help="the model's style image, for the Gatys column")
    parser.add_argument("--content", nargs="+", required=True, help="content images, one row each")
    parser.add_argument("--size", type=int, default=320, help="longer side of every tile (default 320)")
    parser.add_argument("--gatys-steps", type=int, default=150, help="L-BFGS steps per Gatys reference (default 150)")
    parser.add_argument("--loss-net", help="Gatys loss net (default: the one named on the model card)")
    parser.add_argument(
        "--gatys-precision",
        default="bf16",
        choices=["fp32", "bf16"],
        help="precision of the Gatys loss net (default bf16)",
    )
    parser.add_argument(
        "--gatys-dir",
        help="keep each Gatys reference here as PNG and reuse it on later runs (they do not depend on the model)",
    )
    parser.add_argument("--out", default="docs/gallery.jpg")
    args = parser.parse_args(argv)

    model = vidstyle.load_model(args.model)
    loss_net = args.loss_net or model.card.loss_net or "auto"
    rows = []
    for path in args.content:
        content = load_rgb(path, args.size)
        with torch.no_grad():
            styled = model.net(content)
        gatys = gatys_reference(path, content, args, loss_net)
        labels = [Path(path).name, f"model: {Path(model.source).name}", f"Gatys, {loss_net}, {args.gatys_steps} steps"]
        rows.append(labelled_row([to_pil(content), to_pil(styled), to_pil(gatys)], labels, gap=6))
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows) + 6 * (len(rows) - 1)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height + 6
    save_sheet(sheet, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
