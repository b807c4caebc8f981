"""`vidstyle serve` stops on SIGINT and SIGTERM with viewers connected: quickly, peers closed,
threads joined, and with the exit status every other command gives."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

pytest.importorskip("aiortc")

from clips import make_clip  # noqa: E402
from live_server import connect, serve_process  # noqa: E402

STOP_SECONDS = 2.0  # what a service manager or a Ctrl-C may expect


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("source") / "source.mp4", frames=36, rate=12)


@pytest.mark.parametrize(
    ("signum", "source"),
    [(signal.SIGTERM, True), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["sigterm-source", "sigint-source", "sigterm-browser-camera"],
)
def test_a_signal_with_a_viewer_connected_stops_the_server(
    tiny_model: Path, clip: Path, signum: signal.Signals, source: bool
) -> None:
    with serve_process(tiny_model, *(["--source", str(clip)] if source else [])) as server:

        async def scenario() -> tuple[float, bool]:
            viewer = await connect(server, camera=not source)
            assert await viewer.wait_frames(5, timeout=30), f"no frames came back: {server.log}"
            server.process.send_signal(signum)
            sent = time.monotonic()
            while server.process.poll() is None and time.monotonic() - sent < STOP_SECONDS + 3:
                await asyncio.sleep(0.02)
            took = time.monotonic() - sent
            # The server closed the peer (DTLS close_notify) rather than vanishing: the viewer
            # learns at once, not after ICE consent runs out half a minute later.
            closed = await viewer.wait_state(("closed", "failed"), timeout=1.0)
            await viewer.pc.close()
            return took, closed

        took, closed = asyncio.run(scenario())
        code = server.process.wait(timeout=10)
        log = "\n".join(server.lines_after(0, settle=0.2))
    assert took < STOP_SECONDS, f"took {took:.2f} s to stop\n{log}"
    assert code == 128 + signum, log
    assert log.splitlines()[-1] == f"vidstyle serve: {'terminated' if signum == signal.SIGTERM else 'interrupted'}", log
    assert "Traceback" not in log and "terminate called" not in log and "Exception" not in log, log
    assert "left; 0 open" in log  # the viewer was dropped by the server, not just cut off
    assert closed, "the viewer's connection was still open after the server stopped"
