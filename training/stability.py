"""Noise/warp stability loss (ReCoNet-style with synthetic flow; Gupta et al. 2017).

A second view of the batch is made by a small random affine warp plus noise. The net's
output for that view should equal the first output warped the same way, wherever the
warp has valid pixels. No optical-flow dataset is needed, and the net exports as usual.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F


def random_affine(
    batch: int, generator: torch.Generator, *, max_shift: float = 0.03, max_degrees: float = 1.5, max_zoom: float = 0.03
) -> torch.Tensor:
    """[N, 2, 3] affine matrices in normalised coordinates (for F.affine_grid)."""
    u = torch.rand(batch, 4, generator=generator) * 2 - 1
    angle = u[:, 0] * math.radians(max_degrees)
    zoom = 1.0 + u[:, 1] * max_zoom
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    shift = u[:, 2:] * max_shift * 2  # normalised coordinates span 2
    return torch.stack((torch.stack((cos, -sin, shift[:, 0]), 1), torch.stack((sin, cos, shift[:, 1]), 1)), 1)


def warp(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def stability_loss(
    net: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    *,
    seed: int,
    noise_std: float = 0.01,
    autocast: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    theta = random_affine(inputs.shape[0], generator)
    noise = torch.randn(inputs.shape, generator=generator).to(inputs.device) * noise_std
    second = (warp(inputs.float(), theta) + noise).clamp(0.0, 1.0)
    with autocast():
        second_out = net(second)
    expected = warp(outputs.float(), theta)
    valid = warp(torch.ones_like(inputs[:, :1], dtype=torch.float32), theta) > 0.999
    diff = (second_out.float() - expected).pow(2) * valid
    return diff.sum() / (valid.sum().clamp(min=1) * inputs.shape[1])
