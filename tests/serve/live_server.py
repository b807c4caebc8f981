"""A real `vidstyle serve` in a child process, raw HTTP to it, and a real aiortc viewer.

The viewer is what the page does, in Python: one offer with every candidate, then the answer;
it sends a moving picture as its camera, or (with --source) receives the server's two tracks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from clips import frame_pixels

URL_WAIT_SECONDS = 120.0  # the child loads torch and the model before it prints its URL


@dataclass
class Server:
    url: str  # as printed: http://HOST:PORT/ (and ?token=... off loopback)
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)  # stderr lines so far

    @property
    def address(self) -> tuple[str, int]:
        host_port = self.url.split("://", 1)[1].split("/", 1)[0]
        host, _, port = host_port.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def host(self) -> str:
        """What a browser that opened the printed URL sends as Host."""
        return self.url.split("://", 1)[1].split("/", 1)[0]

    @property
    def origin(self) -> str:
        return self.url.split("/?", 1)[0].rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        connection = http.client.HTTPConnection(*self.address, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read(), response
        finally:
            connection.close()

    def lines_after(self, count: int, *, settle: float = 0.3) -> list[str]:
        """The stderr lines logged after the first `count`, once the log has been quiet a moment."""
        time.sleep(settle)
        return self.log[count:]


@contextlib.contextmanager
def serve_process(model: Path, *args: str) -> Iterator[Server]:
    """`vidstyle serve` on a free loopback port, with the small model on the CPU."""
    command = [
        sys.executable,
        "-m",
        "vidstyle",
        "serve",
        "--port",
        "0",
        "--model",
        str(model),
        "--device",
        "cpu",
        "--max-side",
        "64",
        *args,
    ]
    # One torch thread: the machine's cores are shared with the viewer in this process.
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    # A runner started in the background hands its children SIGINT ignored; a terminal does not.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    urls: queue.Queue[str] = queue.Queue()
    server = Server("", process)

    def drain(stream: Any, into: Any) -> None:
        for line in stream:
            into(line.rstrip("\n"))
        into("")

    threading.Thread(target=drain, args=(process.stdout, urls.put), daemon=True).start()
    threading.Thread(target=drain, args=(process.stderr, server.log.append), daemon=True).start()
    try:
        try:
            line = urls.get(timeout=URL_WAIT_SECONDS)
        except queue.Empty:
            line = ""
        if "open " not in line:
            raise RuntimeError(f"vidstyle serve printed no URL: {server.log[-5:]}")
        server.url = line.split("open ", 1)[1].strip()
        yield server
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


class MovingPicture(MediaStreamTrack):
    """A camera for the viewer: clips.frame_pixels at 15 fps."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.index = 0

    async def recv(self) -> av.VideoFrame:
        await asyncio.sleep(1 / 15)
        frame = av.VideoFrame.from_ndarray(frame_pixels(self.index, 64, 48), format="rgb24")
        frame.pts, frame.time_base = self.index * 6000, fractions.Fraction(1, 90000)
        self.index += 1
        return frame


def json_headers(server: Server, **extra: str) -> dict[str, str]:
    """What the page's own fetch sends: its Host, its Origin, JSON."""
    return {"Host": server.host, "Origin": server.origin, "Content-Type": "application/json", **extra}


@dataclass
class Viewer:
    pc: RTCPeerConnection
    frames: list[float] = field(default_factory=list)  # when each frame came back
    viewer_id: str = ""

    async def wait_frames(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.frames) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return len(self.frames) >= count

    async def wait_state(self, states: tuple[str, ...], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState not in states and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.pc.connectionState in states


async def make_offer(*, camera: bool) -> RTCPeerConnection:
    """A peer with its offer set: a camera to send, or the two tracks of a --source server to receive."""
    pc = RTCPeerConnection()
    if camera:
        pc.addTrack(MovingPicture())
    else:
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate here
    return pc


def offer_body(pc: RTCPeerConnection, **fields: Any) -> bytes:
    return json.dumps({"sdp": pc.localDescription.sdp, "type": "offer", "width": 64, "height": 48, **fields}).encode()


async def connect(server: Server, *, camera: bool) -> Viewer:
    """A viewer that has posted its offer and set the answer: ICE and DTLS then run on their own."""
    pc = await make_offer(camera=camera)
    viewer = Viewer(pc)

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        async def receive() -> None:
            with contextlib.suppress(Exception):  # the track ends when either side closes
                while True:
                    await track.recv()
                    viewer.frames.append(time.monotonic())

        asyncio.ensure_future(receive())

    status, body, _ = await asyncio.to_thread(server.request, "POST", "/offer", offer_body(pc), json_headers(server))
    assert status == 200, body
    answer = json.loads(body)
    viewer.viewer_id = answer["viewer"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    return viewer


def open_viewers(server: Server) -> int:
    status, body, _ = server.request("GET", "/info", headers={"Host": server.host})
    assert status == 200, body
    return int(json.loads(body)["viewers"])
