"""The model card a training run writes: what it learned from, and every segment it took.

A model can be trained in segments: a run continued from another model's weights
(--init-from) adds one segment to that model's history. The card's top-level fields
describe the last segment; `steps` adds up all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidstyle.atomic import file_sha256
from vidstyle.modelfile import ModelCard
from vidstyle.net import TransformerNet

from .config import TrainConfig


@dataclass(frozen=True)
class Resolved:
    """What a run resolved from its config: the numbers and layers it really trained with."""

    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]
    style_weight: float
    tv_weight: float
    loss_net: str
    loss_net_weights: str
    loss_net_sha256: str
    trained_on: str
    pixel_weight: float = 0.0


def segment_of(config: TrainConfig, resolved: Resolved, steps: int, seconds_per_step: float) -> dict[str, Any]:
    """One segment's recipe and length, as the card keeps it."""
    init = ""
    if config.init_from:
        init = f"{Path(config.init_from).name} (sha256 {file_sha256(config.init_from)[:12]})"
    return {
        "steps": steps,
        "recipe": config.recipe or "custom",
        "init_from": init,
        "teacher": f"{Path(config.teacher).name} (sha256 {file_sha256(config.teacher)[:12]})" if config.teacher else "",
        "loss_net": resolved.loss_net,
        "content_layers": list(resolved.content_layers),
        "style_layers": list(resolved.style_layers),
        "content_weight": config.content_weight,
        "style_weight": resolved.style_weight,
        "style_balance": config.style_balance,
        "style_layer_weights": list(config.style_layer_weights) if config.style_layer_weights else None,
        "tv_weight": resolved.tv_weight,
        "stability_weight": config.stability_weight,
        "pixel_weight": resolved.pixel_weight,
        "style_size": config.style_size or "native",
        "image_size": config.image_size,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "clip_grad_norm": config.clip_grad_norm or None,
        "trained_on": resolved.trained_on,
        "seconds_per_step": round(seconds_per_step, 3),
    }


def earlier_segments(card: ModelCard | None) -> list[dict[str, Any]]:
    """The segments a model already holds; a card from before segments counts as one."""
    if card is None:
        return []
    if card.segments:
        return [dict(segment) for segment in card.segments]
    return [
        {
            "steps": card.steps,
            "recipe": "unrecorded",
            "loss_net": card.loss_net,
            "content_layers": list(card.content_layers),
            "style_layers": list(card.style_layers),
            "content_weight": card.content_weight,
            "style_weight": card.style_weight,
            "tv_weight": card.tv_weight,
            "stability_weight": card.stability_weight,
            "image_size": card.image_size,
            "batch_size": card.batch_size,
            "trained_on": card.trained_on,
        }
    ]


def training_card(
    config: TrainConfig,
    resolved: Resolved,
    *,
    net: TransformerNet,
    styles: tuple[dict[str, str], ...],
    steps: int,
    earlier: list[dict[str, Any]],
    seconds_per_step: float,
    final_losses: dict[str, float],
) -> ModelCard:
    """The card for a net `steps` steps into this segment, after the `earlier` segments."""
    segments = [*earlier, segment_of(config, resolved, steps, seconds_per_step)]
    return ModelCard(
        width=net.width,
        residual_blocks=len(net.residuals),
        separable=net.separable,
        head=net.head,
        style_image=styles[0]["image"],
        style_image_sha256=styles[0]["sha256"],
        styles=styles,
        content_weight=config.content_weight,
        style_weight=resolved.style_weight,
        tv_weight=resolved.tv_weight,
        stability_weight=config.stability_weight,
        content_layers=resolved.content_layers,
        style_layers=resolved.style_layers,
        loss_net=resolved.loss_net,
        loss_net_weights=resolved.loss_net_weights,
        loss_net_sha256=resolved.loss_net_sha256,
        steps=sum(int(segment["steps"]) for segment in segments),
        image_size=config.image_size,
        batch_size=config.batch_size,
        trained_on=resolved.trained_on,
        final_losses=final_losses,
        segments=tuple(segments),
    )
