"""Resolve device and precision once, into one small context (the nanoGPT habit)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Literal

import torch

from .errors import VidstyleError

DeviceName = Literal["auto", "cpu", "cuda"]
Precision = Literal["fp32", "fp16", "bf16"]

_DTYPES: dict[str, torch.dtype] = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class RunContext:
    device: torch.device
    precision: Precision

    @property
    def dtype(self) -> torch.dtype:
        return _DTYPES[self.precision]

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        """Mixed precision for the net; fp32 runs without autocast at all."""
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)


def resolve_context(device: str = "auto", precision: str = "fp32") -> RunContext:
    if precision not in _DTYPES:
        raise VidstyleError(f"unknown precision {precision!r}; choose fp32, fp16 or bf16")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise VidstyleError("device cuda was asked for, but torch sees no CUDA GPU; use --device cpu")
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise VidstyleError(f"unknown device {device!r}; choose auto, cpu or cuda")
    if precision == "fp16" and not device.startswith("cuda"):
        raise VidstyleError("fp16 needs a CUDA device; on CPU use --precision fp32 or bf16")
    return RunContext(device=torch.device(device), precision=precision)  # type: ignore[arg-type]
