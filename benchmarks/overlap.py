"""What the pipeline's overlap is worth: `stylize` against the same work done serially.

    python -m benchmarks.overlap --input clip.mp4 --max-side 256 --frames 60 --repeats 5 -o out.json

Both paths run the very same parts (the decoder at --max-side, the stylizer, the writer) on
the same frames; the serial one calls them one after another on one thread, decode ->
net -> encode per batch, as a plain loop would. Each rate is marginal: (frames of a long
run - frames of a short one) / (the difference in time), so opening the model and the
files cancels out. The two paths take turns within each repeat, so a machine whose load
changes over the minutes still compares them under the same load; the median of the
repeats is reported with every repeat's numbers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import torch

from vidstyle.colour import fit_max_side
from vidstyle.jobs.video import open_video, plan_video, run_video
from vidstyle.media.decode import DecodeStats, read_batches
from vidstyle.media.options import Trim
from vidstyle.modelfile import load_model
from vidstyle.stylemix import StyleChoice

from .environment import describe
from .run import write

WARM_FRAMES = 12  # the short run: start-up and the first batches, subtracted from the long one


def _plan(source: str, out: Path, model: Any, args: argparse.Namespace, frames: int) -> Any:
    return plan_video(
        source, out, model=model, backend=None, engine=None, device=args.device, precision=args.precision, batch=args.batch_size,
        max_side=args.max_side, codec=None, crf=None, preset=None, pix_fmt=None, keep_partial=False, overwrite=True,
        trim=Trim(max_frames=frames), styles=StyleChoice(), compile=False, audio=True, temporal_blend=0.0, colour_convert="host",
    )


def timed(source: str, out: Path, model: Any, args: argparse.Namespace, frames: int, *, overlap: bool) -> float:
    """Seconds for one whole `stylize` of `frames` frames, opening and closing included.

    The serial loop runs in a thread of its own, as the pipeline's net does: torch's OpenMP
    team on the main thread, alone in the process, spin-waits at every barrier, which on a
    machine shared with other work made the same net several times slower there and would
    be measured as the overlap's gain.
    """
    plan = _plan(source, out, model, args, frames)
    started = time.perf_counter()
    with open_video(plan, []) as session:
        stats = DecodeStats()
        if overlap:
            run_video(plan, session, stats, progress=False)
        else:

            def serial() -> None:
                for batch in read_batches(plan.input, plan.batch, stats, pixel_format=plan.pixel_format, max_side=plan.max_side, trim=plan.trim):
                    session.writer.write(batch.with_data(session.stylizer(batch.data, batch.pixel_format)))
                session.writer.close()

            worker = threading.Thread(target=serial, name="vidstyle-serial")
            worker.start()
            worker.join()
        assert session.writer.frames_written == frames, (session.writer.frames_written, frames)
    return time.perf_counter() - started


def marginal_fps(source: str, out: Path, model: Any, args: argparse.Namespace, *, overlap: bool) -> tuple[float, float]:
    """Frames per second over the counted frames, and the cores this process kept busy meanwhile."""
    process = psutil.Process()
    cpu = process.cpu_times()
    short = timed(source, out, model, args, WARM_FRAMES, overlap=overlap)
    between = process.cpu_times()
    long = timed(source, out, model, args, WARM_FRAMES + args.frames, overlap=overlap)
    after = process.cpu_times()
    cpu_seconds = (after.user - between.user + after.system - between.system) - (between.user - cpu.user + between.system - cpu.system)
    return args.frames / (long - short), cpu_seconds / (long - short)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overlap", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--input", required=True)
    parser.add_argument("--model", help="style model (default: the bundled one)")
    parser.add_argument("--max-side", type=int, default=256)
    parser.add_argument("--frames", type=int, default=60, help="frames counted (the marginal run's extra frames)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("-o", "--output", dest="out")
    args = parser.parse_args(argv)
    model = load_model(args.model)
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="vidstyle-overlap-") as tmp:
        out = Path(tmp) / "out.mp4"
        for repeat in range(args.repeats):
            # Alternate which goes first, so neither always runs right after the other's warm caches.
            order = (True, False) if repeat % 2 == 0 else (False, True)
            measured = {overlap: marginal_fps(args.input, out, model, args, overlap=overlap) for overlap in order}
            fps = {overlap: rate for overlap, (rate, _) in measured.items()}
            cores = {overlap: busy for overlap, (_, busy) in measured.items()}
            rows.append({"pipeline_fps": fps[True], "serial_fps": fps[False], "ratio": fps[True] / fps[False], "pipeline_cores_busy": cores[True], "serial_cores_busy": cores[False]})
            print(
                f"repeat {repeat + 1}: pipeline {fps[True]:.2f} fps ({cores[True]:.2f} cores busy), serial {fps[False]:.2f} fps ({cores[False]:.2f}), {fps[True] / fps[False]:.2f}x",
                flush=True,
            )
        plan = _plan(args.input, out, model, args, 1)
    net_height, net_width = fit_max_side(plan.info.height, plan.info.width, args.max_side)
    result = {
        "schema": "vidstyle-overlap/1",
        "environment": describe(plan.ctx),
        "settings": {
            "input": Path(args.input).name, "input_size": [plan.info.width, plan.info.height], "net_size": [net_width, net_height], "max_side": args.max_side,
            "model": Path(model.source).name, "backend": "torch", "precision": args.precision, "batch": args.batch_size,
            "frames_counted": args.frames, "short_run_frames": WARM_FRAMES, "repeats": args.repeats, "torch_threads": torch.get_num_threads(),
        },
        "repeats": rows,
        "pipeline_fps_median": statistics.median(r["pipeline_fps"] for r in rows),
        "serial_fps_median": statistics.median(r["serial_fps"] for r in rows),
        "ratio_median": statistics.median(r["ratio"] for r in rows),
    }
    print(f"median: pipeline {result['pipeline_fps_median']:.2f} fps, serial {result['serial_fps_median']:.2f} fps, ratio {result['ratio_median']:.2f}x")
    return write(result, args.out, summary=lambda r: []) if args.out else 0


if __name__ == "__main__":
    raise SystemExit(main())
