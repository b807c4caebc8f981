"""Progress bars that suit where stderr goes: a live bar on a terminal; elsewhere (a log file,
CI, a pipe) one plain line every few seconds instead of a pile of carriage returns."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")

LOG_INTERVAL_SECONDS = 5.0  # how often a non-terminal gets a progress line


class _Lines:
    """A file for tqdm that turns each redraw into one finished line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(
    iterable: Iterable[T] | None = None,
    *,
    enabled: bool,
    total: int | None = None,
    unit: str,
    desc: str = "",
    initial: int = 0,
) -> tqdm[T]:
    """A tqdm bar on a terminal; a line every LOG_INTERVAL_SECONDS when stderr is not one."""
    options: dict[str, Any] = {"total": total, "disable": not enabled, "unit": unit, "desc": desc, "initial": initial}
    if sys.stderr.isatty():
        return tqdm(iterable, dynamic_ncols=True, **options)
    return tqdm(iterable, file=_Lines(sys.stderr), mininterval=LOG_INTERVAL_SECONDS, ncols=80, **options)  # type: ignore[arg-type]


@contextlib.contextmanager
def step_bar(total: int, *, enabled: bool, desc: str) -> Iterator[Callable[[str], None]]:
    """A bar over a few long named steps (an export, its checks): the block calls the yielded
    function with each step's name as it starts; a step counts as done when the next starts,
    the last when the block ends without an error."""
    bar = progress_bar(total=total, enabled=enabled, unit="step", desc=desc)
    started = False

    def step(name: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_postfix_str(name)

    try:
        yield step
        if started:
            bar.update(1)
    finally:
        bar.close()
