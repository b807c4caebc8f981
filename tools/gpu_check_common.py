"""What gpu_check's checks share: how a check says SKIP or FAIL, what it needs, the net and
the frames it runs, and how it measures (PSNR, ms per batch)."""

from __future__ import annotations

import time
from typing import Any

import torch

from vidstyle.net import TransformerNet


class Skip(Exception):
    """A check that cannot run here, and why."""


class Fail(Exception):
    """A check that ran and found the GPU path wrong."""


def needs_cuda() -> None:
    if not torch.cuda.is_available():
        raise Skip("needs CUDA (torch sees no CUDA GPU here)")


def needs(module: str, why: str = "") -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        raise Skip(f"needs {module}{why} ({exc})") from None


def psnr_db(reference: torch.Tensor, test: torch.Tensor) -> float:
    mse = float(((reference.double().cpu() - test.double().cpu()) ** 2).mean())
    return float("inf") if mse == 0 else 10.0 * torch.log10(torch.tensor(1.0 / mse)).item()


def the_net(width: float = 1.0) -> TransformerNet:
    """The bundled model's weights when safetensors is there, else the same net seeded at random
    with random norms (speed does not depend on the weights; parity is checked either way)."""
    try:
        from vidstyle.modelfile import load_model

        return load_model(None).net.eval()
    except ImportError:
        torch.manual_seed(0)
        net = TransformerNet(width=width).eval()
        for name, param in net.named_parameters():
            if param.dim() == 2:  # the norms' gamma/beta rows
                torch.nn.init.normal_(param, 1.0 if name.endswith("weight") else 0.0, 0.3)
        return net


def frames(count: int, height: int, width: int, seed: int = 0) -> torch.Tensor:
    """Smooth moving gradients, uint8 NHWC: picture-like content, not noise."""
    y = torch.linspace(0, 1, height)[:, None]
    x = torch.linspace(0, 1, width)[None, :]
    shots = [
        torch.stack(
            [(x + 0.1 * i + seed) % 1 * y.new_ones(height, 1), y * x.new_ones(1, width), (x * y + 0.05 * i) % 1], dim=-1
        )
        for i in range(count)
    ]
    return (torch.stack(shots) * 255).round().to(torch.uint8)


def ms_per_batch(backend: Any, images: torch.Tensor, repeats: int = 20) -> float:
    backend.run(images)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(repeats):
        backend.run(images)
    torch.cuda.synchronize()
    return 1000 * (time.perf_counter() - started) / repeats
