"""Training side of vidstyle (installed as `vidstyle.training`): VGG loss, trainer, Gatys."""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: the CLI reads training.recipes to build `train --help`, which must not
# pull in torch's training stack for every command.
_EXPORTS = {"GatysConfig": ".gatys", "run_gatys": ".gatys", "TrainConfig": ".config", "train": ".trainer"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
