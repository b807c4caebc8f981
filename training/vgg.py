"""VGG19 features with named outputs (relu1_1 ... relu5_4), for the perceptual losses.

Three weight sources, chosen explicitly, never by silent fallback:
  imagenet      torchvision's official weights through the weights API (TORCH_HOME cache)
  file          a torchvision VGG19 state dict from --vgg-weights PATH (loaded weights_only)
  vgg19-random  seeded random init: a documented stand-in for tests and offline machines;
                random conv features still carry colour and texture statistics (He et al. 2016)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import torch
from torch import nn
from torchvision.models import VGG19_Weights, vgg19
from torchvision.models.vgg import cfgs, make_layers

from vidstyle.errors import WeightsUnavailableError

LossNetName = Literal["vgg19", "vgg19-random"]
LOSS_NETS: tuple[LossNetName, ...] = ("vgg19", "vgg19-random")
RANDOM_SEED = 20160327  # Johnson et al. arXiv date; any fixed value would do

# torchvision's VGG19 "E" configuration: conv widths per block, 'M' is a max-pool.
_BLOCKS = ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512))
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

WEIGHTS_HELP = (
    "ImageNet VGG19 weights are not available ({reason}); choose one: "
    "--loss-net vgg19 with network access or a TORCH_HOME cache holding {file}, "
    "--vgg-weights PATH to a torchvision VGG19 state dict, "
    "or --loss-net vgg19-random for a seeded random-init loss net"
)


def layer_names() -> list[str]:
    """Names for each module of torchvision's vgg19().features, in order."""
    names = []
    for block, widths in enumerate(_BLOCKS, start=1):
        for conv in range(1, len(widths) + 1):
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
        names.append(f"pool{block}")
    return names


class VGGFeatures(nn.Module):
    """Returns {name: activation} for the requested layers; stops after the deepest one."""

    def __init__(self, features: nn.Sequential, layers: tuple[str, ...]) -> None:
        super().__init__()
        names = layer_names()
        unknown = [name for name in layers if name not in names]
        if unknown:
            raise ValueError(f"unknown VGG layer(s) {unknown}; valid names look like relu1_1 ... relu5_4")
        last = max(names.index(name) for name in layers)
        modules = list(features.children())[: last + 1]
        for i, module in enumerate(modules):
            if isinstance(module, nn.ReLU):
                modules[i] = nn.ReLU(inplace=False)  # in-place would corrupt returned activations
        self.names = names[: last + 1]
        self.body = nn.ModuleList(modules)
        self.layers = tuple(layers)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False).eval()

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        x = (images - self.mean) / self.std
        wanted = set(self.layers)
        out: dict[str, torch.Tensor] = {}
        for name, module in zip(self.names, self.body):
            x = module(x)
            if name in wanted:
                out[name] = x
        return out


def load_vgg_features(
    layers: tuple[str, ...],
    *,
    loss_net: str = "vgg19",
    weights_path: str | os.PathLike[str] | None = None,
) -> tuple[VGGFeatures, str]:
    """Build the loss net; returns it and a description of where its weights came from."""
    if weights_path is not None:
        return VGGFeatures(_from_file(Path(weights_path)), layers), f"file:{Path(weights_path).name}"
    if loss_net == "vgg19-random":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_SEED)
            features = _random_features()
        return VGGFeatures(features, layers), f"random-init(seed={RANDOM_SEED})"
    if loss_net == "vgg19":
        return VGGFeatures(_from_imagenet(), layers), "torchvision:VGG19_Weights.IMAGENET1K_V1"
    raise WeightsUnavailableError(f"unknown --loss-net {loss_net!r}; choose one of {', '.join(LOSS_NETS)}")


def _from_imagenet() -> nn.Sequential:
    weights = VGG19_Weights.IMAGENET1K_V1
    try:
        return vgg19(weights=weights).features
    except Exception as exc:  # urllib, ssl, hash mismatch: any of them means "no weights"
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
        raise WeightsUnavailableError(WEIGHTS_HELP.format(reason=reason, file=Path(weights.url).name)) from None


def _from_file(path: Path) -> nn.Sequential:
    if not path.is_file():
        raise WeightsUnavailableError(WEIGHTS_HELP.format(reason=f"--vgg-weights file not found: {path}", file="vgg19-dcbb9e9d.pth"))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsUnavailableError(f"cannot read VGG weights from {path}: {type(exc).__name__}") from None
    if not isinstance(state, dict):
        raise WeightsUnavailableError(f"{path} is not a state dict")
    # Accept the whole-model dict torchvision ships (features.N.*) or a bare features dict.
    features_state = {k.removeprefix("features."): v for k, v in state.items() if not k.startswith("classifier.")}
    features = _skeleton()
    try:
        features.load_state_dict(features_state)
    except RuntimeError as exc:
        raise WeightsUnavailableError(f"{path} does not hold VGG19 weights: {str(exc).splitlines()[0]}") from None
    return features


def _skeleton() -> nn.Sequential:
    """Only the conv part: building the full vgg19() would also allocate 120M classifier weights."""
    return make_layers(cfgs["E"], batch_norm=False)


def _random_features() -> nn.Sequential:
    features = _skeleton()
    # torchvision's own VGG init; the default conv init shrinks activations layer by layer.
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return features
