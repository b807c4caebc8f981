"""Choose the training precision once, through the runtime's one `auto` decision
(vidstyle.precision), with the probe timing the backward pass that training runs."""

from __future__ import annotations

import logging

from vidstyle.context import RunContext
from vidstyle.precision import PrecisionChoice
from vidstyle.precision import choose_precision as _choose

log = logging.getLogger("vidstyle")


def choose_precision(
    device: str = "auto", precision: str = "auto", *, flags: frozenset[str] | None = None
) -> PrecisionChoice:
    """Training's (and Gatys's) choice: fp16 gets a grad scaler, the probe runs backward too."""
    return _choose(device, precision, training=True, flags=flags)


def training_context(device: str, precision: str) -> tuple[RunContext, bool]:
    """The trainer's entry: (ctx, use_scaler), with the choice logged once."""
    choice = choose_precision(device, precision)
    log.info("precision: %s", choice.reason)
    return choice.ctx, choice.use_scaler
