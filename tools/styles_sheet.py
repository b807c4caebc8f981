r"""Make docs/styles.jpg: one content image under each style of a multi-style model, and under a mix.

The top row shows each style's painting (found by the file name on the model card, in
--paintings), the bottom row the content image through the model with that style's one-hot
weights; the last column is the mix given with --mix (50/50 of the first two styles by default).

    python tools/styles_sheet.py --model four.safetensors --content tubingen.jpg --paintings styles/ \
        --out docs/styles.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image

import vidstyle
from gallery import labelled_row, load_rgb, save_sheet, to_pil
from vidstyle.stylemix import describe_mix, one_hot, parse_mix


def painting_tile(folder: Path, image_name: str, size: int) -> Image.Image:
    path = folder / Path(image_name).name
    if not path.is_file():
        return Image.new("RGB", (size, size * 3 // 4), "lightgrey")
    return to_pil(load_rgb(str(path), size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a multi-style model file or bundled name")
    parser.add_argument("--content", required=True, help="the content image")
    parser.add_argument("--paintings", required=True, help="folder holding the style images named on the model card")
    parser.add_argument(
        "--mix", help='the last column\'s mix, as --style-mix takes it (default: "FIRST:0.5,SECOND:0.5")'
    )
    parser.add_argument("--size", type=int, default=256, help="longer side of every tile (default 256)")
    parser.add_argument("--out", default="docs/styles.jpg")
    args = parser.parse_args(argv)

    model = vidstyle.load_model(args.model)
    names = model.card.style_names
    if len(names) < 2:
        parser.error(f"{args.model} holds one style; this sheet is for multi-style models")
    mix = parse_mix(args.mix or f"{names[0]}:0.5,{names[1]}:0.5", names)
    content = load_rgb(args.content, args.size)
    columns = [(name, one_hot(row, len(names))) for row, name in enumerate(names)]
    columns.append((f"mix {describe_mix(mix, names)}", mix))
    outputs = []
    with torch.no_grad():
        for _, weights in columns:
            outputs.append(to_pil(model.net(content, weights[None])))
    images = {entry["name"]: entry.get("image", "") for entry in model.card.styles}
    paintings = [painting_tile(Path(args.paintings), images.get(name, ""), args.size) for name, _ in columns[:-1]]
    top = labelled_row([to_pil(content), *paintings], [Path(args.content).name, *[f"style: {n}" for n in names]], gap=6)
    bottom = labelled_row(
        [Image.new("RGB", outputs[0].size, "white"), *outputs], ["", *[label for label, _ in columns]], gap=6
    )
    # The mix has no painting: its column in the top row stays empty.
    sheet = Image.new("RGB", (max(top.width, bottom.width), top.height + bottom.height + 6), "white")
    sheet.paste(top, (0, 0))
    sheet.paste(bottom, (0, top.height + 6))
    save_sheet(sheet, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
