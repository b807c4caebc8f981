"""vidstyle flicker"""

from __future__ import annotations

import argparse
import json
import logging

from .common import positive_int

EXAMPLES = (
    "vidstyle flicker input.mp4 styled.mp4",
    "vidstyle flicker input.mp4 styled.mp4 --json flicker.json --max-side 320",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="the original clip (optical flow is computed on it)")
    parser.add_argument("stylized", help="the stylized clip, frame for frame")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    parser.add_argument("--max-side", type=positive_int, default=480, help="flow is computed on frames scaled to this size (default 480)")


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import atomic_output, check_output_path
    from vidstyle.errors import VidstyleError
    from vidstyle.media.probe import probe
    from vidstyle.temporal import paired_frames, warping_error

    first, second = probe(args.input), probe(args.stylized)
    # A stylized clip may be one pixel larger: 4:2:0 output pads odd sizes to even.
    if not (0 <= second.width - first.width <= 1 and 0 <= second.height - first.height <= 1):
        raise VidstyleError(f"sizes differ: {args.input} is {first.width}x{first.height}, {args.stylized} is {second.width}x{second.height}")
    if args.json:
        check_output_path(args.json)
    try:
        report = warping_error(paired_frames(args.input, args.stylized), max_side=args.max_side)
    except ValueError as exc:
        raise VidstyleError(str(exc)) from None
    print(f"warping error: stylized {report.stylized_warping_error:.4f}, input {report.input_warping_error:.4f}, ratio {report.ratio:.2f} ({report.frames} frames)")
    if args.json:
        with atomic_output(args.json) as tmp:
            tmp.write_text(json.dumps(report.as_dict(), indent=2))
    logging.getLogger("vidstyle").info("lower is steadier; a ratio near 1 flickers no more than the input itself")
    return 0
