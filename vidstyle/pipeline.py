"""Three stages in three threads, joined by bounded queues: decode -> infer -> encode.

Bounded queues keep memory flat on any length of video, and each stage works while the
others do. The first error in any stage stops all of them and is re-raised in the caller;
so is Ctrl-C, which the caller's thread receives while it waits here.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

_DONE = object()
_POLL_SECONDS = 0.1


class Stopped(Exception):
    """Raised inside a stage when another stage failed or the user interrupted."""


def _put(q: queue.Queue[object], item: object, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise Stopped
        try:
            q.put(item, timeout=_POLL_SECONDS)
            return
        except queue.Full:
            continue


def _get(q: queue.Queue[object], stop: threading.Event) -> object:
    while True:
        if stop.is_set():
            raise Stopped
        try:
            return q.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            continue


def run_pipeline(
    source: Iterable[T],
    transform: Callable[[T], U],
    sink: Callable[[U], None],
    *,
    queue_size: int = 4,
    stop: threading.Event | None = None,
) -> None:
    """Run source -> transform -> sink concurrently until the source ends, a stage fails, or `stop` is set."""
    stop = stop or threading.Event()
    errors: list[BaseException] = []
    decoded: queue.Queue[object] = queue.Queue(maxsize=queue_size)
    transformed: queue.Queue[object] = queue.Queue(maxsize=queue_size)

    def guard(body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except Stopped:
                pass
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
                stop.set()

        return run

    def produce() -> None:
        for item in source:
            _put(decoded, item, stop)
        _put(decoded, _DONE, stop)

    def work() -> None:
        while (item := _get(decoded, stop)) is not _DONE:
            _put(transformed, transform(item), stop)  # type: ignore[arg-type]
        _put(transformed, _DONE, stop)

    def consume() -> None:
        while (item := _get(transformed, stop)) is not _DONE:
            sink(item)  # type: ignore[arg-type]

    threads = [threading.Thread(target=guard(body), name=f"vidstyle-{name}", daemon=True) for name, body in (("decode", produce), ("infer", work), ("encode", consume))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=_POLL_SECONDS)  # short joins keep Ctrl-C deliverable
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join(timeout=5.0)
        raise
    if errors:
        raise errors[0]
    if stop.is_set():
        raise KeyboardInterrupt
