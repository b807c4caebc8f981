"""Frames between aiortc tracks and the live loop: a viewer's loop stops and is joined, and a
frame handed over after the server's event loop has closed is dropped, not an exception."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("aiortc")

from clips import frame_pixels  # noqa: E402
from vidstyle.frames import Frame  # noqa: E402
from vidstyle.live.styles import load_styles  # noqa: E402
from vidstyle.serve.peers import LatestTrack, SharedStage, ViewerLoop  # noqa: E402


@pytest.fixture(scope="module")
def shared(tiny_model: Path) -> SharedStage:
    return SharedStage(load_styles([tiny_model], device="cpu", max_side=32))


def test_a_frame_offered_after_the_event_loop_closed_is_dropped() -> None:
    """The source's thread may hand over one more frame while the server stops."""
    loop = asyncio.new_event_loop()
    track = LatestTrack(loop)
    loop.close()
    errors: list[BaseException] = []

    def late() -> None:
        try:
            track.offer(frame_pixels(0, 64, 48))
        except BaseException as exc:  # noqa: BLE001 - what the thread would have died of
            errors.append(exc)

    thread = threading.Thread(target=late)
    thread.start()
    thread.join()
    assert errors == []


def test_a_viewer_loop_stylizes_then_stops_and_is_joined(shared: SharedStage) -> None:
    async def scenario() -> tuple[tuple[int, ...], float, list[str | None]]:
        output = LatestTrack(asyncio.get_running_loop())
        endings: list[str | None] = []
        viewer = ViewerLoop(shared, output, max_frame_side=640, on_end=endings.append)
        viewer.pixels.put(frame_pixels(0, 64, 48))
        frame = await asyncio.wait_for(output.recv(), timeout=20)
        viewer.close()
        started = time.monotonic()
        await asyncio.to_thread(viewer.join, 5.0)
        assert not viewer._thread.is_alive()
        return frame.to_ndarray(format="rgb24").shape, time.monotonic() - started, endings

    shape, joined_in, endings = asyncio.run(scenario())
    assert shape == (48, 64, 3)
    assert joined_in < 1.0
    assert endings == [None]  # ended without an error


def test_readouts_count_the_frames(shared: SharedStage) -> None:
    async def scenario() -> dict[str, float | int | str | None]:
        output = LatestTrack(asyncio.get_running_loop())
        viewer = ViewerLoop(shared, output, max_frame_side=640, on_end=lambda error: None)
        for index in range(3):
            viewer.pixels.put(frame_pixels(index, 64, 48))
            await asyncio.wait_for(output.recv(), timeout=20)
        viewer.close()
        await asyncio.to_thread(viewer.join, 5.0)
        return viewer.readouts()

    readouts = asyncio.run(scenario())
    assert readouts["frames"] == 3 and readouts["error"] is None
    assert isinstance(readouts["server_ms"], float) and np.isfinite(readouts["server_ms"])


def test_the_shared_stage_lets_one_viewer_s_frame_through_at_a_time(tiny_model: Path) -> None:
    """Every viewer's loop calls the one SharedStage from its own thread; the model inside sees
    one frame at a time, and each viewer gets its own frame back, stylized."""
    switcher = load_styles([tiny_model], device="cpu", max_side=32)
    inside, most = 0, 0

    def counted(frame: Frame) -> Frame:  # the real style list, with a count of frames inside it
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        time.sleep(0.01)  # long enough for the other threads to arrive while one is inside
        try:
            return switcher(frame)
        finally:
            inside -= 1

    shared = SharedStage(counted)
    results: dict[int, list[Frame]] = {viewer: [] for viewer in range(4)}

    def viewer(number: int) -> None:
        for index in range(3):
            pixels = frame_pixels(10 * number + index, 40, 30)
            results[number].append(shared(Frame(pixels=pixels, captured_seconds=0.0, index=index)))

    threads = [threading.Thread(target=viewer, args=(number,)) for number in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most == 1
    for number, frames in results.items():
        assert [frame.index for frame in frames] == [0, 1, 2]
        assert all(frame.stylized is not None and frame.stylized.shape == (30, 40, 3) for frame in frames)
        sent = [frame_pixels(10 * number + i, 40, 30) for i in range(3)]
        assert all((frame.pixels == pixels).all() for frame, pixels in zip(frames, sent, strict=True))
    assert shared.model_ms > 0
