"""PyAV containers: probe a file, decode it, encode one, carry its audio over.

Names resolve on first use, so the CLI can read EncodeOptions' defaults (media.options)
for `--help` without this package importing PyAV and torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

# The names read from outside (training/ reads probe and read_batches here); vidstyle's own
# modules import from the submodules.
_LAZY = {"VideoInfo": "vidstyle.media.probe", "probe": "vidstyle.media.probe", "read_batches": "vidstyle.media.decode"}

if TYPE_CHECKING:
    from .decode import read_batches
    from .probe import VideoInfo, probe


__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = sorted(_LAZY)
