"""The GPU path in one call: each check PASS, FAIL or SKIP with its reason, as one JSON file.

    python tools/gpu_check.py [-o PATH]      (make gpu-check)

Checks: the torch net on CUDA against the CPU in fp32, fp16 and bf16; channels_last kept
through the net; torch.compile with CUDA graphs owned by the compiled net's worker thread;
the staging's overlap; decode, model and encode fps and end to end with the overlap on and
off; NVDEC (h264_cuvid); onnxruntime on CUDA; a TensorRT build, its parity and its cache;
1080p fp16 model-only fps (the goal is 600 on an H100).

It needs torch and nothing else: without CUDA the CUDA checks say so; without PyAV, numpy,
onnxruntime's CUDA build, onnx or TensorRT the checks that need them are skipped with the
reason, so it runs on a bare CUDA machine with no network. It exits 1 when a check fails.
The JSON goes to benchmarks/results/gpu-check-DEVICE.json unless -o says where.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [
    str(ROOT),
    str(ROOT / "tools"),
]  # the source tree's vidstyle, installed or not; the checks beside this file

import torch  # noqa: E402

from gpu_check_common import Fail, Skip  # noqa: E402
from gpu_check_media import MEDIA_CHECKS  # noqa: E402
from gpu_check_speed import SPEED_CHECKS  # noqa: E402
from gpu_check_torch import TORCH_CHECKS  # noqa: E402


def run_checks(names: list[str]) -> list[dict[str, Any]]:
    every = TORCH_CHECKS | SPEED_CHECKS | MEDIA_CHECKS
    rows = []
    for name in names or list(every):
        started = time.perf_counter()
        row: dict[str, Any]
        try:
            row = {"status": "PASS", "reason": "", "data": every[name]()}
        except Skip as exc:
            row = {"status": "SKIP", "reason": str(exc)}
        except Fail as exc:
            row = {"status": "FAIL", "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - an unexpected error is this check's failure, not the run's
            row = {
                "status": "FAIL",
                "reason": f"{type(exc).__name__}: {str(exc).strip()[:300]}",
                "traceback": traceback.format_exc()[-2000:],
            }
        row = {"check": name, **row, "seconds": round(time.perf_counter() - started, 2)}
        print(f"{row['status']:4}  {name}  {row['reason']}".rstrip(), flush=True)
        rows.append(row)
    return rows


def environment() -> dict[str, Any]:
    versions = {}
    for module in ("torch", "numpy", "av", "onnx", "onnxruntime", "tensorrt", "safetensors"):
        try:
            versions[module] = getattr(__import__(module), "__version__", "?")
        except ImportError:
            versions[module] = None
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or platform.machine()
    cuda = (
        {"cuda": torch.version.cuda, "capability": ".".join(map(str, torch.cuda.get_device_capability()))}
        if torch.cuda.is_available()
        else {}
    )
    return {
        "device": device,
        **cuda,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/gpu_check.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-o", "--output", help="JSON path (default: benchmarks/results/gpu-check-DEVICE.json)")
    parser.add_argument("--only", default="", help="comma list of checks to run (default: all)")
    args = parser.parse_args(argv)
    env = environment()
    rows = run_checks([n for n in args.only.split(",") if n])
    slug = re.sub(r"[^a-z0-9]+", "-", env["device"].lower()).strip("-") if torch.cuda.is_available() else "cpu"
    out = Path(args.output) if args.output else ROOT / "benchmarks" / "results" / f"gpu-check-{slug}.json"
    counts = {status: sum(r["status"] == status for r in rows) for status in ("PASS", "FAIL", "SKIP")}
    text = json.dumps(
        {"schema": "vidstyle-gpu-check/1", "environment": env, "counts": counts, "checks": rows}, indent=2, default=str
    )
    with tempfile.NamedTemporaryFile("w", dir=out.parent, prefix=f".{out.name}.", delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, out)  # whole or not at all
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped; wrote {out}")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
