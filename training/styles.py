"""The styles one network learns: Gram targets, which style each step trains, and fine-tuning.

Each batch trains one style, round robin, as Magenta's multi-style trainer did; the batch's
style-weight vectors are one-hot rows for it. Fine-tuning adds rows for new styles to an
existing model and trains only those rows, with the shared convs frozen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from vidstyle.atomic import file_sha256
from vidstyle.images import read_image
from vidstyle.modelfile import ModelCard
from vidstyle.net import ConditionalInstanceNorm, TransformerNet, same_shape

from .losses import gram_matrix


@dataclass
class StyleTargets:
    """The styles this run trains; rows `first_row ...` of the net's norms belong to them."""

    names: list[str]
    paths: list[str]
    grams: list[dict[str, torch.Tensor]]
    first_row: int = 0

    def __len__(self) -> int:
        return len(self.names)

    def card_entries(self) -> list[dict[str, str]]:
        return [
            {"name": name, "image": Path(path).name, "sha256": file_sha256(path)}
            for name, path in zip(self.names, self.paths)
        ]


def style_names(paths: list[str], taken: list[str] | None = None) -> list[str]:
    """File stems, made unique (candy, candy-2, ...) also against names already in the model."""
    used = list(taken or [])
    names = []
    for path in paths:
        base = Path(path).stem or "style"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.append(name)
        names.append(name)
    return names


def load_targets(
    paths: list[str],
    vgg: torch.nn.Module,
    layers: tuple[str, ...],
    *,
    max_side: int | None,
    device: torch.device,
    taken: list[str] | None = None,
    first_row: int = 0,
) -> StyleTargets:
    grams = []
    with torch.no_grad():
        for path in paths:
            feats = vgg(read_image(path, max_side=max_side).to(device))
            grams.append({name: gram_matrix(feats[name]) for name in layers})
    return StyleTargets(style_names(paths, taken), list(paths), grams, first_row)


def card_styles(base: ModelCard | None, styles: StyleTargets) -> tuple[dict[str, str], ...]:
    """The card's style list: a fine-tuned model keeps its old entries and appends the new ones."""
    old: list[dict[str, str]] = []
    if base is not None:
        old = list(base.styles) or [
            {"name": base.style_names[0], "image": base.style_image, "sha256": base.style_image_sha256}
        ]
    return tuple(old + styles.card_entries())


def style_for_step(step: int, count: int) -> int:
    """Round robin over the styles; step counts from 1, so a resumed run continues the cycle."""
    return (step - 1) % count


def one_hot_weights(row: int, batch: int, rows: int, device: torch.device) -> torch.Tensor:
    weights = torch.zeros(batch, rows, device=device)
    weights[:, row] = 1.0
    return weights


def extend_styles(net: TransformerNet, new: int) -> TransformerNet:
    """A copy of `net` with `new` more norm rows, each started from the mean of the existing rows."""
    return _with_norm_rows(
        net, net.style_count + new, lambda rows: torch.cat([rows, rows.mean(dim=0, keepdim=True).expand(new, -1)])
    )


def keep_styles(net: TransformerNet, kept: list[int]) -> TransformerNet:
    """A copy of `net` with only the norm rows `kept`, in that order. The convs are shared, so
    each kept style gives exactly the pictures it gave before."""
    return _with_norm_rows(net, len(kept), lambda rows: rows[kept])


def _with_norm_rows(
    net: TransformerNet, style_count: int, new_rows: Callable[[torch.Tensor], torch.Tensor]
) -> TransformerNet:
    """A `style_count`-style copy of `net`: every norm's [N, C] gamma and beta through `new_rows`, the rest as is."""
    copy = same_shape(net, style_count)
    copy.load_state_dict(
        {name: new_rows(value) if value.dim() == 2 else value for name, value in net.state_dict().items()}
    )
    return copy


def train_only_rows_from(net: TransformerNet, first_row: int) -> list[torch.nn.Parameter]:
    """Freeze the convs and the old norm rows; returns the parameters the optimizer should see."""
    net.requires_grad_(False)
    trainable = []
    for module in net.modules():
        if isinstance(module, ConditionalInstanceNorm):
            for parameter in (module.weight, module.bias):
                parameter.requires_grad_(True)
                mask = torch.zeros_like(parameter)
                mask[first_row:] = 1.0
                # Gamma and Beta are one [N, C] tensor each: zero the gradient of the old rows.
                parameter.register_hook(lambda grad, mask=mask: grad * mask)
                trainable.append(parameter)
    return trainable
