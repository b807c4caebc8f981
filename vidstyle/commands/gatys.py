"""vidstyle gatys"""

from __future__ import annotations

import argparse
import logging

from .common import add_loss_net_arguments, add_output_argument, config_from_args, positive_int

EXAMPLES = (
    "vidstyle gatys tubingen.jpg starry_night.jpg -o out.png --max-side 512",
    "vidstyle gatys photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 -o mix.png --original-colors",
    "vidstyle gatys photo.jpg --mode content --content-layers relu3_1 -o recon.png   # content reconstruction",
    "vidstyle gatys photo.jpg starry.jpg --mode texture -o texture.png               # texture synthesis",
    "vidstyle gatys --video clip.mp4 --every 30 starry.jpg -o refs/                 # reference frames",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "images", nargs="+", metavar="IMAGE", help="CONTENT STYLE [STYLE ...] (with --video: STYLE [STYLE ...])"
    )
    add_output_argument(parser, "output image (a folder with --video)")
    parser.add_argument("--style-blend", help="comma-separated weights, one per style image (default: equal)")
    parser.add_argument("--steps", type=positive_int, default=300, metavar="N", help="optimiser iterations")
    parser.add_argument(
        "--max-side",
        dest="size",
        type=positive_int,
        default=512,
        metavar="N",
        help="longer side of the result (default 512)",
    )
    parser.add_argument(
        "--style-size", type=positive_int, metavar="N", help="longer side of the style images (default: --max-side)"
    )
    parser.add_argument("--optimizer", default="lbfgs", choices=["lbfgs", "adam"], help="L-BFGS (Gatys et al.) or Adam")
    parser.add_argument("--lr", type=float, help="learning rate (default 1 for L-BFGS, 0.02 for Adam)")
    parser.add_argument(
        "--init", default="content", choices=["content", "noise"], help="the image the optimisation starts from"
    )
    parser.add_argument(
        "--mode",
        default="transfer",
        choices=["transfer", "content", "texture"],
        help="content: reconstruct the content from noise (style weight 0); "
        "texture: synthesise the style from noise (content weight 0)",
    )
    parser.add_argument(
        "--content-weight",
        type=float,
        default=1.0,
        help="weight of the content term, the yardstick the Nx weights are relative to (default 1.0)",
    )
    parser.add_argument(
        "--style-weight",
        default="1e3x",
        help="a number, or Nx: N times the content loss, both measured on a seeded noise image, "
        "whatever the loss net's scale (default 1e3x)",
    )
    parser.add_argument(
        "--style-balance",
        default="sum",
        choices=["sum", "layer"],
        help="how the style layers add up: sum, the plain Gram MSE per layer (the shallow layers dominate), "
        "or layer, each layer's MSE relative to its target's size (default sum)",
    )
    parser.add_argument(
        "--tv-weight",
        default="1e-2x",
        help="total-variation weight, a number or Nx as for --style-weight (default 1e-2x)",
    )
    parser.add_argument(
        "--original-colors", action="store_true", help="transfer luminance only, keeping the content's colours"
    )
    parser.add_argument("--video", metavar="CLIP", help="write reference frames of this clip instead of one image")
    parser.add_argument(
        "--every", type=positive_int, default=30, metavar="N", help="with --video: one reference frame every N frames"
    )
    parser.add_argument(
        "--device", default="auto", choices=["auto", "cpu", "cuda"], help="where it runs (default: cuda if available)"
    )
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=["auto", "fp32", "bf16"],
        help="bf16 runs the loss net in bf16 (the image and L-BFGS stay fp32); "
        "auto picks it where the hardware makes it faster (default fp32)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the noise image")
    add_loss_net_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from vidstyle.errors import VidstyleError
    from vidstyle.training.gatys import GatysConfig

    images = list(args.images)
    needed = 1 if (args.video or args.mode == "content") else 2
    if len(images) < needed:
        raise VidstyleError(
            "give a content image and at least one style image" if not args.video else "give at least one style image"
        )
    content = "" if args.video else images.pop(0)
    try:
        blend = [float(w) for w in args.style_blend.split(",")] if args.style_blend else []
    except ValueError:
        raise VidstyleError(
            f"--style-blend takes numbers separated by commas, like 0.7,0.3; got {args.style_blend!r}"
        ) from None
    config = config_from_args(GatysConfig, args, content=content, style_images=images, style_blend=blend)
    log = logging.getLogger("vidstyle")
    if args.video:
        from vidstyle.training.reference import write_reference_frames

        written = write_reference_frames(args.video, args.output, config, every=args.every, overwrite=args.overwrite)
        log.info("wrote %d reference frame(s) to %s", len(written), args.output)
        return 0
    from vidstyle.atomic import check_output_path
    from vidstyle.images import read_image
    from vidstyle.training.gatys import run_gatys

    check_output_path(args.output, inputs=[content, *images], overwrite=args.overwrite)
    for path in [content, *images]:
        if path:
            read_image(path, max_side=16)  # unreadable inputs fail before the slow part
    result = run_gatys(config)
    result.save(args.output, overwrite=args.overwrite)
    first, last = result.history[0]["total"], result.history[-1]["total"]
    log.info(
        "loss %.4g -> %.4g (%.0f%% lower); wrote %s", first, last, 100 * (1 - last / first) if first else 0, args.output
    )
    return 0
