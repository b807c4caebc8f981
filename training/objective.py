"""What one training step minimises: the perceptual loss, or a teacher's pictures (distillation).

Style training compares the net's output with its input photo (content) and with the style's
Gram matrices. Distillation compares a student's output with a trained teacher's output on the
same photo: the content term then has the teacher's picture as its target, in low VGG layers
that hold its strokes and edges, and a pixel term holds its colours. A student given no style
images may also match the Gram matrices of the teacher's picture (`teacher_texture`): features
compared place by place average away a texture the student cannot draw at the very same spot,
while Gram matrices ask for the texture wherever it falls. Both run the same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vidstyle.context import RunContext
from vidstyle.net import TransformerNet

from .losses import StyleBalance, content_loss, gram_matrix, style_loss, tv_loss
from .stability import stability_loss
from .styles import StyleTargets, one_hot_weights
from .vgg import VGGFeatures
from .weights import InitialTerms


@dataclass
class Objective:
    vgg: VGGFeatures
    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]
    styles: StyleTargets
    ctx: RunContext
    teacher: TransformerNet | None = None
    content_weight: float = 1.0
    style_weight: float = 0.0
    tv_weight: float = 0.0
    pixel_weight: float = 0.0
    stability_weight: float = 0.0
    teacher_texture: bool = False  # the style term's Gram targets are the teacher's pictures
    style_balance: StyleBalance = "sum"
    style_layer_weights: tuple[float, ...] | None = None
    seed: int = 0

    def target(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """The picture the output should look like: the photo itself, or the teacher's stylization of it."""
        if self.teacher is None:
            return x
        with torch.no_grad():
            return self.teacher(x, weights)

    def _layers(self, with_style: bool) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.content_layers + (self.style_layers if with_style else ())))

    def raw_terms(
        self, net: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, weights: torch.Tensor, index: int
    ) -> dict[str, torch.Tensor]:
        """Unweighted terms of one batch; the style term only where there are Gram targets."""
        texture = self.teacher_texture and self.teacher is not None
        with_style = bool(self.styles.grams[index]) or texture
        with self.ctx.autocast():
            y = net(x)
            feats_y = self.vgg(y, self._layers(with_style))
            target = self.target(x, weights)
            with torch.no_grad():
                # Without the teacher's texture the targets need only the content layers: stop there.
                feats_t = self.vgg(target, self._layers(texture))
        # content, style and tv are always there, so that losses.csv keeps its columns across runs.
        terms = {"content": content_loss(feats_y, feats_t, self.content_layers)}
        grams = {name: gram_matrix(feats_t[name]) for name in self.style_layers} if texture else None
        terms["style"] = (
            style_loss(
                feats_y,
                grams or self.styles.grams[index],
                self.style_layers,
                balance=self.style_balance,
                layer_weights=self.style_layer_weights,
            )
            if with_style
            else torch.zeros((), device=y.device)
        )
        terms["tv"] = tv_loss(y.float())
        if self.teacher is not None:
            terms["pixel"] = F.l1_loss(y.float(), target.float())
        terms["_output"] = y
        return terms

    def terms(
        self, net: TransformerNet, x: torch.Tensor, weights: torch.Tensor, index: int, step: int
    ) -> dict[str, torch.Tensor]:
        """The weighted terms of one training step."""
        raw = self.raw_terms(lambda images: net(images, weights), x, weights, index)
        y = raw.pop("_output")
        scale = {
            "content": self.content_weight,
            "style": self.style_weight,
            "tv": self.tv_weight,
            "pixel": self.pixel_weight,
        }
        terms = {name: scale[name] * value for name, value in raw.items()}
        if self.stability_weight > 0:
            terms["stability"] = self.stability_weight * stability_loss(
                lambda images: net(images, weights), x, y, seed=self.seed * 100_003 + step, autocast=self.ctx.autocast
            )
        return terms

    def initial(self, net: TransformerNet, x: torch.Tensor) -> InitialTerms:
        """Unweighted terms of `net` on `x`, averaged over the styles: the yardstick for "Nx" weights."""
        sums: dict[str, float] = {"content": 0.0, "style": 0.0, "tv": 0.0, "pixel": 0.0}
        with torch.no_grad():
            for index in range(len(self.styles)):
                weights = one_hot_weights(self.styles.first_row + index, x.shape[0], net.style_count, x.device)
                raw = self.raw_terms(lambda images: net(images, weights), x, weights, index)
                raw.pop("_output")
                for name, value in raw.items():
                    sums[name] += float(value)
        count = len(self.styles)
        return InitialTerms(sums["content"] / count, sums["style"] / count, sums["tv"] / count, sums["pixel"] / count)
