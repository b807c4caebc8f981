"""Store a model's weights in fp16, but only if its pictures stay the same.

    python tools/half_model.py trained.safetensors vidstyle/assets/default.safetensors --images a.jpg b.jpg

Each image is stylized with the fp32 and the fp16-stored weights (both run in fp32) and the
mean absolute difference is measured in 8-bit levels; the fp16 file is written only when every
image stays within --max-mean-levels (default 1, i.e. 1/255).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

import vidstyle
from vidstyle.images import read_image
from vidstyle.stylemix import one_hot


def mean_levels(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().mean() * 255.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the fp32 .safetensors model")
    parser.add_argument("output", help="where the fp16 file goes (replaced only when parity holds)")
    parser.add_argument("--images", nargs="+", required=True, help="pictures to compare on")
    parser.add_argument(
        "--max-side", type=int, default=512, help="longer side the images are stylized at (default 512)"
    )
    parser.add_argument(
        "--max-mean-levels",
        type=float,
        default=1.0,
        help="largest mean difference allowed, in 8-bit levels (default 1)",
    )
    args = parser.parse_args(argv)

    full = vidstyle.load_model(args.model)
    with tempfile.TemporaryDirectory() as folder:
        half_path = vidstyle.save_model(Path(folder) / "half.safetensors", full.net, full.card, half=True)
        half = vidstyle.load_model(half_path)
        worst = 0.0
        for path in args.images:
            image = read_image(path, max_side=args.max_side)
            # Every style of a multi-style model is checked: each has norm rows of its own.
            for row, name in enumerate(full.card.style_names):
                weights = one_hot(row, full.net.style_count)[None]
                with torch.no_grad():
                    difference = mean_levels(full.net(image, weights), half.net(image, weights))
                worst = max(worst, difference)
                print(f"{Path(path).name}, {name}: mean |fp32 - fp16 weights| = {difference:.3f} levels")
        if worst > args.max_mean_levels:
            print(f"not written: {worst:.3f} levels is above {args.max_mean_levels}", file=sys.stderr)
            return 1
        vidstyle.save_model(args.output, full.net, full.card, half=True)
    print(
        f"wrote {args.output} ({Path(args.output).stat().st_size / 1e6:.1f} MB), "
        f"worst mean difference {worst:.3f} levels"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
