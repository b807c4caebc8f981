"""`serve --source`: one live loop on the server's clip, its frames to every subscribed viewer,
and a stop that ends its thread at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

pytest.importorskip("aiortc")

from clips import make_clip  # noqa: E402
from vidstyle.live.styles import load_styles  # noqa: E402
from vidstyle.media.capture import open_source  # noqa: E402
from vidstyle.serve.peers import LatestTrack, SharedStage  # noqa: E402
from vidstyle.serve.source import SourceLoop  # noqa: E402


def test_a_subscriber_gets_both_tracks_and_a_stop_joins_the_thread(tiny_model: Path, tmp_path: Path) -> None:
    clip = str(make_clip(tmp_path / "clip.mp4", frames=24, rate=12))
    shared = SharedStage(load_styles([tiny_model], device="cpu", max_side=32))
    source = SourceLoop(clip, open_source(clip, realtime=True), shared)

    async def scenario() -> tuple[tuple[int, ...], tuple[int, ...], float]:
        camera, output = LatestTrack(asyncio.get_running_loop()), LatestTrack(asyncio.get_running_loop())
        subscription = source.subscribe(camera, output)
        source.start()
        seen = await asyncio.wait_for(camera.recv(), timeout=20)
        stylized = await asyncio.wait_for(output.recv(), timeout=20)
        subscription.close()
        source.close()
        started = time.monotonic()
        await asyncio.to_thread(source.join, 5.0)
        return (
            seen.to_ndarray(format="rgb24").shape,
            stylized.to_ndarray(format="rgb24").shape,
            time.monotonic() - started,
        )

    camera_shape, output_shape, joined_in = asyncio.run(scenario())
    assert camera_shape == output_shape == (48, 64, 3)
    assert joined_in < 1.0
    assert not source._thread.is_alive()
    assert source.error is None  # stopped, not failed or ended


def test_joining_a_source_that_never_started_returns(tiny_model: Path, tmp_path: Path) -> None:
    """A server stopped before its startup ran: nothing to join, nothing raised."""
    clip = str(make_clip(tmp_path / "clip.mp4", frames=2))
    source = SourceLoop(
        clip, open_source(clip, realtime=True), SharedStage(load_styles([tiny_model], device="cpu", max_side=32))
    )
    source.close()
    source.join(1.0)
