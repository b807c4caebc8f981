"""What the pipeline's overlap is worth: `stylize` against the same work done serially.

    python -m benchmarks.overlap --input clip.mp4 --max-side 256 --frames 60 --repeats 5 -o out.json

Every path runs the very same parts (the decoder at --max-side, the stylizer, the writer)
on the same frames; the serial ones call them one after another on one thread, decode ->
net -> encode per batch, as a plain loop would (see timed() for the two). Each rate is
marginal: (frames of a long run - frames of a short one) / (the difference in time), so
opening the model and the files cancels out. The paths take turns within each repeat, so
a machine whose load changes over the minutes still compares them under the same load;
the median of the repeats is reported with every repeat's numbers.
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
from vidstyle.jobs.video_options import Runtime, VideoOptions
from vidstyle.jobs.video_plan import plan_video
from vidstyle.jobs.video_run import open_video, run_video
from vidstyle.media.decode import DecodeStats, read_batches
from vidstyle.media.options import Trim
from vidstyle.modelfile import load_model

from .environment import describe
from .output import write

WARM_FRAMES = 12  # the short run: start-up and the first batches, subtracted from the long one


def _plan(source: str, out: Path, model: Any, args: argparse.Namespace, frames: int) -> Any:
    runtime = Runtime(device=args.device, precision=args.precision, batch=args.batch_size, max_side=args.max_side)
    return plan_video(source, out, VideoOptions(model=model, runtime=runtime, trim=Trim(max_frames=frames)))


PATHS = ("pipeline", "serial", "serial-main")


def timed(source: str, out: Path, model: Any, args: argparse.Namespace, frames: int, *, path: str) -> float:
    """Seconds for one whole `stylize` of `frames` frames, opening and closing included.

    "serial" runs the loop in a thread of its own, as the pipeline runs its net: torch's
    OpenMP team on the main thread spin-waits at every barrier, which on a machine shared
    with other work made the same net several times slower there. "serial-main" is the
    loop as a plain script runs it, on the main thread, slowdown and all.
    """
    overlap = path == "pipeline"
    plan = _plan(source, out, model, args, frames)
    started = time.perf_counter()
    with open_video(plan, []) as session:
        stats = DecodeStats()
        if overlap:
            run_video(plan, session, stats, progress=False)
        else:
            runtime = plan.options.runtime

            def serial() -> None:
                for batch in read_batches(
                    plan.input,
                    runtime.batch,
                    stats,
                    pixel_format=plan.pixel_format,
                    max_side=runtime.max_side,
                    trim=plan.options.trim,
                ):
                    session.writer.write(batch.with_data(session.stylizer(batch.data, batch.pixel_format)))
                session.writer.close()

            if path == "serial-main":
                serial()
            else:
                worker = threading.Thread(target=serial, name="vidstyle-serial")
                worker.start()
                worker.join()
        assert session.writer.frames_written == frames, (session.writer.frames_written, frames)
    return time.perf_counter() - started


def marginal_fps(source: str, out: Path, model: Any, args: argparse.Namespace, *, path: str) -> tuple[float, float]:
    """Frames per second over the counted frames, and the cores this process kept busy meanwhile."""
    process = psutil.Process()
    cpu = process.cpu_times()
    short = timed(source, out, model, args, WARM_FRAMES, path=path)
    between = process.cpu_times()
    long = timed(source, out, model, args, WARM_FRAMES + args.frames, path=path)
    after = process.cpu_times()
    cpu_seconds = (after.user - between.user + after.system - between.system) - (
        between.user - cpu.user + between.system - cpu.system
    )
    return args.frames / (long - short), cpu_seconds / (long - short)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.overlap", description=__doc__.splitlines()[0] if __doc__ else None
    )
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
            # Each repeat turns the order round, so no path always runs right after another's warm caches.
            order = PATHS if repeat % 2 == 0 else PATHS[::-1]
            measured = {path: marginal_fps(args.input, out, model, args, path=path) for path in order}
            row = {f"{path}_fps": fps for path, (fps, _) in measured.items()} | {
                f"{path}_cores_busy": busy for path, (_, busy) in measured.items()
            }
            row |= {
                "ratio": row["pipeline_fps"] / row["serial_fps"],
                "ratio_vs_main_thread_loop": row["pipeline_fps"] / row["serial-main_fps"],
            }
            rows.append(row)
            print(
                f"repeat {repeat + 1}: "
                + ", ".join(f"{path} {fps:.2f} fps ({busy:.2f} cores busy)" for path, (fps, busy) in measured.items())
                + f"; {row['ratio']:.2f}x, {row['ratio_vs_main_thread_loop']:.2f}x",
                flush=True,
            )
        plan = _plan(args.input, out, model, args, 1)
    net_height, net_width = fit_max_side(plan.info.height, plan.info.width, args.max_side)
    result = {
        "schema": "vidstyle-overlap/1",
        "environment": describe(plan.ctx),
        "settings": {
            "input": Path(args.input).name,
            "input_size": [plan.info.width, plan.info.height],
            "net_size": [net_width, net_height],
            "max_side": args.max_side,
            "model": Path(model.source).name,
            "backend": "torch",
            "precision": args.precision,
            "batch": args.batch_size,
            "frames_counted": args.frames,
            "short_run_frames": WARM_FRAMES,
            "repeats": args.repeats,
            "torch_threads": torch.get_num_threads(),
        },
        "paths": {
            "pipeline": "vidstyle stylize: decode, net and encode each in its own thread",
            "serial": "the same parts one after another in one thread (not the main one)",
            "serial-main": "the same loop on the main thread, as a plain script runs it",
        },
        "repeats": rows,
        "median": {key: statistics.median(r[key] for r in rows) for key in rows[0]},
    }
    median = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    print(
        f"median: pipeline {median['pipeline_fps']:.2f} fps, serial {median['serial_fps']:.2f} fps "
        f"({median['ratio']:.2f}x), serial on the main thread {median['serial-main_fps']:.2f} fps "
        f"({median['ratio_vs_main_thread_loop']:.2f}x)"
    )
    return write(result, args.out, summary=lambda r: []) if args.out else 0


if __name__ == "__main__":
    raise SystemExit(main())
