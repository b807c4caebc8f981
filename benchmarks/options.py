"""Command-line options of the benchmark, importable without torch (for `vidstyle --help`)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats: a schema smoke test that runs in seconds")
    parser.add_argument("--backends", help="comma list of torch,onnxruntime,tensorrt (default: those usable here)")
    parser.add_argument("--precisions", help="comma list of fp32,fp16,bf16 (default: fp32 on CPU, fp16,fp32 on CUDA)")
    parser.add_argument("--sizes", help="comma list of 180p,360p,720p,1080p,2160p or WxH (default: 360p on CPU, 720p,1080p on CUDA)")
    parser.add_argument("--batches", help="comma list of batch sizes (default: 1,4 on CPU; 1,8 on CUDA)")
    parser.add_argument("--max-side", type=int, help="benchmark one input file as `stylize --max-side N` would run it (overrides --sizes)")
    parser.add_argument("--input", help="source clip (default: the bundled sample)")
    parser.add_argument("--model", help="style model (default: the bundled one)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (median reported)")
    parser.add_argument("--frames", type=int, help="frames per end-to-end clip")
    parser.add_argument("--skip-paper", action="store_true", help="skip the Gatys vs feed-forward comparison")
    parser.add_argument("--out", help="JSON path (default: benchmarks/results/<device>-<date>.json)")
    train = parser.add_argument_group("training benchmark (--train): s/step and img/s in fp32 and bf16, and bf16's loss gap")
    train.add_argument("--train", action="store_true", help="benchmark training instead of inference")
    train.add_argument("--data", metavar="DIR", help="training images (required with --train)")
    train.add_argument("--style", metavar="IMG", help="style image (required with --train)")
    train.add_argument("--train-steps", type=int, default=50, metavar="N", help="steps per precision, from the same seed (default 50)")
    train.add_argument("--image-size", type=int, default=256, help="training crop size (default 256)")
    train.add_argument("--batch-size", type=int, default=4, help="images per step (default 4)")
    train.add_argument("--loss-net", default="auto", help="as for `vidstyle train` (default auto)")
