"""Choose the training precision once: bf16 autocast where the hardware makes it faster.

On CUDA GPUs with bf16 that is bf16 (else fp16 with a grad scaler). On CPUs, bf16 pays
only with native bf16 dot products (AMX or AVX512-BF16); without them oneDNN emulates it
and it is slower than fp32. Flags alone can still mislead (a CPU may list AVX512-BF16 yet
gain little), so auto also times one small conv step in each mode and keeps the faster.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from vidstyle.context import RunContext, resolve_context

log = logging.getLogger("vidstyle")
BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@dataclass(frozen=True)
class PrecisionChoice:
    ctx: RunContext
    use_scaler: bool  # fp16 needs loss scaling; bf16 has fp32's exponent range and does not
    reason: str


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags Linux reports (empty elsewhere)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def probe_seconds(precision: str, *, size: int = 64, repeats: int = 3) -> float:
    """Best time of a conv forward+backward the shape of a loss-net block, under `precision`."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2, 64, size, size, generator=generator).contiguous(memory_format=torch.channels_last)
    weight = (torch.randn(128, 64, 3, 3, generator=generator) * 0.05).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    best = float("inf")
    for _ in range(repeats + 1):  # the first run pays oneDNN's kernel selection
        tic = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = F.relu(F.conv2d(x, weight, padding=1))
            out = F.conv2d(out, weight.transpose(0, 1), padding=1)
        out.float().square().mean().backward()
        best = min(best, time.perf_counter() - tic)
    return best


def choose_precision(device: str = "auto", precision: str = "auto", *, flags: frozenset[str] | None = None) -> PrecisionChoice:
    """Resolve `auto` to a concrete precision, with the reason that goes in the log."""
    if precision != "auto":
        ctx = resolve_context(device, precision)
        return PrecisionChoice(ctx, ctx.precision == "fp16", f"{precision} as asked")
    ctx = resolve_context(device, "fp32")
    if ctx.is_cuda:
        if torch.cuda.is_bf16_supported():
            return PrecisionChoice(resolve_context(device, "bf16"), False, "bf16: the GPU supports it")
        return PrecisionChoice(resolve_context(device, "fp16"), True, "fp16 with loss scaling: the GPU has no bf16")
    flags = cpu_flags() if flags is None else flags
    native = [flag for flag in BF16_FLAGS if flag in flags]
    if not native:
        return PrecisionChoice(ctx, False, "fp32: this CPU has no native bf16 (amx_bf16 or avx512_bf16)")
    fp32_s, bf16_s = probe_seconds("fp32"), probe_seconds("bf16")
    timing = f"probe fp32 {fp32_s * 1e3:.0f} ms vs bf16 {bf16_s * 1e3:.0f} ms"
    if bf16_s < fp32_s:
        return PrecisionChoice(resolve_context(device, "bf16"), False, f"bf16: CPU has {'+'.join(native)}, {timing}")
    return PrecisionChoice(ctx, False, f"fp32: CPU has {'+'.join(native)} but bf16 was not faster ({timing})")


def training_context(device: str, precision: str) -> tuple[RunContext, bool]:
    """The trainer's entry: (ctx, use_scaler), with the choice logged once."""
    choice = choose_precision(device, precision)
    log.info("precision: %s", choice.reason)
    return choice.ctx, choice.use_scaler
