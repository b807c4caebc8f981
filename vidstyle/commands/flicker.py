"""vidstyle flicker"""

from __future__ import annotations

import argparse
import json
import logging

from .common import positive_int

EXAMPLES = (
    "vidstyle flicker input.mp4 styled.mp4",
    "vidstyle flicker input.mp4 styled.mp4 --stats-json flicker.json --max-side 320",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="the original clip (optical flow is computed on it)")
    parser.add_argument("stylized", help="the stylized clip, frame for frame")
    parser.add_argument("--stats-json", metavar="PATH", help="also write the numbers as JSON")
    parser.add_argument(
        "--max-side",
        type=positive_int,
        default=480,
        metavar="N",
        help="flow is computed on frames scaled to this size (default 480)",
    )


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import atomic_output, check_output_path
    from vidstyle.jobs.flicker import measure_flicker

    inputs = [args.input, args.stylized]
    if args.stats_json:
        check_output_path(args.stats_json, inputs=inputs, overwrite=args.overwrite)
    report = measure_flicker(args.input, args.stylized, max_side=args.max_side, progress=not args.quiet)
    print(
        f"warping error: stylized {report.stylized_warping_error:.4f}, input {report.input_warping_error:.4f}, "
        f"ratio {report.ratio:.2f} ({report.frames} frames)"
    )
    if args.stats_json:
        with atomic_output(args.stats_json, overwrite=args.overwrite) as tmp:
            tmp.write_text(json.dumps(report.as_dict(), indent=2))
    logging.getLogger("vidstyle").info("lower is steadier; a ratio near 1 flickers no more than the input itself")
    return 0
