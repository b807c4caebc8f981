"""Make docs/before-after.jpg: one frame of the bundled sample clip, as it is and through a style model.

python tools/before_after.py --model vidstyle/assets/default.safetensors --at 2.5 --out docs/before-after.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image

import vidstyle
from vidstyle.atomic import atomic_output

SAMPLE = Path(vidstyle.__file__).parent / "assets" / "sample.mp4"
GAP = 6


def frame_at(path: Path, seconds: float) -> Image.Image:
    """The first decoded frame at or after `seconds`."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= seconds:
                return frame.to_image()
    raise SystemExit(f"{path}: no frame at {seconds} s or later")


def stylize(model: vidstyle.StyleModel, image: Image.Image) -> Image.Image:
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    with torch.no_grad():
        out = model.net(pixels.contiguous())[0].clamp(0, 1)
    return Image.fromarray((out.permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="style model (default: the bundled one)")
    parser.add_argument("--video", type=Path, default=SAMPLE, help="the clip (default: the bundled sample)")
    parser.add_argument("--at", type=float, default=2.5, help="the frame's time in seconds (default 2.5)")
    parser.add_argument("--width", type=int, default=512, help="width of each half (default 512)")
    parser.add_argument("--out", type=Path, default=Path("docs/before-after.jpg"))
    args = parser.parse_args(argv)

    model = vidstyle.load_model(args.model)
    frame = frame_at(args.video, args.at)
    # Even sides, as the clip's own; the net runs at the size shown, as `stylize --max-side` would.
    height = round(frame.height * args.width / frame.width / 2) * 2
    before = frame.resize((args.width, height), Image.Resampling.LANCZOS)
    after = stylize(model, before)
    sheet = Image.new("RGB", (2 * args.width + GAP, height), "white")
    sheet.paste(before, (0, 0))
    sheet.paste(after, (args.width + GAP, 0))
    with atomic_output(args.out) as tmp:
        sheet.save(tmp, format="JPEG", quality=90)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
