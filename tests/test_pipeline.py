"""run_pipeline: order and back pressure with a queue, newest-wins with a mailbox, errors and stops."""

import threading
import time

import pytest

from vidstyle.pipeline import Streamed, run_pipeline


def test_queue_delivers_everything_in_order() -> None:
    got: list[int] = []
    result = run_pipeline(range(50), lambda x: x * 2, got.append, channel="queue", queue_size=2)
    assert got == [2 * i for i in range(50)]
    assert (result.produced, result.delivered, result.dropped, result.stopped) == (50, 50, 0, False)


def test_latest_drops_stale_items_behind_a_slow_transform() -> None:
    def slow(x: int) -> int:
        time.sleep(0.02)
        return x

    def paced():  # type: ignore[no-untyped-def]
        for i in range(60):
            time.sleep(0.002)
            yield i

    got: list[int] = []
    result = run_pipeline(paced(), slow, got.append, channel="latest")
    assert result.produced == 60 and result.dropped > 20
    assert result.delivered == len(got) == 60 - result.dropped
    assert got == sorted(got) and got[-1] == 59  # the newest item always gets through


def test_first_error_is_raised_in_the_caller() -> None:
    def fail(x: int) -> int:
        if x == 3:
            raise ValueError("bad item 3")
        return x

    with pytest.raises(ValueError, match="bad item 3"):
        run_pipeline(range(1000), fail, lambda _: None)


def test_callers_stop_event_ends_the_run_normally() -> None:
    stop = threading.Event()
    got: list[int] = []

    def sink(x: int) -> None:
        got.append(x)
        if len(got) == 5:
            stop.set()

    result = run_pipeline(iter(range(10_000)), lambda x: x, sink, stop=stop)
    assert result.stopped and 5 <= result.delivered < 10_000
    assert stop.is_set()  # the caller's event is read, never cleared


def test_sink_or_idle_returning_false_ends_the_run() -> None:
    result = run_pipeline(range(100), lambda x: x, lambda x: x < 3)
    assert result.stopped and result.delivered == 4

    def silent():  # type: ignore[no-untyped-def]
        time.sleep(0.5)  # a camera that delivers nothing for a while
        yield 0

    calls: list[int] = []
    started = time.perf_counter()
    result = run_pipeline(silent(), lambda x: x, lambda _: None, on_idle=lambda: calls.append(1) or len(calls) < 3)
    assert result.stopped and result.delivered == 0 and len(calls) == 3
    assert time.perf_counter() - started < 2.0


def test_queue_is_bounded_in_bytes_not_only_items() -> None:
    """Large frames: however many items a queue may hold, it holds no more bytes than asked."""

    class Big:
        nbytes = 100 * 2**20  # claimed, not allocated: the queue only reads the number

    produced, delivered, most_in_flight = 0, 0, 0

    def source():  # type: ignore[no-untyped-def]
        nonlocal produced
        for _ in range(30):
            produced += 1
            yield Big()

    def sink(item: Big) -> None:
        nonlocal delivered, most_in_flight
        delivered += 1
        most_in_flight = max(most_in_flight, produced - delivered)
        time.sleep(0.01)

    run_pipeline(source(), lambda item: item, sink, channel="queue", queue_size=100, queue_bytes=250 * 2**20)
    # Two items per queue, one in the transform's hands and one in the source's.
    assert delivered == 30 and most_in_flight <= 6


def test_a_streamed_transform_may_hand_results_on_later() -> None:
    seen: list[str] = []

    def one_behind(items):  # type: ignore[no-untyped-def]
        held = None
        for item in items:
            seen.append(f"in {item}")
            if held is not None:
                yield held * 10
            held = item
        if held is not None:
            yield held * 10

    got: list[int] = []
    result = run_pipeline(range(5), Streamed(one_behind), got.append, queue_size=1)
    assert got == [0, 10, 20, 30, 40] and (result.produced, result.delivered) == (5, 5)
    assert seen == [f"in {i}" for i in range(5)]


def test_a_streamed_transforms_error_and_a_stop_end_the_run() -> None:
    def fails(items):  # type: ignore[no-untyped-def]
        for item in items:
            if item == 3:
                raise ValueError("bad item 3")
            yield item

    with pytest.raises(ValueError, match="bad item 3"):
        run_pipeline(range(100), Streamed(fails), lambda _: None)
    stop = threading.Event()
    result = run_pipeline(
        iter(range(10_000)),
        Streamed(lambda items: (i for i in items)),
        lambda x: stop.set() if x == 4 else None,
        stop=stop,
    )
    assert result.stopped and result.delivered < 10_000
