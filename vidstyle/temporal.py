"""Temporal stability: the warping-error flicker metric and the flow-guided runtime blend.

Flow is OpenCV's DIS on grey, downscaled frames. A pixel counts only where forward and
backward flow agree (the occlusion check of Sundaram et al. 2010 / Ruder et al. 2016).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import VidstyleError


def _grey(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA) if grey.shape[::-1] != size else grey


def flow_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(width, height) for flow: downscaled so the longer side is at most max_side."""
    scale = min(1.0, max_side / max(height, width))
    return max(8, round(width * scale)), max(8, round(height * scale))


class FlowEstimator:
    """DIS flow between consecutive frames, and the mask of pixels it is reliable for."""

    def __init__(self, *, max_side: int = 480) -> None:
        self.max_side = max_side
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]

    def backward(self, previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flow from `current` back to `previous` at full size, and the non-occluded mask.

        current(x) ~ previous(x + flow(x)) wherever mask(x) is True.
        """
        height, width = current.shape[:2]
        size = flow_size(height, width, self.max_side)
        prev_g, curr_g = _grey(previous, size), _grey(current, size)
        back = self.dis.calc(curr_g, prev_g, None)
        forward = self.dis.calc(prev_g, curr_g, None)
        mask = consistent(back, forward)
        scale_x, scale_y = width / size[0], height / size[1]
        back_full = cv2.resize(back, (width, height), interpolation=cv2.INTER_LINEAR) * np.array(
            [scale_x, scale_y], np.float32
        )
        mask_full = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        return back_full, mask_full


def consistent(back: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward-backward check: following back then forward flow should return to the start."""
    height, width = back.shape[:2]
    forward_at = remap(forward, back)
    round_trip = back + forward_at
    bound = 0.01 * ((back**2).sum(-1) + (forward_at**2).sum(-1)) + 0.5
    grid_x, grid_y = np.meshgrid(np.arange(width), np.arange(height))
    inside = (
        (grid_x + back[..., 0] >= 0)
        & (grid_x + back[..., 0] <= width - 1)
        & (grid_y + back[..., 1] >= 0)
        & (grid_y + back[..., 1] <= height - 1)
    )
    return ((round_trip**2).sum(-1) <= bound) & inside


def remap(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` at x + flow(x) (bilinear, border replicated)."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(
        image,
        grid_x + flow[..., 0],
        grid_y + flow[..., 1],
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


@dataclass(frozen=True)
class FlickerReport:
    stylized_warping_error: float
    input_warping_error: float
    frames: int

    @property
    def ratio(self) -> float:
        return self.stylized_warping_error / self.input_warping_error if self.input_warping_error else float("inf")

    def as_dict(self) -> dict[str, float | int]:
        return {
            "stylized_warping_error": self.stylized_warping_error,
            "input_warping_error": self.input_warping_error,
            "ratio": self.ratio,
            "frames": self.frames,
        }


def warping_error(pairs: Iterable[tuple[np.ndarray, np.ndarray]], *, max_side: int = 480) -> FlickerReport:
    """Mean |warp(prev stylized) - stylized| over non-occluded pixels (RGB in [0, 1]).

    `pairs` yields (input frame, stylized frame), uint8 RGB of equal size. The flow always
    comes from the inputs; the input clip's own error is reported as the reference.
    """
    estimator = FlowEstimator(max_side=max_side)
    previous: tuple[np.ndarray, np.ndarray] | None = None
    stylized_sum = input_sum = 0.0
    count = frames = 0
    for source, stylized in pairs:
        frames += 1
        if stylized.shape != source.shape:
            raise ValueError(f"frame {frames - 1}: stylized {stylized.shape} and input {source.shape} differ in size")
        if previous is not None:
            flow, mask = estimator.backward(previous[0], source)
            n = int(mask.sum())
            if n:
                stylized_sum += _masked_abs(remap(previous[1], flow), stylized, mask)
                input_sum += _masked_abs(remap(previous[0], flow), source, mask)
                count += n
        previous = (source, stylized)
    if count == 0:
        raise ValueError("need at least two frames with some reliable flow")
    return FlickerReport(stylized_sum / count, input_sum / count, frames)


def _masked_abs(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    diff = np.abs(a.astype(np.float32) - b.astype(np.float32)) / 255.0
    return float(diff[mask].mean(axis=-1).sum())


# How far (RGB in [0, 1], mean over channels) the warped previous input may miss the current
# input before the blend backs off: above H.264 noise on a still camera (about 0.01), below the
# change at a moving object's edge, where the flow check passes but the flow is wrong and a
# full-weight blend drags the old picture along as a smear.
BLEND_SIGMA = 0.05


def blend_weight(
    alpha: float, mask: np.ndarray, warped_source: np.ndarray, source: np.ndarray, *, sigma: float = BLEND_SIGMA
) -> np.ndarray:
    """Per-pixel weight (H, W) for the warped previous output: `alpha` where the flow is reliable
    and predicts the current input, falling off as exp(-(d/sigma)^2) with the prediction's miss d."""
    miss = np.abs(warped_source.astype(np.float32) - source.astype(np.float32)).mean(axis=-1) / 255.0
    return alpha * mask.astype(np.float32) * np.exp(-((miss / sigma) ** 2))


def check_blend(alpha: float) -> float:
    """The one rule for a blend weight: 0 is off, and 1 would never let a new frame in."""
    if not 0.0 <= alpha < 1.0:
        raise VidstyleError(f"temporal blend must be in [0, 1), got {alpha}")
    return alpha


class TemporalBlender:
    """`stylize --temporal-blend A`: mix the flow-warped previous output into the current one
    with weight A where the flow is reliable and the warped previous input matches this one."""

    def __init__(self, alpha: float, *, max_side: int = 320, sigma: float = BLEND_SIGMA) -> None:
        self.alpha = check_blend(alpha)
        self.sigma = sigma
        self.estimator = FlowEstimator(max_side=max_side)
        self._previous: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, source: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        if self._previous is None or self._previous[0].shape != source.shape:
            blended = stylized
        else:
            previous_source, previous_output = self._previous
            flow, mask = self.estimator.backward(previous_source, source)
            weight = blend_weight(self.alpha, mask, remap(previous_source, flow), source, sigma=self.sigma)[..., None]
            warped = remap(previous_output, flow).astype(np.float32)
            blended = np.clip((1.0 - weight) * stylized.astype(np.float32) + weight * warped + 0.5, 0, 255).astype(
                np.uint8
            )
        self._previous = (source, blended)
        return blended

    def blend_batch(self, sources: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        return np.stack([self(s, y) for s, y in zip(sources, stylized)])
