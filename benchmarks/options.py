"""Command-line options of the benchmark, importable without torch (for `vidstyle --help`)."""

from __future__ import annotations

import argparse

from vidstyle.commands.common import LOSS_NETS, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes and few repeats: a schema smoke test that runs in seconds"
    )
    # One name per concept across vidstyle's commands; here each takes a comma list.
    parser.add_argument(
        "--backend",
        dest="backends",
        metavar="LIST",
        help="torch,onnxruntime,tensorrt, one or more (default: those usable here)",
    )
    parser.add_argument(
        "--precision",
        dest="precisions",
        metavar="LIST",
        help="fp32,fp16,bf16, one or more (default: fp32 on CPU, fp16,fp32 on CUDA)",
    )
    parser.add_argument(
        "--batch-size",
        dest="batches",
        metavar="LIST",
        help="frames per batch, one or more (default: 1,4 on CPU, 1,8 on CUDA; with --train one number, 4)",
    )
    parser.add_argument(
        "--sizes", help="comma list of 180p,360p,720p,1080p,2160p or WxH (default: 360p on CPU, 720p,1080p on CUDA)"
    )
    parser.add_argument(
        "--max-side",
        type=positive_int,
        metavar="N",
        help="benchmark one input file as `stylize --max-side N` would run it (default: off, --sizes decides)",
    )
    parser.add_argument("--input", help="source clip (default: the bundled sample)")
    parser.add_argument("--model", help="style model (default: the bundled one)")
    parser.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="where the net runs (default: cuda if available)",
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        help="timed repeats per measurement, the median reported (default: 2 with --quick, else 5)",
    )
    parser.add_argument(
        "--frames", type=positive_int, metavar="N", help="frames per end-to-end clip (default: 8 with --quick, else 48)"
    )
    parser.add_argument("--skip-paper", action="store_true", help="skip the Gatys vs feed-forward comparison")
    parser.add_argument(
        "-o",
        "--output",
        dest="out",
        metavar="PATH",
        help="JSON path (default: benchmarks/results/<device>-<date>.json in a clone, "
        "else bench-<device>-<date>.json here)",
    )
    train = parser.add_argument_group(
        "training benchmark (--train): s/step and img/s in fp32 and bf16, and bf16's loss gap"
    )
    train.add_argument("--train", action="store_true", help="benchmark training instead of inference")
    train.add_argument("--data", metavar="DIR", help="training images (required with --train)")
    train.add_argument("--style", metavar="IMG", help="style image (required with --train)")
    train.add_argument(
        "--steps",
        dest="train_steps",
        type=positive_int,
        default=50,
        metavar="N",
        help="steps per precision, from the same seed (default 50)",
    )
    train.add_argument(
        "--image-size", type=positive_int, default=256, metavar="N", help="training crop size (default 256)"
    )
    train.add_argument("--loss-net", default="auto", choices=LOSS_NETS, help="as for `vidstyle train` (default auto)")
