"""tools/gpu_check.py (make gpu-check) on this machine: its CPU parts pass, every CUDA part
says it needs CUDA, it exits 0 and writes its JSON; and on a machine with torch alone (no
PyAV, numpy, safetensors, onnx, onnxruntime or TensorRT) everything missing skips cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
CPU_CHECKS = {"channels_last_cpu", "compile_cuda_graphs_worker", "staging_overlap", "stages_and_end_to_end"}
# Runs the script with these modules made unimportable, as on a bare CUDA machine.
BARE = """
import runpy, sys

for name in ("av", "numpy", "safetensors", "onnx", "onnxruntime", "onnxscript", "tensorrt"):
    sys.modules[name] = None  # import fails as for a package that is not installed
sys.argv = ["tools/gpu_check.py", *sys.argv[1:]]
runpy.run_path("tools/gpu_check.py", run_name="__main__")
"""


def _run(tmp_path: Path, *prefix: str) -> tuple[subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
    out = tmp_path / "gpu-check.json"
    done = subprocess.run(
        [sys.executable, *prefix, "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    return done, json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU run; on CUDA run make gpu-check")
def test_gpu_check_runs_its_cpu_parts_and_skips_the_cuda_ones(tmp_path: Path) -> None:
    done, report = _run(tmp_path, "tools/gpu_check.py")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["check"]: row for row in report["checks"]}
    assert {name for name, row in rows.items() if row["status"] == "PASS"} == CPU_CHECKS
    for name, row in rows.items():
        if name not in CPU_CHECKS:
            assert row["status"] == "SKIP" and row["reason"].startswith("needs CUDA"), row
    assert report["counts"] == {"PASS": len(CPU_CHECKS), "FAIL": 0, "SKIP": len(rows) - len(CPU_CHECKS)}
    assert done.stdout.splitlines()[-1].startswith(
        f"{len(CPU_CHECKS)} passed, 0 failed, {len(rows) - len(CPU_CHECKS)} skipped; wrote "
    )
    assert report["environment"]["versions"]["torch"] == torch.__version__


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU run; on CUDA run make gpu-check")
def test_gpu_check_with_torch_alone_skips_what_is_missing(tmp_path: Path) -> None:
    done, report = _run(tmp_path, "-c", BARE)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["check"]: row for row in report["checks"]}
    # What needs torch alone still runs (the stylizer and its staging included); what needs PyAV says so.
    torch_alone = {"channels_last_cpu", "compile_cuda_graphs_worker", "staging_overlap"}
    assert {name for name, row in rows.items() if row["status"] == "PASS"} == torch_alone
    assert rows["stages_and_end_to_end"]["reason"].startswith("needs av (PyAV")
    assert all(row["status"] == "SKIP" for name, row in rows.items() if name not in torch_alone)
    assert report["environment"]["versions"]["av"] is None and report["environment"]["versions"]["numpy"] is None
