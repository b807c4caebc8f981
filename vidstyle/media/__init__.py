"""PyAV containers: probe a file, decode it, encode one, carry its audio over.

Names resolve on first use (PEP 562), so the CLI can read EncodeOptions' defaults for
`--help` without importing PyAV and torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "VideoInfo": "probe",
    "open_input": "probe",
    "probe": "probe",
    "DecodeStats": "decode",
    "read_batches": "decode",
    "EncodeOptions": "options",
    "VideoWriter": "encode",
}

if TYPE_CHECKING:
    from .decode import DecodeStats, read_batches
    from .encode import VideoWriter
    from .options import EncodeOptions
    from .probe import VideoInfo, open_input, probe


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
