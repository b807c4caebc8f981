"""Perceptual losses as pure functions of tensors; nothing here mutates its inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import torch
import torch.nn.functional as F


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> [N, C, C], normalised by C*H*W so layers of any size weigh alike."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w).float()
    return flat @ flat.transpose(1, 2) / (c * h * w)


def content_loss(
    features: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor], layers: tuple[str, ...]
) -> torch.Tensor:
    return torch.stack([F.mse_loss(features[name].float(), targets[name].float()) for name in layers]).sum()


# How the style layers' Gram distances add up. "sum": the plain MSE per layer, as Johnson et al.
# and the public recipes do. "layer": each layer's MSE over its target's mean square, a relative
# distance. On Caffe-range VGG16 features the Gram entries shrink about 1000x from relu1_2 to
# relu4_3, so in a plain sum the two shallow layers (the 4-6 px strokes) are all that count and
# the deep ones (a painting's larger shapes, 30-40 px panes) add almost nothing.
StyleBalance = Literal["sum", "layer"]
STYLE_BALANCES: tuple[StyleBalance, ...] = ("sum", "layer")


def style_loss(
    features: Mapping[str, torch.Tensor],
    target_grams: Mapping[str, torch.Tensor],
    layers: tuple[str, ...],
    *,
    balance: StyleBalance = "sum",
    layer_weights: tuple[float, ...] | None = None,
) -> torch.Tensor:
    """Weighted sum over layers of the distance between Gram matrices; targets broadcast over the batch.

    layer_weights (one per layer, None: all 1) multiply each layer's term after the balance.
    """
    if balance not in STYLE_BALANCES:
        raise ValueError(f"unknown style balance {balance!r}; choose one of {', '.join(STYLE_BALANCES)}")
    weights = layer_weights if layer_weights is not None else (1.0,) * len(layers)
    if len(weights) != len(layers):
        raise ValueError(f"{len(weights)} style layer weights for {len(layers)} style layers ({', '.join(layers)})")
    terms = []
    for name, weight in zip(layers, weights):
        gram = gram_matrix(features[name])
        target = target_grams[name]
        term = F.mse_loss(gram, target.expand_as(gram))
        if balance == "layer":
            term = term / target.float().square().mean().clamp_min(1e-12)
        terms.append(weight * term)
    return torch.stack(terms).sum()


def tv_loss(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels (anisotropic total variation)."""
    dh = (images[..., 1:, :] - images[..., :-1, :]).abs().mean()
    dw = (images[..., :, 1:] - images[..., :, :-1]).abs().mean()
    return dh + dw


def blended_grams(
    per_style: list[Mapping[str, torch.Tensor]], weights: list[float], layers: tuple[str, ...]
) -> dict[str, torch.Tensor]:
    """Target Grams for several style images mixed by weight (weights are normalised to sum 1)."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("style blend weights must sum to a positive number")
    return {
        name: sum((w / total) * gram_matrix(feats[name]) for feats, w in zip(per_style, weights))  # type: ignore[misc]
        for name in layers
    }
