"""vidstyle stylize"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from .common import (
    add_output_argument,
    add_runtime_arguments,
    add_style_arguments,
    add_trim_arguments,
    onnx_export_for,
    positive_int,
    trim_from_args,
)

if TYPE_CHECKING:
    from vidstyle.jobs.video_options import VideoOptions

EXAMPLES = (
    "vidstyle stylize input.mp4 -o output.mp4",
    "vidstyle stylize input.mp4 -o output.mp4 --max-side 480            # faster on a CPU",
    "vidstyle stylize in.mkv -o out.mp4 --device cuda --precision fp16 --batch-size 8 --preset veryfast",
    "vidstyle stylize in.mp4 -o out.mkv --codec ffv1                    # lossless",
    "vidstyle stylize in.mp4 -o clip.mp4 --start 1:30 --duration 10      # 10 s from 1 min 30 s, audio too",
    "vidstyle stylize in.mp4 -o out.mp4 --model four-styles --style-schedule 0s:candy,4s:starry_night",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="the video to stylize")
    add_output_argument(parser, "the output video; its suffix picks the container (.mp4, .mkv, .mov, .webm)")
    add_video_arguments(parser)
    parser.add_argument(
        "--keep-partial",
        action="store_true",
        help="on Ctrl-C or SIGTERM, keep a playable file of the frames done so far (beside OUTPUT if that exists; "
        "never on an error)",
    )


def add_video_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say how each file is stylized; `vidstyle batch` takes the same ones."""
    add_runtime_arguments(parser, backend=True)
    add_style_arguments(parser, schedule=True)
    parser.add_argument(
        "--batch-size", type=positive_int, default=4, metavar="N", help="frames per inference batch (default 4)"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the net (CUDA graphs on CUDA)")
    parser.add_argument(
        "--color-convert",
        default="host",
        choices=["host", "device"],
        help="YUV->RGB in the decoder (host) or after upload, where the net runs (device; half the bytes to upload)",
    )
    enc = parser.add_argument_group("encoding")
    enc.add_argument(
        "--codec",
        help="video encoder (default: from the output's suffix, libvpx-vp9 for .webm, libx264 for .mp4/.mkv/.mov; "
        "libx265, ffv1, ...)",
    )
    enc.add_argument(
        "--crf",
        type=int,
        help="quality, lower is better (default: the codec's: 18 for libx264, 20 for libx265, 31 for libvpx-vp9; "
        "range 0-51 for x264/x265, 0-63 for vp9/av1)",
    )
    enc.add_argument(
        "--preset", help="speed preset (default: the codec's, medium for x264/x265; veryfast for speed; vp9 takes none)"
    )
    enc.add_argument("--pix-fmt", help="output pixel format (default yuv420p where the codec has it)")
    enc.add_argument("--no-audio", action="store_true", help="drop audio instead of carrying it over")
    add_trim_arguments(parser)
    parser.add_argument(
        "--temporal-blend",
        type=float,
        default=0.0,
        metavar="A",
        help="mix in the flow-warped previous output with weight A where flow is reliable and the input agrees "
        "(0: off; try 0.9)",
    )


def video_options(args: argparse.Namespace) -> VideoOptions:
    """The VideoOptions that add_video_arguments' flags ask for."""
    from vidstyle.jobs.video_options import Encoding, Runtime, VideoOptions
    from vidstyle.stylemix import StyleChoice

    return VideoOptions(
        model=args.model,
        runtime=Runtime(
            backend=args.backend,
            device=args.device,
            precision=args.precision,
            batch=args.batch_size,
            max_side=args.max_side,
            compile=args.compile,
            colour_convert=args.color_convert,
            onnx_export=onnx_export_for(args),
        ),
        encode=Encoding(
            codec=args.codec, crf=args.crf, preset=args.preset, pix_fmt=args.pix_fmt, audio=not args.no_audio
        ),
        trim=trim_from_args(args),
        choice=StyleChoice(args.style, args.style_mix, args.style_schedule),
        temporal_blend=args.temporal_blend,
    )


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import partial_path_for
    from vidstyle.jobs.video import stylize_video

    log = logging.getLogger("vidstyle")
    check_video_input(args.input)
    partial = partial_path_for(args.output)
    try:
        result = stylize_video(
            args.input,
            args.output,
            video_options(args),
            keep_partial=args.keep_partial,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        kept = args.keep_partial and partial.exists()
        log.error("interrupted: %s", f"a playable partial file is at {partial}" if kept else "no output was written")
        raise
    for note in result.notes:
        log.info("%s", note)
    log.info("wrote %s: %d frames in %.1f s (%.1f fps)", result.output, result.frames, result.seconds, result.fps)
    return 0


def check_video_input(path: str) -> None:
    """Inputs that stylize would misread (a URL as a path, a photo as a one-frame video), said
    in one line that names the command that takes them."""
    from pathlib import Path

    from vidstyle.errors import VidstyleError
    from vidstyle.images import IMAGE_SUFFIXES

    if "://" in path:
        raise VidstyleError(f"{path}: URLs are not supported; download the video and give the file")
    if Path(path).is_dir():
        raise VidstyleError(f"{path} is a folder; `vidstyle batch {path} --output-dir OUT` stylizes every video in it")
    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        raise VidstyleError(f"{path} is an image; `vidstyle image {path} -o OUT{Path(path).suffix}` stylizes it")
