"""The camera's style list: what the `n`/`p` keys step through and `m` cross-fades along.

Each single-style model is one entry; a multi-style model gives one entry per style it
holds. Switching between styles of one model only changes the weight vector its norms mix,
so `m` can fade smoothly; a fade to another model file switches at once instead.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..context import RunContext, resolve_context
from ..errors import VidstyleError
from ..frames import Frame
from ..modelfile import bundled_models
from ..stylemix import StyleChoice, StyleSchedule, describe_mix, one_hot, style_index
from ..stylizer import FrameStylizer

log = logging.getLogger("vidstyle")

FADE_SECONDS = 1.0

# What camera and serve run when no model is named, on a CPU: the full net draws 1.5-3 fps at
# 640x360 on 2 cores, too slow to watch; its distilled student keeps the look at several times
# the speed (benchmarks/results/cpu-realtime-*.json). A GPU runs the full net in real time.
CPU_LIVE_MODEL = "mosaic-fast"


def live_default_model(device: str = "auto") -> tuple[str, str]:
    """The bundled model a live run uses when given none, and why, for its first log line."""
    if resolve_context(device).device.type != "cpu":
        return "default", "the bundled full net, which a GPU runs in real time"
    if CPU_LIVE_MODEL not in bundled_models():
        return "default", f"the bundled full net ({CPU_LIVE_MODEL}, the CPU one, is not installed)"
    return (
        CPU_LIVE_MODEL,
        "the default's distilled student, fast enough to watch on a CPU; --model default for the full net",
    )


def announce_live_default(device: str = "auto") -> str:
    """live_default_model's name, once its choice is logged."""
    name, reason = live_default_model(device)
    log.info("model: %s, %s", name, reason)
    return name


@dataclass(frozen=True)
class _Entry:
    stylizer: int  # which FrameStylizer runs it
    weights: torch.Tensor | None  # its row of a multi-style model; None for a single-style one
    name: str


@dataclass(frozen=True)
class _Current:
    """Where the keys have got to. Replaced whole, never changed: the inference thread reads it
    once per frame, so a frame's weights and its label always come from the same key press."""

    index: int  # the entry
    label: str  # what the window shows: the entry's name, or the mix the session started with
    schedule: StyleSchedule | None  # the entry's model's weights over time; None for a single-style model


class StyleSwitcher:
    """The camera's inference stage (a Stage): runs the current entry on each frame; `switch`
    and `fade`, called from the window's keys on another thread, move it."""

    def __init__(
        self,
        stylizers: Sequence[FrameStylizer],
        names: Sequence[str],
        *,
        start: StyleChoice = StyleChoice(),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """`start` picks the first model's starting style, mix or schedule."""
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
                prefix = f"{name}:" if len(self.stylizers) > 1 else ""  # with several models, which one it is
                self.entries += [_Entry(i, one_hot(k, len(styles)), prefix + style) for k, style in enumerate(styles)]
        first = list(self.stylizers[0].backend.style_names)
        schedule = start.resolve(first)  # None for a single-style model
        index = style_index(start.style, first) if start.style is not None and schedule is not None else 0
        label = self.entries[index].name
        if start.mix is not None and schedule is not None:
            label = describe_mix(schedule.at(0.0), first)
        self._current = _Current(index, label, schedule)

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def switch(self, step: int) -> str:
        """Next (+1) or previous (-1) style; takes effect on the next frame inferred."""
        index = (self._current.index + step) % len(self.entries)
        entry = self.entries[index]
        schedule = None if entry.weights is None else StyleSchedule.constant(entry.weights)
        self._current = _Current(index, entry.name, schedule)
        return entry.name

    def fade(self, step: int = 1, seconds: float = FADE_SECONDS) -> str:
        """Like switch, but blends the norm weights from the current style over `seconds`."""
        current = self._current
        index = (current.index + step) % len(self.entries)
        was, target = self.entries[current.index], self.entries[index]
        if was.stylizer != target.stylizer or was.weights is None or target.weights is None:
            log.info("%s and %s are different model files: switching without a fade", was.name, target.name)
            return self.switch(step)
        now = self.clock()
        start = current.schedule.at(now) if current.schedule is not None else was.weights
        self._current = _Current(index, target.name, StyleSchedule((now, now + seconds), (start, target.weights)))
        return target.name

    def __call__(self, frame: Frame) -> Frame:
        current = self._current
        stylizer = self.stylizers[self.entries[current.index].stylizer]
        stylizer.use_schedule(current.schedule)
        # The schedule runs on the clock the fade was started with, read as each frame is inferred.
        stylized = stylizer(torch.from_numpy(frame.pixels)[None], pts_seconds=[self.clock()])[0].numpy()
        return frame.stylized_with(stylized, current.label)


def load_styles(
    models: Sequence[str | os.PathLike[str] | None],
    *,
    backend: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    max_side: int | None = 480,
    choice: StyleChoice = StyleChoice(),
) -> StyleSwitcher:
    """One backend per model (None: live_default_model's, logged with its reason), named after the
    model files. `choice` picks the first model's starting style (or mix)."""
    ctx = resolve_context(device, precision)
    if any(path is None for path in models):
        name = announce_live_default(device)
        models = [name if path is None else path for path in models]
    # The first model opens on the chosen style, so that the run's first line names it.
    opened = [
        open_model(path, backend, ctx=ctx, max_side=max_side, choice=choice if i == 0 else StyleChoice())
        for i, path in enumerate(models)
    ]
    return StyleSwitcher([stylizer for stylizer, _ in opened], [name for _, name in opened], start=choice)


def open_model(
    path: str | os.PathLike[str] | None,
    backend: str | None,
    *,
    ctx: RunContext,
    max_side: int | None,
    choice: StyleChoice = StyleChoice(),
) -> tuple[FrameStylizer, str]:
    """A model file on its backend (FrameStylizer.open: the file's suffix picks it unless
    `backend` does), and the name the style list shows for it."""
    stylizer = FrameStylizer.open(path, backend, ctx=ctx, max_side=max_side, choice=choice, announce_size=True)
    return stylizer, stylizer.name
