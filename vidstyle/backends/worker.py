"""One long-lived thread per compiled net, which owns its compile and its CUDA graphs.

torch.compile's CUDA graphs ("reduce-overhead") are recorded per thread, so a compiled net
called from each run's own transform thread records them again for every file of a batch,
and a net compiled anew for each file compiles again too. Here the compiled net lives as
long as the model it was made from, and every call to it (the compile, the graph capture,
each replay) runs on the one worker thread that goes with it; callers hand it their calls
and wait for the answer.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

R = TypeVar("R")

_STOP = object()


class DeviceWorker:
    """A daemon thread that runs the calls handed to it, one at a time, in order."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=_serve, args=(self._calls,), name=name, daemon=True)
        self._thread.start()

    @property
    def ident(self) -> int | None:
        return self._thread.ident

    def call(self, fn: Callable[..., R], *args: Any) -> R:
        """Run fn(*args) on the worker thread; its result, or its exception, comes back here."""
        if threading.current_thread() is self._thread:  # a call made from inside a call
            return fn(*args)
        if not self._thread.is_alive():
            raise RuntimeError(f"{self._thread.name} has stopped")
        future: Future[R] = Future()
        self._calls.put((future, fn, args))
        return future.result()

    def stop(self) -> None:
        self._calls.put(_STOP)


def _serve(calls: queue.SimpleQueue[Any]) -> None:
    # A plain function holding only the queue, so that the worker object can be collected.
    while (item := calls.get()) is not _STOP:
        future, fn, args = item
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            future.set_exception(exc)


class SharedRunners:
    """Objects made once per (source object, key) and kept while the source lives.

    Keyed by the source object itself (weakly), so a model loaded once and stylizing many
    files (batch) reuses its compiled net; when the model is dropped its runners go with it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runners: weakref.WeakKeyDictionary[object, dict[tuple[object, ...], Any]] = weakref.WeakKeyDictionary()

    def get(self, source: object, key: tuple[object, ...], make: Callable[[], R], close: Callable[[R], None]) -> R:
        with self._lock:
            mine = self._runners.get(source)
            if mine is None:
                mine = self._runners[source] = {}
                weakref.finalize(source, _close_all, mine, close)
            if key not in mine:
                mine[key] = make()
            return mine[key]  # type: ignore[no-any-return]


def _close_all(runners: dict[tuple[object, ...], Any], close: Callable[[Any], None]) -> None:
    for runner in runners.values():
        close(runner)
    runners.clear()
