"""Training images: a folder searched recursively, random crops that depend only on (seed, index).

Making every sample a pure function of its global index is what lets `--resume` reproduce
an uninterrupted run exactly, with any number of loader workers.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from vidstyle.errors import VidstyleError
from vidstyle.images import IMAGE_SUFFIXES, list_images


def find_images(folder: str | os.PathLike[str]) -> list[Path]:
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise VidstyleError(f"training data must be a folder of images; {root} is a file")
    if not root.is_dir():
        raise VidstyleError(f"training data folder not found: {root}")
    files = list_images(root)
    if not files:
        raise VidstyleError(f"no training images ({', '.join(IMAGE_SUFFIXES)}) found under {root}")
    return files


def readable_images(files: list[Path]) -> tuple[list[Path], int]:
    """Keep the files PIL can identify; returns them and how many were skipped."""
    good = []
    for file in files:
        try:
            with Image.open(file) as img:
                img.verify()
            good.append(file)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            continue
    return good, len(files) - len(good)


def random_crop_box(
    height: int, width: int, generator: torch.Generator, *, min_scale: float = 0.5
) -> tuple[int, int, int]:
    """A square (top, left, side) covering min_scale..1 of the shorter side."""
    short = min(height, width)
    scale = min_scale + (1.0 - min_scale) * torch.rand((), generator=generator).item()
    side = max(1, int(short * scale))
    top = int(torch.randint(0, height - side + 1, (), generator=generator))
    left = int(torch.randint(0, width - side + 1, (), generator=generator))
    return top, left, side


class CropDataset(Dataset[tuple[torch.Tensor, int]]):
    """Index i -> (a random square crop of image perm_epoch[i % n], resized to `size`, flipped at
    random; how many files failed to decode on the way). The count travels with the sample
    because with --workers > 0 the dataset lives in worker processes, where a counter on the
    object would never reach the trainer."""

    def __init__(self, files: list[Path], size: int, seed: int) -> None:
        if not files:
            raise VidstyleError("no readable training images")
        self.files = files
        self.size = size
        self.seed = seed

    def __len__(self) -> int:
        return 2**62  # indexed by global sample number; the sampler decides how many

    @functools.lru_cache(maxsize=2)  # one permutation per epoch, not one per sample
    def _order(self, epoch: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(len(self.files), generator=gen)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        n = len(self.files)
        for attempt in range(n):
            i = index + attempt
            file = self.files[int(self._order(i // n)[i % n])]
            gen = torch.Generator().manual_seed(self.seed * 7_919 + index)
            try:
                return self._load(file, gen), attempt
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
                continue  # decodes that fail late (truncated data) fall through to the next file
        raise VidstyleError("none of the training images could be decoded")

    def _load(self, file: Path, gen: torch.Generator) -> torch.Tensor:
        with Image.open(file) as img:
            pixels = np.asarray(img.convert("RGB"), dtype=np.uint8)
        image = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float().div(255.0)
        top, left, side = random_crop_box(image.shape[1], image.shape[2], gen)
        crop = image[:, top : top + side, left : left + side][None]
        crop = F.interpolate(
            crop, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=side > self.size
        )[0]
        if torch.rand((), generator=gen).item() < 0.5:
            crop = crop.flip(-1)
        return crop.clamp(0.0, 1.0)
