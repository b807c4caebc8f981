"""vidstyle stylize"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .common import add_output_argument, add_runtime_arguments, add_style_arguments, add_trim_arguments, output_from_args, positive_int, style_options, trim_from_args

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
    add_output_argument(parser, "the output video; its suffix picks the container (.mp4, .mkv, .mov, .webm)", positional_alias=True)
    add_video_arguments(parser)
    parser.add_argument("--keep-partial", action="store_true", help="on Ctrl-C or SIGTERM, keep a playable file of the frames done so far (beside OUTPUT if that exists; never on an error)")


def add_video_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say how each file is stylized; `vidstyle batch` takes the same ones."""
    add_runtime_arguments(parser, backend=True)
    add_style_arguments(parser, schedule=True)
    parser.add_argument("--batch-size", type=positive_int, default=4, metavar="N", help="frames per inference batch (default 4)")
    parser.add_argument("--batch", type=positive_int, dest="batch_size", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # the old spelling
    parser.add_argument("--compile", action="store_true", help="torch.compile the net (CUDA graphs on CUDA)")
    parser.add_argument("--color-convert", default="host", choices=["host", "device"], help="YUV->RGB in the decoder (host) or after upload, where the net runs (device; half the bytes to upload)")
    parser.add_argument("--colour-convert", dest="color_convert", choices=["host", "device"], default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # the old spelling
    enc = parser.add_argument_group("encoding")
    enc.add_argument("--codec", help="video encoder (default: from the output's suffix, libvpx-vp9 for .webm, libx264 for .mp4/.mkv/.mov; libx265, ffv1, ...)")
    enc.add_argument("--crf", type=int, help="quality, lower is better (default: the codec's: 18 for libx264, 20 for libx265, 31 for libvpx-vp9; range 0-51 for x264/x265, 0-63 for vp9/av1)")
    enc.add_argument("--preset", help="speed preset (default: the codec's, medium for x264/x265; veryfast for speed; vp9 takes none)")
    enc.add_argument("--pix-fmt", help="output pixel format (default yuv420p where the codec has it)")
    enc.add_argument("--no-audio", action="store_true", help="drop audio instead of carrying it over")
    add_trim_arguments(parser)
    parser.add_argument("--temporal-blend", type=float, default=0.0, metavar="A", help="mix in the flow-warped previous output with weight A where flow is reliable and the input agrees (0: off; try 0.9)")


def video_options(args: argparse.Namespace) -> dict[str, Any]:
    """stylize_video's keywords from add_video_arguments' flags (the model is passed apart)."""
    return {
        "backend": args.backend, "device": args.device, "precision": args.precision, "batch": args.batch_size,
        "max_side": args.max_side, "codec": args.codec, "crf": args.crf, "preset": args.preset, "pix_fmt": args.pix_fmt,
        "trim": trim_from_args(args), "compile": args.compile, "audio": not args.no_audio,
        "temporal_blend": args.temporal_blend, "colour_convert": args.color_convert, **style_options(args),
    }


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import check_output_path
    from vidstyle.jobs.video import stylize_video

    log = logging.getLogger("vidstyle")
    args.output = output_from_args(args)
    # Before the slow parts (a temporary ONNX export, loading the model).
    check_output_path(args.output, inputs=[args.input, args.model], overwrite=args.overwrite)
    with onnx_for(args) as model:
        return _stylize(args, model, stylize_video, log)


@contextlib.contextmanager
def onnx_for(args: argparse.Namespace, folder: str | None = None) -> Iterator[str | None]:
    """--backend onnxruntime with a .safetensors model: export it to a temporary ONNX for this run,
    in a hidden folder inside `folder` when given (batch puts it where every worker can read it)."""
    from vidstyle.backends import backend_for

    if backend_for(args.model, args.backend) != "onnxruntime" or str(args.model).lower().endswith(".onnx"):
        yield args.model
        return
    from vidstyle.atomic import made_outputs
    from vidstyle.export.onnx import export_onnx
    from vidstyle.modelfile import load_model

    model = load_model(args.model)
    with made_outputs() as made:  # a folder made here goes again if the run fails before writing into it
        if folder is not None:
            made.folder(folder)
        with tempfile.TemporaryDirectory(prefix="vidstyle-" if folder is None else ".vidstyle-", dir=folder) as tmp:
            path = str(Path(tmp) / (Path(model.source).stem + ".onnx"))
            fp16 = args.precision == "fp16"  # fp16 convs in the graph; bf16 has no ONNX form here
            logging.getLogger("vidstyle").info("exporting %s to a temporary %s ONNX for onnxruntime (removed after the run)", Path(model.source).name, "fp16" if fp16 else "fp32")
            export_onnx(model, path, fp16=fp16)
            yield path


def _stylize(args: argparse.Namespace, model: str | None, stylize_video: Callable[..., Any], log: logging.Logger) -> int:
    from vidstyle.atomic import partial_path_for

    partial = partial_path_for(args.output)
    try:
        result = stylize_video(
            args.input, args.output, model=model, keep_partial=args.keep_partial, overwrite=args.overwrite,
            progress=not args.quiet, **video_options(args),
        )
    except KeyboardInterrupt:
        kept = args.keep_partial and partial.exists()
        log.error("interrupted: %s", f"a playable partial file is at {partial}" if kept else "no output was written")
        raise
    for note in result.notes:
        log.info("%s", note)
    log.info("wrote %s: %d frames in %.1f s (%.1f fps)", result.output, result.frames, result.seconds, result.fps)
    return 0
