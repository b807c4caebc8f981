"""EncodeOptions: everything a VideoWriter needs to know, and the one place codec defaults live.

Plain data without PyAV, so `vidstyle stylize --help` can show these defaults cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, kw_only=True)
class EncodeOptions:
    """A video stream to write: its size and timing, and the encoder settings."""

    width: int
    height: int
    time_base: Fraction  # the unit of the pts the frames arrive with; they are written as they are
    rate_fps: Fraction = Fraction(25)  # nominal rate, for players and rate control; pts rule timing
    rotation_degrees: int = 0  # display rotation stored in the stream's side data
    codec: str = "libx264"
    crf: int | None = 18  # for encoders with x264-style rate control; ignored by others
    preset: str | None = "medium"
    pix_fmt: str | None = None  # None: yuv420p where the codec has it
    threads: int = 0  # 0: let the encoder decide

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"EncodeOptions needs a positive size, got {self.width}x{self.height}")
        if self.time_base <= 0 or self.rate_fps <= 0:
            raise ValueError(f"EncodeOptions needs a positive time base and rate, got {self.time_base} and {self.rate_fps}")
