"""Live-loop latency: `python -m benchmarks.live --input CLIP [--model M] [--max-side 256]`.

Runs the camera loop on a file paced at its own frame rate (as `vidstyle camera --realtime`
does) and, in the same process, the model alone on the same frames, so the latency the loop
adds beyond model time can be read off.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from vidstyle.context import resolve_context
from vidstyle.frames import Frame
from vidstyle.live.session import run_live
from vidstyle.live.stats import LiveStats
from vidstyle.live.styles import StyleSwitcher
from vidstyle.media.capture import file_frames
from vidstyle.media.probe import probe
from vidstyle.modelfile import load_model
from vidstyle.stylizer import FrameStylizer

from . import stages
from .environment import describe
from .timing import measure


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live")
    parser.add_argument("--input", required=True)
    parser.add_argument("--model")
    parser.add_argument("--max-side", type=int, default=256)
    parser.add_argument("--frames", type=int, default=200, help="frames at most (0: all of them)")
    parser.add_argument("--loops", type=int, default=1, help="play the clip this many times back to back")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--exported", metavar="FILE", help="an exported model (.onnx or .engine) to run instead")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    ctx = resolve_context(args.device, args.precision)
    model = load_model(args.model)
    info = probe(args.input)
    stylizer = FrameStylizer.open(args.exported or model, args.backend, ctx=ctx, max_side=args.max_side)
    live = StyleSwitcher([stylizer], [stylizer.name])

    def show(frame: Frame) -> bool:
        return True

    def looped(stop: threading.Event) -> Iterator[np.ndarray]:
        for _ in range(args.loops):
            yield from file_frames(args.input, realtime=True, stop=stop)

    stats = LiveStats()
    summary = run_live(looped, live, show, max_frames=args.frames or None, stop=threading.Event(), stats=stats)
    # A queue that grows shows as latency that climbs from the first third of the run to the last.
    latencies = stats.latencies_ms
    third = max(len(latencies) // 3, 1)
    trend = {"first_third": float(np.median(latencies[:third])), "last_third": float(np.median(latencies[-third:]))}
    frames = [torch.from_numpy(f) for f in stages.decode_frames(args.input, 16)]
    height, width = stylizer.net_size(info.height, info.width)

    def one(i: int) -> int:
        stylizer(frames[i % len(frames)][None])  # the same per-frame work the loop does, minus the loop
        return 1

    model_only = measure("model+convert", one, ctx, repeats=30, warmup=3)
    result = {
        "environment": describe(ctx),
        "settings": {
            "input": Path(args.input).name,
            "source_fps": float(info.average_rate or 0),
            "max_side": args.max_side,
            "loops": args.loops,
            "net_size": [height, width],
            "width": model.card.width,
            "backend": args.backend,
            "precision": args.precision,
        },
        "live": summary,
        "latency_ms_p50_by_third": trend,
        "model_only_ms_p50": model_only.ms_p50,
        "added_latency_ms_p50": summary["latency_ms_p50"] - model_only.ms_p50,
        "frame_interval_ms": 1000.0 / float(info.average_rate) if info.average_rate else None,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "live",
                    "latency_ms_p50_by_third",
                    "model_only_ms_p50",
                    "added_latency_ms_p50",
                    "frame_interval_ms",
                )
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
