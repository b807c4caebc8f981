"""What a training run writes besides its checkpoint: snapshots and previews in its run folder as it goes,
and the finished model at its end. Every model file carries a card of the run so far."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vidstyle.images import write_image
from vidstyle.modelfile import ModelCard, save_model
from vidstyle.net import TransformerNet

from .card import Resolved, training_card
from .config import TrainConfig
from .styles import one_hot_weights


@dataclass(frozen=True)
class RunCard:
    """What every card of one run shares: a snapshot's and the finished model's differ only in steps and losses."""

    config: TrainConfig
    resolved: Resolved
    styles: tuple[dict[str, str], ...]
    earlier: list[dict[str, Any]]

    def card(
        self, net: TransformerNet, steps: int, history: list[dict[str, float]], final_losses: dict[str, float]
    ) -> ModelCard:
        return training_card(
            self.config,
            self.resolved,
            net=net,
            styles=self.styles,
            steps=steps,
            earlier=self.earlier,
            seconds_per_step=_mean_seconds(history),
            final_losses=final_losses,
        )


def write_snapshot(
    path: Path, net: TransformerNet, run_card: RunCard, step: int, history: list[dict[str, float]]
) -> None:
    """fp16, small enough to keep at milestones."""
    save_model(path, net, run_card.card(net, step, history, tail_means(history[-20:])), half=True)


def write_preview(
    path: Path, net: TransformerNet, picture: torch.Tensor, first_row: int, style_count: int, device: torch.device
) -> None:
    """The picture in each style this run trains, side by side."""
    with torch.no_grad():
        rows = [
            net(picture, one_hot_weights(first_row + i, 1, net.style_count, device)).float() for i in range(style_count)
        ]
        write_image(torch.cat(rows, dim=-1), path)


def write_final_model(
    net: TransformerNet, run_card: RunCard, history: list[dict[str, float]], first_total: float | None
) -> None:
    """The model at config.output; first_total is step 1's total loss where the loss log has it (also for a
    resumed run), else the first step this run took is the best there is."""
    tail = history[-min(20, len(history)) :]
    final = tail_means(tail)
    if first_total is not None:
        final["first_total"] = first_total
    elif history:
        final["first_total"] = history[0]["total"]
    config = run_card.config
    card = run_card.card(net, config.steps, history, final)
    save_model(config.output, net.to(memory_format=torch.contiguous_format).cpu(), card, half=config.half_weights)


def tail_means(tail: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each loss over the last steps, skipping the NaN a per-style column holds on other styles' steps
    (and an fp16 step's infinite gradient norm: the norm is logged beside the losses but is not one)."""
    means = {}
    for key in tail[0] if tail else []:
        values = [r[key] for r in tail if key in r and math.isfinite(r[key])]
        if key not in ("step", "seconds", "grad_norm") and values:
            means[key] = sum(values) / len(values)
    return means


def _mean_seconds(history: list[dict[str, float]]) -> float:
    return sum(r["seconds"] for r in history) / len(history) if history else 0.0
