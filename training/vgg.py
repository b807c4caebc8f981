"""VGG loss networks with named outputs (relu1_1 ... relu5_x), for the perceptual losses.

trunks.py builds the conv trunk and says where its weights come from; this module serves its layers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

from vidstyle.errors import VidstyleError

from .trunks import LossNetInfo, Trunk, load_trunk


class VGGFeatures(nn.Module):
    """Returns {name: activation} for the requested layers; stops after the deepest one."""

    def __init__(self, trunk: Trunk, layers: tuple[str, ...]) -> None:
        super().__init__()
        names = trunk.arch.layer_names()
        unknown = [name for name in layers if name not in names]
        if unknown:
            raise VidstyleError(
                f"unknown VGG layer(s) {', '.join(unknown)} for {trunk.info.name}; "
                f"valid: {', '.join(n for n in names if n.startswith('relu'))}"
            )
        last = max(names.index(name) for name in layers)
        modules = list(trunk.features.children())[: last + 1]
        for i, module in enumerate(modules):
            if isinstance(module, nn.ReLU):
                modules[i] = nn.ReLU(inplace=False)  # in-place would corrupt returned activations
        self.names = names[: last + 1]
        self.body = nn.ModuleList(modules)
        self.layers = tuple(layers)
        self.info = trunk.info
        self.bgr = trunk.norm.bgr
        self.scale = trunk.norm.scale
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.tensor(trunk.norm.mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(trunk.norm.std).view(1, 3, 1, 1))
        self.requires_grad_(False).eval()

    def forward(self, images: torch.Tensor, layers: tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
        """{name: activation} for `layers` (default: all this module serves), stopping after the
        deepest of them: content targets need only a shallow layer, which skips most of the net."""
        x = images.flip(1) if self.bgr else images
        x = (x * self.scale - self.mean) / self.std
        wanted = set(self.layers if layers is None else layers)
        out: dict[str, torch.Tensor] = {}
        for name, module in zip(self.names, self.body):
            x = module(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out


@dataclass
class LossNet:
    """The features module with the layers it serves; empty layer lists took the arch's defaults."""

    features: VGGFeatures
    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]

    @property
    def info(self) -> LossNetInfo:
        return self.features.info


def build_loss_net(
    loss_net: str = "auto",
    *,
    weights_path: str | os.PathLike[str] | None = None,
    content_layers: tuple[str, ...] = (),
    style_layers: tuple[str, ...] = (),
) -> LossNet:
    """Load a trunk and wrap it for the given layers (each empty tuple means the trunk's defaults)."""
    trunk = load_trunk(loss_net, weights_path=weights_path)
    content = content_layers or trunk.arch.content_layers
    style = style_layers or trunk.arch.style_layers
    return LossNet(VGGFeatures(trunk, tuple(dict.fromkeys(content + style))), content, style)
