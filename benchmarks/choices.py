"""The bench matrix's axes as the command line gives them: sizes, batch sizes, comma lists."""

from __future__ import annotations

from vidstyle.errors import VidstyleError

SIZES = {"180p": (180, 320), "360p": (360, 640), "720p": (720, 1280), "1080p": (1080, 1920), "2160p": (2160, 3840)}
# The exported graphs' largest side.
MAX_SIDE = 16384


def parse_size(text: str) -> tuple[str, tuple[int, int]]:
    if text in SIZES:
        return text, SIZES[text]
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise VidstyleError(f"sizes are {', '.join(SIZES)} or WxH like 960x540; got {text!r}") from None
    if min(width, height) < 16:
        raise VidstyleError(f"a benchmark size needs at least 16 px a side; got {text!r}")
    if max(width, height) > MAX_SIDE:
        raise VidstyleError(f"a benchmark size is at most {MAX_SIDE} px a side; got {text!r}")
    return text, (height, width)


def csv(text: str | None, default: list[str]) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] if text else default


def batch_sizes(text: str | None, default: list[str]) -> list[int]:
    """--batch-size as a list of positive integers, or one line saying what it takes."""
    try:
        sizes = [int(part) for part in csv(text, default)]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise VidstyleError(f"--batch-size takes positive integers separated by commas, got {text!r}")
    return sizes
