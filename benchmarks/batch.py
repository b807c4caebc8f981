"""Files per minute of `vidstyle batch` with 1, 2, ... workers, in one Ray session:
`python -m vidstyle.benchmarks.batch --input clip.mp4 --copies 4 --workers 1,2 --out results/batch.json`.

Each worker count stylizes the same copies of one clip from scratch (overwrite), so the times
include starting the workers and loading the model, as a real run pays them. The machine's load
average is recorded before and after, because on a shared machine it says how much of the CPU
the run really had.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from vidstyle.context import resolve_context
from vidstyle.jobs.batch import stylize_batch
from vidstyle.jobs.video_options import Encoding, Runtime, VideoOptions
from vidstyle.media.probe import probe

from .environment import describe, package_version

RAY_DAEMONS = ("raylet", "gcs_server", "plasma_store")  # Ray's own processes on this machine


def ray_daemons_rss_mb() -> float:
    """What Ray itself holds in memory here, apart from the workers."""
    total = 0
    for proc in psutil.process_iter(["name", "memory_info"]):
        if any(daemon in (proc.info["name"] or "") for daemon in RAY_DAEMONS) and proc.info["memory_info"]:
            total += proc.info["memory_info"].rss
    return round(total / 2**20, 1)


def run_batch_bench(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    from vidstyle.jobs.batch_ray import size_workers
    from vidstyle.jobs.ray_session import connect

    counts = [int(n) for n in args.workers.split(",")]
    info = probe(args.input)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vidstyle-batch-bench-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i in range(args.copies):
            shutil.copyfile(args.input, folder / f"copy{i}{Path(args.input).suffix}")
        started_here = connect("local")
        try:
            for count in counts:
                load_before = os.getloadavg()
                tic = time.perf_counter()
                options = VideoOptions(
                    model=args.model,
                    runtime=Runtime(device="cpu", max_side=args.max_side),
                    encode=Encoding(preset=args.preset),
                )
                result = stylize_batch(
                    [folder],
                    Path(tmp) / f"out-{count}",
                    options,
                    ray="local",
                    workers=count,
                    gpus_per_worker=0,
                    overwrite=True,
                    progress=False,
                    report=False,
                )
                seconds = time.perf_counter() - tic
                failed = [row.error for row in result if row.status != "done"]
                if failed:
                    raise SystemExit(f"batch bench: a file failed: {failed[0]}")
                rows.append(
                    {
                        "workers": count,
                        "cpus_per_worker": size_workers(count, 0).cpus,  # and as many torch threads
                        "files": len(result),
                        "frames": sum(row.frames for row in result),
                        "seconds": round(seconds, 2),
                        "files_per_minute": round(len(result) / seconds * 60, 2),
                        "frames_per_second": round(sum(row.frames for row in result) / seconds, 2),
                        "per_file_fps": [round(row.fps, 2) for row in result],
                        "worker_peak_rss_mb": max(row.worker_peak_rss_mb or 0 for row in result),
                        "ray_daemons_rss_mb": ray_daemons_rss_mb(),
                        "load_average_1min_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                    }
                )
                print(json.dumps(rows[-1]))
            ray_resources = {k: v for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU")}
        finally:
            if started_here:
                ray.shutdown()
    environment = describe(resolve_context("cpu", "fp32"))
    environment["versions"]["ray"] = package_version("ray")
    return {
        "kind": "batch",
        "environment": environment,
        "config": {
            "input": Path(args.input).name,
            "copies": args.copies,
            "input_size": [info.width, info.height],
            "input_frames": info.frame_count,
            "max_side": args.max_side,
            "precision": "fp32",
            "backend": "torch",
            "device": "cpu",
            "model": Path(args.model).name if args.model else "default",
            "preset": args.preset,
            "ray": "local",
            "ray_resources": ray_resources,
            "gpus_per_worker": 0,
        },
        "conditions": args.conditions,
        "results": rows,
        "speedup_2_over_1": _speedup(rows),
    }


def _speedup(rows: list[dict[str, Any]]) -> float | None:
    by_count = {row["workers"]: row["files_per_minute"] for row in rows}
    return round(by_count[2] / by_count[1], 3) if 1 in by_count and 2 in by_count else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidstyle.benchmarks.batch", description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the clip to copy")
    parser.add_argument("--copies", type=int, default=4, help="how many copies make the batch (default 4)")
    parser.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated (default 1,2)")
    parser.add_argument("--max-side", type=int, default=256, help="net size (default 256)")
    parser.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    parser.add_argument("--model", help="a model file (default: the bundled style)")
    parser.add_argument(
        "--conditions", default="", help="what else ran on the machine meanwhile, recorded as given (default: empty)"
    )
    parser.add_argument("--out", required=True, help="the JSON to write")
    args = parser.parse_args(argv)
    result = run_batch_bench(args)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "environment"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
