"""Loss weights that mean the same on any loss net.

Gram matrices scale with the fourth power of the activations, so a style weight tuned for
torchvision's [0, 1]-normalised VGG is off by orders of magnitude for a Caffe-scale (0-255)
trunk. A weight written "10x" means: the term starts at 10 times the unweighted content loss,
measured once at a fixed starting point (training: the freshly initialised net on the first
batch; Gatys: a seeded noise image), so a resumed run resolves the same number. A plain
number is used as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vidstyle.errors import VidstyleError

Weight = float | str


def parse_weight(text: str) -> Weight:
    """'1e5' -> 1e5; '10x' -> '10x' (relative); anything else is an error."""
    value = text.strip()
    number = value[:-1] if value.endswith("x") else value
    try:
        factor = float(number)
    except ValueError:
        raise VidstyleError(f"loss weight {text!r} is neither a number nor a ratio like 10x") from None
    if not math.isfinite(factor) or factor < 0:
        raise VidstyleError(f"loss weight {text!r} must be a finite number >= 0")
    return value if value.endswith("x") else factor


@dataclass(frozen=True)
class InitialTerms:
    """Unweighted loss values of the untrained net on the first batch."""

    content: float
    style: float
    tv: float
    pixel: float = 0.0  # distillation only: the L1 distance to the teacher's picture


def resolve_weight(weight: Weight, raw: float, content_term: float) -> float:
    """A number stays; 'Nx' becomes the weight that makes raw * weight == N * content_term."""
    parsed = parse_weight(weight) if isinstance(weight, str) else float(weight)
    if not isinstance(parsed, str):
        return parsed
    factor = float(parsed.removesuffix("x"))
    if raw <= 0 or content_term <= 0:
        raise VidstyleError(f"cannot resolve loss weight {weight!r}: the initial terms are zero")
    return factor * content_term / raw


def resolve_weights(style_weight: Weight, tv_weight: Weight, initial: InitialTerms) -> tuple[float, float]:
    """(style_weight, tv_weight) as numbers, relative ones measured against the unweighted content term."""
    return resolve_weight(style_weight, initial.style, initial.content), resolve_weight(
        tv_weight, initial.tv, initial.content
    )
