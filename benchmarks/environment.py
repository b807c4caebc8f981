"""What the numbers were measured on: device, library versions, git sha, date."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from typing import Any

import torch

from vidstyle.context import RunContext


def package_version(name: str) -> str | None:
    """The installed version of distribution `name`, None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=os.path.dirname(__file__)
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def describe(ctx: RunContext) -> dict[str, Any]:
    device: dict[str, Any] = {
        "type": ctx.device.type,
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    if ctx.is_cuda:
        props = torch.cuda.get_device_properties(ctx.device)
        device |= {
            "name": props.name,
            "compute_capability": f"{props.major}.{props.minor}",
            "cuda": torch.version.cuda,
            "driver": _nvidia_driver(),
            "memory_gb": round(props.total_memory / 2**30, 1),
        }
    else:
        device["name"] = device["cpu_model"]
    return {
        "device": device,
        "versions": {
            name: package_version(name)
            for name in (
                "torch",
                "torchvision",
                "onnxruntime",
                "onnxruntime-gpu",
                "tensorrt",
                "av",
                "numpy",
                "vidstyle",
            )
        },
        "python": platform.python_version(),
        "git_sha": _git_sha(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _nvidia_driver() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None
