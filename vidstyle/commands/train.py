"""vidstyle train"""

from __future__ import annotations

import argparse
import logging

from .common import add_loss_net_arguments, add_output_argument, config_from_args, layers, positive_int

EXAMPLES = (
    "vidstyle train --data ~/coco/train2017 --style starry_night.jpg -o starry.safetensors",
    "vidstyle train --data photos/ --style mosaic.jpg -o m.safetensors --recipe reference"
    "   # the public fast-style recipe",
    "vidstyle train ... --resume m-run/last.pt     # continue a stopped run where it was",
    "vidstyle train ... --init-from m-run/model-004000.safetensors --steps 6000"
    "   # go on from a snapshot (new segment)",
    "vidstyle train --data photos/ --style candy.jpg mosaic.jpg udnie.jpg -o three.safetensors"
    "   # one net, three styles",
    "vidstyle train --data photos/ --style starry.jpg --resume-from three.safetensors -o four.safetensors --steps 1000",
)
# Options a --recipe may fill: they default to None here so that a recipe can tell "not given" from
# "given as the default"; TrainConfig holds the defaults used without a recipe (shown in --help).
RECIPE_OPTIONS = (
    "steps",
    "image_size",
    "batch_size",
    "lr",
    "clip_grad_norm",
    "content_weight",
    "style_weight",
    "style_balance",
    "style_layer_weights",
    "head",
    "tv_weight",
    "stability_weight",
    "pixel_weight",
    "style_size",
    "content_layers",
    "style_layers",
    "loss_net",
)
NATIVE = "native"
# The recipe `vidstyle train` runs unless told otherwise (--teacher: distill); "none" is TrainConfig's own
# relative weights. Why this one: docs/style-quality.md.
DEFAULT_RECIPE = "balanced"
NO_RECIPE = "none"


def style_size(text: str) -> int | str:
    return NATIVE if text == NATIVE else positive_int(text)


def shown(value: object) -> str:
    """A recipe value as one would type it on the command line."""
    if value is None:
        return NATIVE
    if isinstance(value, tuple):
        return ",".join(shown(item) for item in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def default_note(option: str, plain: str) -> str:
    """The help's "(default ...)" for a recipe option: the default recipe's value, and what it is without one."""
    from vidstyle.training.recipes import RECIPES

    values = RECIPES[DEFAULT_RECIPE].values
    if option not in values:
        return f"(default {plain})"
    return f"(default {shown(values[option])}, from the {DEFAULT_RECIPE} recipe; {plain} with --recipe {NO_RECIPE})"


def recipe_name(args: argparse.Namespace) -> str:
    """The recipe this run fills its options from; "" for none."""
    if args.recipe is None:
        return "distill" if args.teacher else DEFAULT_RECIPE
    return "" if args.recipe == NO_RECIPE else str(args.recipe)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from vidstyle.training.recipes import RECIPES

    parser.add_argument(
        "--data",
        required=True,
        metavar="DIR",
        help="folder of training images (searched recursively: jpg, png, webp, bmp, tif)",
    )
    parser.add_argument(
        "--style",
        nargs="+",
        default=[],
        metavar="IMG",
        help="the style image; several train one multi-style network (one style per batch, round robin); "
        "required unless --teacher",
    )
    add_output_argument(parser, "where to write the model (.safetensors)")
    parser.add_argument(
        "--recipe",
        choices=[*RECIPES, NO_RECIPE],
        help="fill the options not given from a named recipe: "
        + "; ".join(f"{name}: {r.summary}" for name, r in RECIPES.items())
        + f"; {NO_RECIPE}: the relative weights, whatever the loss net "
        f"(default {DEFAULT_RECIPE}; distill with --teacher)",
    )
    parser.add_argument(
        "--steps", type=positive_int, metavar="N", help="optimiser steps in this run " + default_note("steps", "2000")
    )
    parser.add_argument(
        "--image-size", type=positive_int, metavar="N", help="training crop size " + default_note("image_size", "256")
    )
    parser.add_argument(
        "--batch-size", type=positive_int, metavar="N", help="images per step " + default_note("batch_size", "4")
    )
    parser.add_argument("--lr", type=float, help="Adam learning rate " + default_note("lr", "1e-3"))
    parser.add_argument(
        "--clip-grad-norm",
        type=float,
        metavar="N",
        help="scale each step's gradient down to at most this norm, 0 for off (losses.csv logs the norm) "
        + default_note("clip_grad_norm", "0"),
    )
    parser.add_argument(
        "--content-weight",
        type=float,
        help="weight of the content term, the yardstick the Nx weights are relative to "
        + default_note("content_weight", "1.0"),
    )
    parser.add_argument(
        "--style-weight",
        help="a number, or Nx: the style term starts at N times the content term, "
        "measured on the starting net; with a --teacher and no --style, the Gram distance to the teacher's own "
        "pictures " + default_note("style_weight", "10x"),
    )
    parser.add_argument(
        "--style-balance",
        choices=["sum", "layer"],
        help="how the style layers add up: sum, the plain Gram MSE per layer (the shallow layers dominate), "
        "or layer, each layer's MSE relative to its target's size " + default_note("style_balance", "sum"),
    )
    parser.add_argument(
        "--tv-weight",
        help="total-variation weight, a number or Nx as for --style-weight " + default_note("tv_weight", "1e-3x"),
    )
    parser.add_argument(
        "--stability-weight",
        type=float,
        help="temporal stability loss weight " + default_note("stability_weight", "0: off"),
    )
    parser.add_argument(
        "--style-size",
        type=style_size,
        metavar="N|native",
        help="longer side of the style image for its Gram targets, or native for its own size "
        + default_note("style_size", "512"),
    )
    parser.add_argument(
        "--width",
        type=float,
        help="channel multiplier: 1.0 is the paper's net, 0.5 a faster one (default 1.0, or the --init-from model's)",
    )
    parser.add_argument(
        "--residual-blocks", type=int, default=5, metavar="N", help="residual blocks (default 5, the paper's)"
    )
    parser.add_argument(
        "--separable",
        action="store_true",
        help="depthwise-separable residual convs: a small net for real time on a CPU (default: off)",
    )
    parser.add_argument(
        "--head",
        choices=["tanh", "clamp"],
        help="the output layer: tanh, or clamp (linear while training, clamped to [0, 1] when run; "
        "no vanishing gradient at black and white) " + default_note("head", "tanh, or the --init-from model's"),
    )
    group = parser.add_argument_group("distillation")
    group.add_argument(
        "--teacher",
        metavar="MODEL",
        help="train a student on this model's pictures "
        "(its styles become the student's; --recipe distill unless another is named)",
    )
    group.add_argument(
        "--pixel-weight",
        help="with --teacher: weight of the L1 distance to the teacher's picture, "
        "a number or Nx of the content term (default 1x)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seeds the net's initialisation and the data order (default 0)"
    )
    parser.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="where training runs (default: cuda if available)",
    )
    parser.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "fp16", "bf16"],
        help="auto: bf16 (or fp16 with a scaler) on CUDA; "
        "on a CPU with native bf16 (AMX or avx512_bf16), bf16 if a short probe finds it faster, else fp32 "
        "(default auto)",
    )
    parser.add_argument(
        "--threads", type=positive_int, metavar="N", help="CPU threads for training (default: one per core)"
    )
    group = parser.add_argument_group("runs that outlast a sitting")
    group.add_argument(
        "--run-dir",
        metavar="DIR",
        help="checkpoints, snapshots, previews and losses.csv (default: OUTPUT stem + '-run')",
    )
    group.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=500,
        metavar="N",
        help="write RUN/last.pt every N steps (default 500)",
    )
    group.add_argument(
        "--snapshot-every",
        type=int,
        default=1000,
        metavar="N",
        help="write an fp16 RUN/model-NNNNNN.safetensors every N steps, to keep or continue with --init-from "
        "(0: never; default 1000)",
    )
    group.add_argument(
        "--preview-every",
        type=int,
        default=500,
        metavar="N",
        help="write a preview image every N steps (0: never; default 500)",
    )
    group.add_argument(
        "--resume",
        metavar="CKPT",
        help="continue a stopped run from its checkpoint (RUN/last.pt): same segment, optimizer state kept",
    )
    group.add_argument(
        "--init-from",
        metavar="MODEL",
        help="start from a model's weights (a snapshot, or any .safetensors of this net), "
        "with a fresh optimizer and a short lr warm-up; the card adds this run as a new segment",
    )
    group.add_argument(
        "--warmup-steps", type=int, default=100, metavar="N", help="lr warm-up after --init-from (default 100)"
    )
    parser.add_argument(
        "--resume-from",
        metavar="MODEL",
        help="add the --style images to this model's styles, training only their new norm rows (convs frozen)",
    )
    parser.add_argument("--workers", type=int, default=0, help="data loader worker processes (default 0)")
    parser.add_argument("--half-weights", action="store_true", help="store fp16 weights (half the file size)")
    add_loss_net_arguments(parser, default_note=default_note)


def config_values(args: argparse.Namespace) -> dict[str, object]:
    """The recipe's values (a resumed run's own, unless --recipe is given), overridden by every recipe
    option given on the command line; and the recipe's name, for the card."""
    from vidstyle.training.checkpoint import saved_options
    from vidstyle.training.recipes import recipe_values

    if args.resume and args.recipe is None:  # it goes on as it was started, whatever the default is now
        values = saved_options(args.resume, (*RECIPE_OPTIONS, "recipe"))
    else:
        values = recipe_values(recipe_name(args)) | {"recipe": recipe_name(args)}
    for name in RECIPE_OPTIONS:
        given = getattr(args, name)
        if given is None or given == "":
            continue
        values[name] = None if given == NATIVE else layers(given) if name.endswith("_layers") else given
    if args.style_layers and args.style_layer_weights is None:
        values.pop("style_layer_weights", None)  # a recipe's layer weights are for its own style layers
    return values


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import check_output_path
    from vidstyle.training.trainer import TrainConfig, train

    check_output_path(
        args.output,
        inputs=[*args.style, args.resume, args.resume_from, args.init_from, args.teacher, args.vgg_weights],
        overwrite=args.overwrite,
    )
    # Recipe options not given stay out, so that TrainConfig's defaults (or the recipe's) apply.
    rest = argparse.Namespace(**{name: value for name, value in vars(args).items() if name not in RECIPE_OPTIONS})
    config = config_from_args(TrainConfig, rest, **config_values(args))
    result = train(config)
    log = logging.getLogger("vidstyle")
    if result.skipped_files:
        log.info("skipped %d unreadable image file(s)", result.skipped_files)
    if result.history:
        log.info("loss: first %.4g, last %.4g", result.history[0]["total"], result.history[-1]["total"])
    log.info("wrote %s (checkpoints and previews in %s)", result.output, result.run_dir)
    return 0
