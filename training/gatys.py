"""Optimisation-based style transfer (Gatys et al. 2015/2016), used for reference frames.

The two classic probes are configurations of the same optimiser:
  content reconstruction: style_weight=0, init="noise", one content layer
  texture synthesis:      content_weight=0, init="noise", any set of style layers
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

from vidstyle.colour import fit_max_side, resize, transfer_luminance
from vidstyle.errors import VidstyleError
from vidstyle.images import read_image
from vidstyle.progress import progress_bar

from .config import check_layer_weights, check_picture_side, non_negative, positive_finite
from .losses import StyleBalance, blended_grams, content_loss, style_loss, tv_loss
from .precision import choose_precision
from .vgg import build_loss_net
from .weights import InitialTerms, Weight, parse_weight, resolve_weights

GatysMode = Literal["transfer", "content", "texture"]


@dataclass
class GatysConfig:
    content: str
    style_images: list[str]
    style_blend: list[float] = field(default_factory=list)
    steps: int = 300
    size: int = 512
    style_size: int | None = None
    optimizer: Literal["lbfgs", "adam"] = "lbfgs"
    lr: float | None = None
    init: Literal["content", "noise"] = "content"
    mode: GatysMode = "transfer"
    content_weight: float = 1.0
    style_weight: Weight = "1e3x"  # "Nx": N times the content loss, both of a seeded noise image
    style_balance: StyleBalance = "sum"  # how the style layers add up (see losses.py)
    style_layer_weights: tuple[float, ...] | None = None  # one multiplier per style layer; None: all 1
    tv_weight: Weight = "1e-2x"
    content_layers: tuple[str, ...] = ()  # empty: the loss net's own defaults
    style_layers: tuple[str, ...] = ()
    original_colors: bool = False
    loss_net: str = "auto"
    vgg_weights: str | None = None
    device: str = "auto"
    precision: str = "fp32"  # bf16 runs the loss net under autocast; the image and L-BFGS stay fp32
    seed: int = 0
    progress: bool = True


@dataclass
class GatysResult:
    image: torch.Tensor  # [1, 3, H, W] in [0, 1], on the CPU
    history: list[dict[str, float]]

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write the image (the format follows the suffix), atomically."""
        from vidstyle.images import write_image

        return write_image(self.image, path, overwrite=overwrite)


def apply_mode(config: GatysConfig) -> GatysConfig:
    """The documented probes override weights and init; transfer leaves the config as given."""
    if config.mode == "content":
        config.style_weight, config.init = 0.0, "noise"
    elif config.mode == "texture":
        config.content_weight, config.init = 0.0, "noise"
    return config


def run_gatys(config: GatysConfig, *, content_image: torch.Tensor | None = None) -> GatysResult:
    """Optimise an image; `content_image` ([1,3,H,W] float) overrides config.content (used for video frames)."""
    config = apply_mode(config)
    ctx = choose_precision(config.device, config.precision).ctx
    content = content_image if content_image is not None else read_image(config.content, max_side=config.size)
    content = content.to(ctx.device)
    if content_image is not None:
        content = resize(content, fit_max_side(content.shape[-2], content.shape[-1], config.size))
    styles = [
        read_image(path, max_side=config.style_size or config.size).to(ctx.device) for path in config.style_images
    ]
    for label, picture in [("the content", content), *(("the style", s) for s in styles)]:
        check_picture_side(label, picture)
    if config.lr is not None:
        positive_finite("learning rate", config.lr)
    non_negative("content weight", config.content_weight)
    blend = config.style_blend or [1.0] * len(styles)
    if len(blend) != len(styles):
        raise VidstyleError(f"{len(styles)} style images but {len(blend)} blend weights")
    if any(not math.isfinite(w) or w < 0 for w in blend) or not sum(blend) > 0:
        raise VidstyleError(
            f"style blend weights must be 0 or more, not all 0, got {','.join(f'{w:g}' for w in blend)}"
        )
    wants_style = parse_weight(str(config.style_weight)) not in (0.0, "0x")
    use_style = bool(styles) and wants_style
    if wants_style and not styles:
        raise VidstyleError("a style image is needed unless the mode is content (or the style weight 0)")

    loss_net = build_loss_net(
        config.loss_net,
        weights_path=config.vgg_weights,
        content_layers=config.content_layers,
        style_layers=config.style_layers,
    )
    vgg = loss_net.features.to(ctx.device)
    content_layers, style_layers = loss_net.content_layers, loss_net.style_layers
    check_layer_weights(config.style_layer_weights, style_layers)
    with torch.no_grad():
        content_targets = vgg(content)
        grams = blended_grams([vgg(s) for s in styles], blend, style_layers) if use_style else {}
        noise = torch.rand(content.shape, generator=torch.Generator().manual_seed(config.seed)).to(ctx.device)
        feats = vgg(noise)
        yardstick = InitialTerms(
            float(content_loss(feats, content_targets, content_layers)),
            float(
                style_loss(
                    feats, grams, style_layers, balance=config.style_balance, layer_weights=config.style_layer_weights
                )
            )
            if use_style
            else 1.0,
            float(tv_loss(noise)),
        )
    style_weight, tv_weight = resolve_weights(config.style_weight, config.tv_weight, yardstick)
    start = content.clone(memory_format=torch.contiguous_format) if config.init == "content" else noise
    image = start.requires_grad_(True)
    history: list[dict[str, float]] = []

    def evaluate() -> tuple[torch.Tensor, dict[str, float]]:
        with ctx.autocast():
            feats = vgg(image)
        terms = {
            "content": config.content_weight * content_loss(feats, content_targets, content_layers),
            "style": style_weight
            * style_loss(
                feats, grams, style_layers, balance=config.style_balance, layer_weights=config.style_layer_weights
            )
            if use_style
            else image.new_zeros(()),
            "tv": tv_weight * tv_loss(image),
        }
        total = torch.stack(list(terms.values())).sum()
        return total, {k: float(v.detach()) for k, v in terms.items()} | {"total": float(total.detach())}

    with torch.no_grad():
        # L-BFGS's first step and tolerances are absolute, while these losses range from
        # 1e-5 to 1e-1 with size and loss net: optimise relative to the starting value.
        scale = max(evaluate()[1]["total"], 1e-12)
    bar = progress_bar(total=config.steps, enabled=config.progress, unit="step", desc="gatys")

    def record(terms: dict[str, float]) -> None:
        history.append(terms)
        bar.set_postfix({k: f"{v:.3g}" for k, v in terms.items()})

    _optimise(config, image, evaluate, scale, record, bar.update)
    bar.close()
    with torch.no_grad():
        history.append(evaluate()[1])  # the result's own loss closes the history
    result = image.detach().clamp(0.0, 1.0)
    if config.original_colors:
        result = transfer_luminance(result, content)
    return GatysResult(image=result.cpu(), history=history)


Evaluate = Callable[[], tuple[torch.Tensor, dict[str, float]]]


def _optimise(
    config: GatysConfig,
    image: torch.Tensor,
    evaluate: Evaluate,
    scale: float,
    record: Callable[[dict[str, float]], None],
    advance: Callable[[int], object],
) -> None:
    """Run config.steps optimiser iterations on `image` (the optimiser's own leaf tensor)."""
    if config.optimizer == "lbfgs":
        # One call with max_iter=steps: torch's L-BFGS keeps its line-search state only
        # within a call, and stepping it one iteration per call stalls after the first.
        # max_eval lets each iteration's line search take its 25 tries: torch's default
        # (1.25 x max_iter evaluations in all) ended short runs after 2 of 5 iterations.
        lbfgs = torch.optim.LBFGS(
            [image],
            lr=config.lr or 1.0,
            max_iter=config.steps,
            max_eval=config.steps * 25,
            history_size=50,
            line_search_fn="strong_wolfe",
            tolerance_grad=0.0,
            tolerance_change=0.0,
        )

        def closure() -> torch.Tensor:
            lbfgs.zero_grad()
            total, terms = evaluate()
            record(terms)
            loss = total / scale
            loss.backward()
            iterations = lbfgs.state[image].get("n_iter", 0)
            advance(iterations - advance_done[0])
            advance_done[0] = iterations
            return loss

        advance_done = [0]
        lbfgs.step(closure)
        return
    if config.optimizer == "adam":
        adam = torch.optim.Adam([image], lr=config.lr or 0.02)
        for _ in range(config.steps):
            adam.zero_grad()
            total, terms = evaluate()
            record(terms)
            (total / scale).backward()
            adam.step()
            with torch.no_grad():
                image.clamp_(0.0, 1.0)
            advance(1)
        return
    raise ValueError(f"unknown optimizer {config.optimizer!r}; choose lbfgs or adam")
