"""`--precision auto`, decided once for training and inference: bf16 where the hardware makes it faster.

On CUDA GPUs with bf16 that is bf16 (else fp16, with a grad scaler when training). On CPUs,
bf16 pays only with native bf16 dot products (AMX or AVX512-BF16); without them oneDNN
emulates it and it is slower than fp32. Flags alone can still mislead (a CPU may list
AVX512-BF16 yet gain little), so auto also times one small conv step in each mode and keeps
the faster: forward and backward for training, forward alone for inference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from .context import RunContext, resolve_context

BF16_FLAGS = ("amx_bf16", "avx512_bf16")
# The probe's modes take turns this many times and each keeps its best: on a shared CPU a
# load that came and went between one mode's runs and the other's once made either look faster.
PROBE_ROUNDS = 3


@dataclass(frozen=True)
class PrecisionChoice:
    ctx: RunContext
    use_scaler: bool  # fp16 training needs loss scaling; bf16 has fp32's exponent range and does not
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


def native_bf16(flags: frozenset[str]) -> list[str]:
    """The flags among `flags` that give native bf16 dot products (empty: bf16 is emulated)."""
    return [flag for flag in BF16_FLAGS if flag in flags]


def probe_seconds(precision: str, *, size: int = 64, repeats: int = 3, backward: bool = True) -> float:
    """Best time of two 3x3 convs of 64 and 128 channels (a loss-net block, or a style net's
    middle), forward and, with `backward`, backward too, under `precision`."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2, 64, size, size, generator=generator).contiguous(memory_format=torch.channels_last)
    weight = (
        (torch.randn(128, 64, 3, 3, generator=generator) * 0.05)
        .contiguous(memory_format=torch.channels_last)
        .requires_grad_(backward)
    )
    best = float("inf")
    for _ in range(repeats + 1):  # the first run pays oneDNN's kernel selection
        tic = time.perf_counter()
        with torch.set_grad_enabled(backward), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = F.relu(F.conv2d(x, weight, padding=1))
            out = F.conv2d(out, weight.transpose(0, 1), padding=1)
        if backward:
            out.float().square().mean().backward()
        best = min(best, time.perf_counter() - tic)
    return best


def choose_precision(
    device: str = "auto", precision: str = "auto", *, training: bool = False, flags: frozenset[str] | None = None
) -> PrecisionChoice:
    """Resolve `auto` to a concrete precision, with the reason that goes in the log.
    `training` decides whether fp16 needs a scaler and whether the probe times a backward pass."""
    if precision != "auto":
        ctx = resolve_context(device, precision)
        return PrecisionChoice(ctx, training and ctx.precision == "fp16", f"{precision} as asked")
    ctx = resolve_context(device, "fp32")
    if ctx.is_cuda:
        if torch.cuda.is_bf16_supported():
            return PrecisionChoice(resolve_context(device, "bf16"), False, "bf16: the GPU supports it")
        return PrecisionChoice(
            resolve_context(device, "fp16"),
            training,
            "fp16 with loss scaling: the GPU has no bf16" if training else "fp16: the GPU has no bf16",
        )
    flags = cpu_flags() if flags is None else flags
    native = native_bf16(flags)
    if not native:
        return PrecisionChoice(ctx, False, "fp32: this CPU has no native bf16 (amx_bf16 or avx512_bf16)")
    fp32_s = bf16_s = float("inf")
    for _ in range(PROBE_ROUNDS):
        fp32_s = min(fp32_s, probe_seconds("fp32", backward=training))
        bf16_s = min(bf16_s, probe_seconds("bf16", backward=training))
    timing = f"probe fp32 {fp32_s * 1e3:.1f} ms vs bf16 {bf16_s * 1e3:.1f} ms"
    if bf16_s < fp32_s:
        return PrecisionChoice(resolve_context(device, "bf16"), False, f"bf16: CPU has {'+'.join(native)}, {timing}")
    return PrecisionChoice(ctx, False, f"fp32: CPU has {'+'.join(native)} but bf16 was not faster ({timing})")
