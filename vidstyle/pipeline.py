"""One runner for files and cameras: source -> transform -> sink, each stage working while
the others do.

The source and the transform run in threads of their own; the sink runs on the caller's
thread, because OpenCV windows must be drawn there and because a thread waiting in Python
code is where Ctrl-C arrives. Between the stages sits a channel:

- "queue": bounded in items and in bytes (an item's `nbytes`), and a full one makes the
  stage before it wait. Nothing is lost and memory stays flat on any length and size of
  video (files).
- "latest": a single-slot mailbox. A new item replaces an unread one, which is counted as
  dropped, so latency stays bounded however slow the transform is (cameras).

The transform is called once per item, or, wrapped in Streamed, runs over the whole stream
of items: that lets it hold an item back and hand its result on later (the stylizer hands
each batch back after the next one is queued on the device).

The first error in any stage stops all of them and is re-raised in the caller; so is
Ctrl-C. The caller's `stop` event, a sink returning False, or an idle callback returning
False end the run early but normally: run_pipeline returns with `stopped` set.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, cast

T = TypeVar("T")
U = TypeVar("U")

Channel = Literal["queue", "latest"]

_DONE = object()  # the stage before has finished
_EMPTY = object()  # nothing arrived within one poll
_POLL_SECONDS = 0.05  # how often waiting stages look at the stop flags


class Stopped(Exception):
    """Raised inside a stage when another stage failed or the run was stopped."""


@dataclass(frozen=True)
class PipelineResult:
    produced: int  # items the source yielded
    delivered: int  # items the sink received
    dropped: int  # items a "latest" channel replaced before anyone read them
    stopped: bool  # ended before the source did


@dataclass(frozen=True)
class Streamed(Generic[T, U]):
    """A transform over the stream of items rather than one item: `run` takes an iterator of
    the source's items and yields results, in any rhythm (it may hold items back)."""

    run: Callable[[Iterator[T]], Iterable[U]]


class _Flags:
    """The run's own halt flag and the caller's stop event, read as one."""

    def __init__(self, stop: threading.Event | None) -> None:
        self.halt = threading.Event()
        self.stop = stop or threading.Event()

    def is_set(self) -> bool:
        return self.halt.is_set() or self.stop.is_set()


def _nbytes(item: object) -> int:
    return int(getattr(item, "nbytes", 0))


class _BoundedQueue:
    """put() waits while the queue is full (`size` items, or `max_bytes` of them): back
    pressure, nothing dropped. One item always fits, however large, or a run could never start."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self._items: collections.deque[object] = collections.deque()
        self._cond = threading.Condition()
        self._size, self._max_bytes, self._bytes = size, max_bytes, 0
        self.dropped = 0

    def _full(self, nbytes: int) -> bool:
        return bool(self._items) and (len(self._items) >= self._size or self._bytes + nbytes > self._max_bytes)

    def put(self, item: object, flags: _Flags) -> None:
        nbytes = _nbytes(item)
        with self._cond:
            while self._full(nbytes):
                if flags.is_set():
                    raise Stopped
                self._cond.wait(_POLL_SECONDS)
            if flags.is_set():
                raise Stopped
            self._items.append(item)
            self._bytes += nbytes
            self._cond.notify_all()

    def close(self, flags: _Flags) -> None:
        self.put(_DONE, flags)

    def get(self, timeout_seconds: float) -> object:
        with self._cond:
            if not self._items:
                self._cond.wait(timeout_seconds)
            if not self._items:
                return _EMPTY
            item = self._items.popleft()
            self._bytes -= _nbytes(item)
            self._cond.notify_all()
            return item


class _Mailbox:
    """Holds at most one item; put() replaces an unread item and counts it as dropped."""

    def __init__(self) -> None:
        self._item: object = _EMPTY
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, item: object, flags: _Flags) -> None:
        if flags.is_set():
            raise Stopped
        with self._cond:
            if self._item is not _EMPTY:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()

    def close(self, flags: _Flags) -> None:
        del flags  # closing never waits
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self, timeout_seconds: float) -> object:
        """The newest item; _DONE once closed and empty; _EMPTY if nothing came in time."""
        with self._cond:
            if self._item is _EMPTY and not self._closed:
                self._cond.wait(timeout_seconds)
            item, self._item = self._item, _EMPTY
            if item is _EMPTY and self._closed:
                return _DONE
            return item


def _receive(channel: _BoundedQueue | _Mailbox, flags: _Flags) -> object:
    while True:
        if flags.is_set():
            raise Stopped
        item = channel.get(_POLL_SECONDS)
        if item is not _EMPTY:
            return item


def _items(channel: _BoundedQueue | _Mailbox, flags: _Flags) -> Iterator[object]:
    while (item := _receive(channel, flags)) is not _DONE:
        yield item


def run_pipeline(
    source: Iterable[T],
    transform: Callable[[T], U] | Streamed[T, U],
    sink: Callable[[U], bool | None],
    *,
    channel: Channel = "queue",
    queue_size: int = 4,
    queue_bytes: int = 256 * 2**20,
    stop: threading.Event | None = None,
    on_idle: Callable[[], bool] | None = None,
) -> PipelineResult:
    """Run until the source ends, a stage fails, or the run is stopped.

    `sink` returns False to end the run (None or True go on). A "queue" channel holds at most
    `queue_size` items and `queue_bytes` of them (by their `nbytes`; one item always fits). `on_idle` is called on the
    caller's thread whenever no item arrived within a poll (a window handling its keys);
    it returns False to end the run.
    """
    flags = _Flags(stop)
    errors: list[BaseException] = []
    channels = [_BoundedQueue(queue_size, queue_bytes) if channel == "queue" else _Mailbox() for _ in range(2)]
    produced = 0

    def guard(body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except Stopped:
                pass
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
                flags.halt.set()

        return run

    def produce() -> None:
        nonlocal produced
        for item in source:
            channels[0].put(item, flags)
            produced += 1
        channels[0].close(flags)

    def work() -> None:
        if isinstance(transform, Streamed):
            for result in transform.run(cast(Iterator[T], _items(channels[0], flags))):
                channels[1].put(result, flags)
        else:
            for item in _items(channels[0], flags):
                channels[1].put(transform(cast(T, item)), flags)
        channels[1].close(flags)

    threads = [
        threading.Thread(target=guard(body), name=f"vidstyle-{name}", daemon=True)
        for name, body in (("source", produce), ("transform", work))
    ]
    for thread in threads:
        thread.start()
    delivered, ended_early = 0, False
    try:
        while not flags.is_set():
            item = channels[1].get(_POLL_SECONDS)
            if item is _DONE:
                break
            if item is _EMPTY:
                ended_early = on_idle is not None and on_idle() is False
            else:
                delivered += 1
                ended_early = sink(cast(U, item)) is False
            if ended_early:
                break
    finally:
        flags.halt.set()
        for thread in threads:
            thread.join(timeout=5.0)
    if errors:
        raise errors[0]
    dropped = sum(c.dropped for c in channels)
    return PipelineResult(
        produced=produced, delivered=delivered, dropped=dropped, stopped=ended_early or flags.stop.is_set()
    )
