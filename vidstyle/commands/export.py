"""vidstyle export"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from .common import add_output_argument

if TYPE_CHECKING:
    from vidstyle.modelfile import StyleModel

EXAMPLES = (
    "vidstyle export starry.safetensors --format onnx                  # starry.onnx, checked against torch",
    "vidstyle export starry.safetensors --format onnx --fp16 -o starry-fp16.onnx",
    "vidstyle export starry.safetensors --format onnx --int8 --calibrate photos/ -o starry-int8.onnx"
    "  # for CPUs; refused unless within 2/255 of fp32",
    "vidstyle export starry.safetensors --format engine --fp16 --opt-shape 8x1080x1920 --max-shape 8x1088x1920",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .safetensors style model")
    parser.add_argument(
        "--format",
        required=True,
        choices=["onnx", "engine"],
        help="onnx, or a TensorRT engine (needs TensorRT and a CUDA GPU)",
    )
    add_output_argument(parser, "output path (default: MODEL with .onnx or .engine)", required=False)
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset, 17 or newer (default 18)")
    parser.add_argument(
        "--fp16", action="store_true", help="convolutions in fp16, instance norm and I/O in fp32, inside the graph"
    )
    parser.add_argument(
        "--int8",
        action="store_true",
        help="onnx only: int8 convolutions (static QDQ quantization, for CPUs), "
        "calibrated on --calibrate's photos and refused unless within 2/255 of fp32 on average",
    )
    parser.add_argument(
        "--calibrate",
        metavar="FOLDER",
        help="photos for --int8: the first 16 (by name) calibrate, the next 4 check parity",
    )
    parser.add_argument("--min-shape", default="1x64x64", help="engine profile minimum, BxHxW (default 1x64x64)")
    parser.add_argument("--opt-shape", default="4x720x1280", help="engine profile optimum, BxHxW (default 4x720x1280)")
    parser.add_argument(
        "--max-shape", default="8x1088x1920", help="engine profile maximum, BxHxW (default 8x1088x1920)"
    )
    parser.add_argument(
        "--timing-cache", help="TensorRT timing cache file, created or reused (default: next to the engine)"
    )


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import check_output_path
    from vidstyle.errors import VidstyleError
    from vidstyle.export.onnx import ONNX_STEPS, export_onnx
    from vidstyle.modelfile import load_model
    from vidstyle.progress import step_bar

    log = logging.getLogger("vidstyle")
    suffix = ".onnx" if args.format == "onnx" else ".engine"
    output = Path(args.output or Path(args.model).with_suffix(suffix))
    if output.suffix.lower() != suffix:  # the suffix is what picks the backend that runs the file
        raise VidstyleError(
            f"--format {args.format} writes a {suffix} file, so the output must end in {suffix}, not {output.name!r}"
        )
    check_output_path(output, inputs=[args.model, args.timing_cache], overwrite=args.overwrite)
    if args.int8 and (args.format != "onnx" or args.fp16 or not args.calibrate):
        raise VidstyleError("--int8 needs --format onnx and --calibrate FOLDER, and does not combine with --fp16")
    model = load_model(args.model)
    if args.int8:
        return _int8(args, model, output, log)
    if args.format == "engine":
        return _engine(args, model, output, log)
    with step_bar(ONNX_STEPS, enabled=not args.quiet, desc=output.name) as step:
        report = export_onnx(model, output, opset=args.opset, fp16=args.fp16, on_step=step)
    log.info("%s", report.checker)
    for check in report.parity:
        size = "x".join(map(str, check.size))
        log.info(
            "onnxruntime vs torch at %s: max abs error %.2e, PSNR %.1f dB", size, check.max_abs_error, check.psnr_db
        )
    if report.skipped:
        log.info("%s", report.skipped)
    log.info("wrote %s (opset %d, %s)", output, report.opset, "fp16 convs" if report.fp16 else "fp32")
    return 0


def _engine(args: argparse.Namespace, model: StyleModel, output: Path, log: logging.Logger) -> int:
    from vidstyle.export.tensorrt import ENGINE_STEPS, export_engine, parse_shape
    from vidstyle.progress import step_bar

    shapes = (parse_shape(args.min_shape), parse_shape(args.opt_shape), parse_shape(args.max_shape))
    with step_bar(ENGINE_STEPS, enabled=not args.quiet, desc=output.name) as step:
        report = export_engine(
            model,
            output,
            opset=args.opset,
            fp16=args.fp16,
            shapes=shapes,
            source_model=str(args.model),
            timing_cache=args.timing_cache,
            on_step=step,
        )
    log.info(
        "built %s in %.1f s; TensorRT vs torch fp32 on a natural image: PSNR %.1f dB",
        output,
        report.build_seconds,
        report.psnr_db,
    )
    return 0


def _int8(args: argparse.Namespace, model: StyleModel, output: Path, log: logging.Logger) -> int:
    from vidstyle.export.quantize import export_int8

    report = export_int8(model, output, calibrate=args.calibrate)
    log.info(
        "int8 vs torch fp32 on %d photos not used to calibrate: mean abs difference %.2f/255, max %.1f/255",
        report.parity_images,
        report.mean_abs_diff * 255,
        report.max_abs_diff * 255,
    )
    log.info("wrote %s (int8 residual convolutions, calibrated on %d photos)", output, report.calibration_images)
    return 0
