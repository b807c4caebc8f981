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
    realtime: bool = False  # a live source: the encoder's settings for keeping up (codecs.REALTIME_SETTINGS)

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"EncodeOptions needs a positive size, got {self.width}x{self.height}")
        if self.time_base <= 0 or self.rate_fps <= 0:
            raise ValueError(
                f"EncodeOptions needs a positive time base and rate, got {self.time_base} and {self.rate_fps}"
            )


@dataclass(frozen=True, kw_only=True)
class Trim:
    """The part of a clip to keep, like ffmpeg's -ss, -t/-to and -frames:v. Kept frames are
    shifted so the part starts at time zero; its audio is cut and shifted to match."""

    start_seconds: float = 0.0
    end_seconds: float | None = None  # in the input's time; None: to the end
    max_frames: int | None = None

    def __post_init__(self) -> None:
        if not self.start_seconds >= 0:
            raise ValueError(f"trim start must be 0 or later, got {self.start_seconds}")
        if self.end_seconds is not None and not self.end_seconds > self.start_seconds:
            raise ValueError(f"trim end ({self.end_seconds} s) must come after its start ({self.start_seconds} s)")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"trim needs at least 1 frame, got {self.max_frames}")

    def keeps(self, seconds: float) -> bool | None:
        """True to keep a frame at `seconds`, False to skip it, None when the part is over."""
        if self.end_seconds is not None and seconds >= self.end_seconds:
            return None
        return seconds >= self.start_seconds - 1e-6

    def frames_kept(
        self, *, frame_count: int | None, rate_fps: float | None, duration_seconds: float | None
    ) -> int | None:
        """About how many frames the part holds, for a progress bar's total and ETA; None when unknown."""
        if self == Trim():
            return frame_count
        end = (
            self.end_seconds
            if duration_seconds is None
            else min(self.end_seconds or duration_seconds, duration_seconds)
        )
        by_time = None if end is None or not rate_fps else max(1, round((end - self.start_seconds) * rate_fps))
        known = [n for n in (by_time, self.max_frames) if n is not None]
        return min(known) if known else None


# Whether codecs that print for themselves (x265) keep to errors: set once by the CLI's -q.
# It is not av.logging's level on purpose: any level there installs PyAV's Python log callback,
# which takes the GIL from FFmpeg's decoder threads, and a frame-threaded decoder freed while
# the GIL is held then waits forever (PyAV issues 751 and 909).
_CODEC_LOGS = {"quiet": False}


def quiet_codec_logs(quiet: bool) -> None:
    _CODEC_LOGS["quiet"] = quiet


def codec_logs_quiet() -> bool:
    return _CODEC_LOGS["quiet"]
