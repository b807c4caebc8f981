"""Choosing among a multi-style model's styles: a name or index, a weighted mix, or a schedule over time.

Everything resolves to a weight vector of N floats that sum to 1, the network's `style_weights`
row. Errors name the styles the model has, so a typo is one line away from the fix.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import torch

from .errors import VidstyleError


def _available(names: list[str]) -> str:
    return ", ".join(f"{i}:{name}" for i, name in enumerate(names))


def style_index(spec: str, names: list[str]) -> int:
    """A style by name, or by its 0-based index."""
    text = spec.strip()
    if text in names:
        return names.index(text)
    if text.isdigit() and int(text) < len(names):
        return int(text)
    raise VidstyleError(f"no style {spec!r} in this model; its styles are {_available(names)}")


def one_hot(index: int, count: int) -> torch.Tensor:
    weights = torch.zeros(count)
    weights[index] = 1.0
    return weights


def normalised(weights: torch.Tensor, names: list[str]) -> torch.Tensor:
    """Check a weight vector against the model and scale it to sum 1."""
    if weights.shape != (len(names),):
        raise VidstyleError(
            f"{weights.numel()} style weights for a model with {len(names)} styles ({_available(names)})"
        )
    if not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()):
        raise VidstyleError(f"style weights must be finite and >= 0; the model's styles are {_available(names)}")
    total = float(weights.sum())
    if total <= 0:
        raise VidstyleError(f"style weights are all zero; give at least one of {_available(names)} a positive weight")
    return weights / total


def parse_mix(spec: str, names: list[str]) -> torch.Tensor:
    """'starry:0.7,candy:0.3' (names or indices) -> normalised weights."""
    weights = torch.zeros(len(names))
    for part in spec.split(","):
        name, sep, value = part.strip().rpartition(":")
        if not sep or not name:
            raise VidstyleError(
                f"style mix part {part.strip()!r} is not NAME:WEIGHT; the model's styles are {_available(names)}"
            )
        try:
            weight = float(value)
        except ValueError:
            raise VidstyleError(f"style mix weight {value!r} for {name!r} is not a number") from None
        weights[style_index(name, names)] += weight
    return normalised(weights, names)


@dataclass(frozen=True)
class StyleSchedule:
    """Keyframes (seconds, weights); weights between keyframes are interpolated linearly."""

    seconds: tuple[float, ...]
    weights: tuple[torch.Tensor, ...]

    @classmethod
    def constant(cls, weights: torch.Tensor) -> StyleSchedule:
        """The same weights at every time."""
        return cls((0.0,), (weights,))

    def at(self, pts_seconds: float) -> torch.Tensor:
        i = bisect.bisect_right(self.seconds, pts_seconds)
        if i == 0:
            return self.weights[0]
        if i == len(self.seconds):
            return self.weights[-1]
        t0, t1 = self.seconds[i - 1], self.seconds[i]
        alpha = (pts_seconds - t0) / (t1 - t0)
        return (1 - alpha) * self.weights[i - 1] + alpha * self.weights[i]


def parse_schedule(spec: str, names: list[str]) -> StyleSchedule:
    """'0s:candy,4s:starry,8s:candy' -> a schedule; times strictly increase."""
    points: list[tuple[float, torch.Tensor]] = []
    for part in spec.split(","):
        time_text, sep, style = part.strip().partition(":")
        if not sep:
            raise VidstyleError(f"style schedule part {part.strip()!r} is not TIME:STYLE (like 4s:candy)")
        try:
            seconds = float(time_text.strip().removesuffix("s"))
        except ValueError:
            raise VidstyleError(f"style schedule time {time_text!r} is not a number of seconds") from None
        if not 0 <= seconds < math.inf:  # nan and inf parse as floats, and would give a black video
            raise VidstyleError(f"style schedule time {time_text!r} is not a time of 0 or more seconds (like 4s)")
        if points and seconds <= points[-1][0]:
            raise VidstyleError(f"style schedule times must increase; {seconds:g}s comes after {points[-1][0]:g}s")
        points.append((seconds, one_hot(style_index(style, names), len(names))))
    return StyleSchedule(tuple(p[0] for p in points), tuple(p[1] for p in points))


def describe_mix(weights: torch.Tensor, names: list[str]) -> str:
    """'candy 70% + starry 30%': the styles a weight vector uses, largest first."""
    parts = sorted(((float(w), name) for w, name in zip(weights.tolist(), names, strict=True) if w > 0), reverse=True)
    return " + ".join(f"{name} {100 * w / sum(w for w, _ in parts):.0f}%" for w, name in parts)


@dataclass(frozen=True)
class StyleChoice:
    """The user's pick, as typed (--style, --style-mix, --style-schedule): at most one of them.

    It stays text until a backend says which styles its model holds, so the same choice works
    for a .safetensors, an .onnx or an .engine model.
    """

    style: str | None = None
    mix: str | None = None
    schedule: str | None = None

    @classmethod
    def of(cls, style: str | int | None = None, mix: str | None = None, schedule: str | None = None) -> StyleChoice:
        """From the library's keywords, where a style may also be given as an int index."""
        return cls(style=None if style is None else str(style), mix=mix, schedule=schedule)

    def __post_init__(self) -> None:
        given = [
            flag
            for flag, value in (("style", self.style), ("style mix", self.mix), ("style schedule", self.schedule))
            if value is not None
        ]
        if len(given) > 1:
            raise VidstyleError(f"give one of style, style mix or style schedule, not {' and '.join(given)}")

    def resolve(self, names: list[str]) -> StyleSchedule | None:
        """Weights over time for a multi-style model; None for a single-style one (nothing to mix)."""
        if self.schedule is not None:
            schedule = parse_schedule(self.schedule, names)
        elif self.mix is not None:
            schedule = StyleSchedule.constant(parse_mix(self.mix, names))
        else:
            # A multi-style model with no choice runs its first style, as a single-style one would.
            schedule = StyleSchedule.constant(one_hot(style_index(self.style or "0", names), len(names)))
        return None if len(names) == 1 else schedule
