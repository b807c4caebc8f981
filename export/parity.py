"""One way to compare two backends: the same inputs through both, the difference measured.

Exports check themselves with it before their file is moved into place, through the very
backends that will run the file later, never through a session built on the side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from vidstyle.backends import Backend


@dataclass(frozen=True)
class ParityCheck:
    size: tuple[int, int, int, int]
    max_abs_error: float
    psnr_db: float


def psnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """Peak signal-to-noise ratio of images in [0, 1]; infinite when they are equal."""
    mse = float(np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(1.0 / mse))


def compare(
    reference: Backend, candidate: Backend, inputs: Iterable[torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]]
) -> list[ParityCheck]:
    """Run each NCHW input (or (input, style weights) pair) through both backends; one ParityCheck per input."""
    checks = []
    for item in inputs:
        images, weights = item if isinstance(item, tuple) else (item, None)
        expected = reference.run(images, weights).detach().float().cpu().numpy()
        got = candidate.run(images, weights).detach().float().cpu().numpy()
        size = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        checks.append(
            ParityCheck(size=size, max_abs_error=float(np.abs(expected - got).max()), psnr_db=psnr_db(expected, got))
        )
    return checks
