"""The camera's style list: what the `n`/`p` keys step through and `m` cross-fades along.

Each single-style model is one entry; a multi-style model gives one entry per style it
holds. Switching between styles of one model only changes the weight vector its norms mix,
so `m` can fade smoothly; a fade to another model file switches at once instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..errors import VidstyleError
from ..frames import Frame
from ..stylemix import StyleSchedule, one_hot
from ..stylizer import FrameStylizer

log = logging.getLogger("vidstyle")

FADE_SECONDS = 1.0


@dataclass(frozen=True)
class _Entry:
    stylizer: int  # which FrameStylizer runs it
    weights: torch.Tensor | None  # its row of a multi-style model; None for a single-style one
    name: str


class LiveStylizer:
    """The inference stage: runs the current entry on each frame; `switch` and `fade` move it."""

    def __init__(self, stylizers: Sequence[FrameStylizer], names: Sequence[str], *, clock: Callable[[], float] = time.perf_counter) -> None:
        if not stylizers:
            raise VidstyleError("no style models given")
        self.stylizers = list(stylizers)
        self.clock = clock
        self.entries: list[_Entry] = []
        for i, (stylizer, name) in enumerate(zip(self.stylizers, names, strict=True)):
            styles = list(stylizer.backend.style_names)
            if len(styles) == 1:
                self.entries.append(_Entry(i, None, name))
            else:
                label = (lambda style: f"{name}:{style}") if len(self.stylizers) > 1 else (lambda style: style)
                self.entries += [_Entry(i, one_hot(k, len(styles)), label(style)) for k, style in enumerate(styles)]
        self.index = 0
        self.label = self.entries[0].name  # what the window shows: the entry, or a mix set by the caller
        # Each multi-style stylizer starts on its own first style, or where the caller set it.
        for stylizer in self.stylizers:
            if stylizer.styles is None and len(stylizer.backend.style_names) > 1:
                stylizer.styles = StyleSchedule.constant(one_hot(0, len(stylizer.backend.style_names)))

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def switch(self, step: int) -> str:
        """Next (+1) or previous (-1) style; takes effect on the next frame inferred."""
        self.index = (self.index + step) % len(self.entries)
        entry = self.entries[self.index]
        if entry.weights is not None:
            self.stylizers[entry.stylizer].styles = StyleSchedule.constant(entry.weights)
        self.label = entry.name
        return entry.name

    def fade(self, step: int = 1, seconds: float = FADE_SECONDS) -> str:
        """Like switch, but blends the norm weights from the current style over `seconds`."""
        current, target = self.entries[self.index], self.entries[(self.index + step) % len(self.entries)]
        if current.stylizer != target.stylizer or current.weights is None or target.weights is None:
            log.info("%s and %s are different model files: switching without a fade", current.name, target.name)
            return self.switch(step)
        stylizer = self.stylizers[target.stylizer]
        now = self.clock()
        start = stylizer.style_weights(1, [now])
        self.index = (self.index + step) % len(self.entries)
        stylizer.styles = StyleSchedule((now, now + seconds), (start[0] if start is not None else current.weights, target.weights))
        self.label = target.name
        return target.name

    def __call__(self, frame: Frame) -> Frame:
        entry = self.entries[self.index]
        stylizer = self.stylizers[entry.stylizer]
        # The schedule runs on the clock the fade was started with, read as each frame is inferred.
        frame.stylized = stylizer(torch.from_numpy(frame.pixels)[None], pts_seconds=[self.clock()])[0].numpy()
        frame.style_label = self.label
        return frame
