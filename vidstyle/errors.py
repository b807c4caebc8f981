"""User-facing errors.

Anything a user can cause (a bad path, a corrupt file, a missing codec) is raised as a
VidstyleError. The CLI prints its message as one line on stderr and exits nonzero;
everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class VidstyleError(Exception):
    """An error caused by input or environment, with a message fit for one stderr line."""

    exit_code = 2


class ModelFileError(VidstyleError):
    """A model file is missing, truncated, tampered with, or not a vidstyle model."""


class MediaError(VidstyleError):
    """An input or output media file cannot be read or written as asked."""


class WeightsUnavailableError(VidstyleError):
    """The perceptual-loss network's weights cannot be loaded."""


class OutputExistsError(VidstyleError):
    """The output exists and the caller did not ask to replace it; the CLI names its -y flag."""
