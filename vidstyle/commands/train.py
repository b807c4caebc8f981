"""vidstyle train"""

from __future__ import annotations

import argparse
import logging

from .common import add_loss_net_arguments, add_output_argument, config_from_args, positive_int

EXAMPLES = (
    "vidstyle train --data ~/coco/train2017 --style starry_night.jpg -o starry.safetensors",
    "vidstyle train --data photos/ --style mosaic.jpg -o m.safetensors --steps 600 --image-size 128 --loss-net vgg19-random",
    "vidstyle train ... --resume m-run/last.pt --steps 1200     # continue a run",
    "vidstyle train --data photos/ --style candy.jpg mosaic.jpg udnie.jpg -o three.safetensors   # one net, three styles",
    "vidstyle train --data photos/ --style starry.jpg --resume-from three.safetensors -o four.safetensors --steps 1000",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="DIR", help="folder of training images (searched recursively: jpg, png, webp)")
    parser.add_argument("--style", required=True, nargs="+", metavar="IMG", help="the style image; several train one multi-style network (one style per batch, round robin)")
    parser.add_argument("--resume-from", metavar="MODEL", help="add the --style images to this model's styles, training only their new norm rows (convs frozen)")
    add_output_argument(parser, "where to write the model (.safetensors)")
    parser.add_argument("--steps", type=positive_int, default=2000, metavar="N", help="optimiser steps (default 2000)")
    parser.add_argument("--image-size", type=positive_int, default=256, metavar="N", help="training crop size (default 256)")
    parser.add_argument("--batch-size", type=positive_int, default=4, metavar="N", help="images per step (default 4)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--content-weight", type=float, default=1.0, help="weight of the content term, the yardstick the Nx weights are relative to (default 1.0)")
    parser.add_argument("--style-weight",  default="10x", help="a number, or Nx: the style term starts at N times the content term, whatever the loss net's scale (default 10x)")
    parser.add_argument("--tv-weight",  default="1e-3x", help="total-variation weight, a number or Nx as for --style-weight (default 1e-3x)")
    parser.add_argument("--stability-weight", type=float, default=0.0, help="temporal stability loss weight (0: off)")
    parser.add_argument("--style-size", type=positive_int, default=512, metavar="N", help="longer side of the style image for its Gram targets (default 512)")
    parser.add_argument("--width", type=float, default=1.0, help="channel multiplier: 1.0 is the paper's net, 0.5 a faster one")
    parser.add_argument("--seed", type=int, default=0, help="seeds the net's initialisation and the data order")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where training runs (default: cuda if available)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"], help="auto: bf16 (or fp16 with a scaler) on CUDA; on a CPU with native bf16 (AMX or avx512_bf16), bf16 if a short probe finds it faster, else fp32 (default auto)")
    parser.add_argument("--checkpoint-every", type=positive_int, default=500, metavar="N", help="write RUN/last.pt every N steps")
    parser.add_argument("--preview-every", type=int, default=500, metavar="N", help="write a preview image every N steps (0: never)")
    parser.add_argument("--run-dir", metavar="DIR", help="checkpoints, previews and losses.csv (default: OUTPUT stem + '-run')")
    parser.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (last.pt in the run dir)")
    parser.add_argument("--workers", type=int, default=0, help="data loader worker processes (default 0)")
    parser.add_argument("--half-weights", action="store_true", help="store fp16 weights (half the file size)")
    add_loss_net_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from vidstyle.atomic import check_output_path
    from vidstyle.training.trainer import TrainConfig, train

    check_output_path(args.output, inputs=[*args.style, args.resume, args.resume_from, args.vgg_weights], overwrite=args.overwrite)
    config = config_from_args(TrainConfig, args)
    result = train(config)
    log = logging.getLogger("vidstyle")
    if result.skipped_files:
        log.info("skipped %d unreadable image file(s)", result.skipped_files)
    if result.history:
        log.info("loss: first %.4g, last %.4g", result.history[0]["total"], result.history[-1]["total"])
    log.info("wrote %s (checkpoints and previews in %s)", result.output, result.run_dir)
    return 0
