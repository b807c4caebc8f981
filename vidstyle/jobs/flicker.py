"""`vidstyle flicker`: the warping error of a stylized clip against its input's own, on frames
of the two clips paired by timestamp.

Pairing by position would compare unrelated frames as soon as one clip drops, repeats or
resamples frames (a stylized copy at half the rate, a clip cut shorter); pairing by time keeps
each stylized frame next to the input frame it was made from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import VidstyleError
from ..media.decode import read_batches
from ..media.probe import probe
from ..progress import progress_bar
from ..temporal import FlickerReport, warping_error


def measure_flicker(
    input_path: str | os.PathLike[str],
    stylized_path: str | os.PathLike[str],
    *,
    max_side: int = 480,
    progress: bool = False,
) -> FlickerReport:
    """The warping error of `stylized_path` against `input_path`'s own, on frames paired by
    timestamp; clips that differ in length or rate get one warning line."""
    first, second = probe(input_path), probe(stylized_path)
    # A stylized clip may be one pixel larger: 4:2:0 output pads odd sizes to even.
    if not (0 <= second.width - first.width <= 1 and 0 <= second.height - first.height <= 1):
        raise VidstyleError(
            f"sizes differ: {input_path} is {first.width}x{first.height}, "
            f"{stylized_path} is {second.width}x{second.height}"
        )
    rates = (float(first.average_rate or 25), float(second.average_rate or 25))
    counts = PairCounts(rates=rates)
    # Half the longer frame interval: a frame at the other clip's rate always has a partner this close.
    pairs = paired_frames(input_path, stylized_path, counts, tolerance_seconds=0.5 / min(rates))
    bar = progress_bar(pairs, enabled=progress, total=second.frame_count, unit="frame", desc=Path(stylized_path).name)
    try:
        with bar:
            report = warping_error(bar, max_side=max_side)
    except ValueError as exc:
        raise VidstyleError(str(exc)) from None
    warning = counts.mismatch(Path(input_path).name, Path(stylized_path).name)
    if warning:
        logging.getLogger("vidstyle").warning("%s", warning)
    return report


@dataclass
class PairCounts:
    """How many frames each clip had and how many were paired, filled in as pairing goes."""

    input_frames: int = 0
    stylized_frames: int = 0
    pairs: int = 0
    rates: tuple[float, float] = field(default=(0.0, 0.0))

    def mismatch(self, input_name: str, stylized_name: str) -> str | None:
        """One line when the clips differ in length or frame rate; None when they match."""
        same_rate = abs(self.rates[0] - self.rates[1]) <= 0.01 * max(self.rates)
        if self.input_frames == self.stylized_frames and same_rate:
            return None
        return (
            f"the clips differ: {input_name} has {self.input_frames} frames at {self.rates[0]:.3g} fps, "
            f"{stylized_name} has {self.stylized_frames} frames at {self.rates[1]:.3g} fps; "
            f"{self.pairs} frames paired by timestamp"
        )


def _timed(path: str | os.PathLike[str]) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds since the clip's first frame, uint8 RGB frame)."""
    start: float | None = None
    for batch in read_batches(path, 1):
        seconds = batch.pts_seconds[0]
        start = seconds if start is None else start
        yield seconds - start, batch.data[0].numpy()


def paired_frames(
    input_path: str | os.PathLike[str],
    stylized_path: str | os.PathLike[str],
    counts: PairCounts,
    *,
    tolerance_seconds: float,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(input frame, stylized frame) for each stylized frame whose nearest input frame in time is
    within `tolerance_seconds`; each input frame is used at most once. The stylized frame may
    carry padding to an even size, which is cropped off. `counts` is complete once exhausted."""
    inputs = _timed(input_path)
    current, following = next(inputs, None), next(inputs, None)
    counts.input_frames = int(current is not None) + int(following is not None)
    used = -1.0  # the time of the input frame paired last
    for seconds, stylized in _timed(stylized_path):
        counts.stylized_frames += 1
        while (
            current is not None and following is not None and abs(following[0] - seconds) <= abs(current[0] - seconds)
        ):
            current, following = following, next(inputs, None)
            counts.input_frames += following is not None
        if current is None or abs(current[0] - seconds) > tolerance_seconds or current[0] == used:
            continue
        used = current[0]
        counts.pairs += 1
        source = current[1]
        yield source, stylized[: source.shape[0], : source.shape[1]]
    counts.input_frames += sum(1 for _ in inputs)  # the input's frames past the stylized clip's end
