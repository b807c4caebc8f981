"""The web server of `vidstyle serve`: the page, WebRTC signalling and the limits.

Only the names in STATIC are ever read from disk: no path a client sends is opened. Who may
send requests at all is guard.py's; what an offer may hold is offer.py's.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .guard import Guard, guard_middleware
from .offer import MAX_OFFER_BYTES, OfferError, check_sdp, parse_offer
from .peers import LatestTrack, SharedStage, ViewerLoop
from .source import SourceLoop, Subscription

log = logging.getLogger("vidstyle")
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
REMEMBERED_ENDINGS = 32  # why recent viewers ended, for their pages' next /stats poll
BODY_SECONDS = 5.0  # an offer is a few kB: a body that has not all come by then is not coming
LINGER_SECONDS = 1.0  # how long the rest of a refused body is read (so the client sees the answer), then closed
STOP_SECONDS = 1.0  # on SIGINT/SIGTERM: the peers closed and the threads joined within this


@dataclass(frozen=True)
class ServeLimits:
    max_viewers: int = 4  # open peer connections; each holds a thread and one frame in flight
    max_frame_side: int = 1920  # pixels, the longer side of a frame a browser may send
    # A page connects within a second on a LAN or a tunnel; an offer whose ICE never completes
    # (a stranger's, or a page closed at once) gives its slot back after this.
    connect_seconds: float = 5.0


@dataclass
class Viewer:
    pc: RTCPeerConnection
    tracks: list[LatestTrack]
    loop: ViewerLoop | Subscription
    expiry: asyncio.TimerHandle | None = None  # frees the slot unless ICE connects first


class Viewers:
    """The open peer connections, each with its own live loop, all on one shared stage."""

    def __init__(self, stage: SharedStage, limits: ServeLimits, source: SourceLoop | None) -> None:
        self.stage = stage
        self.limits = limits
        self.source = source
        self.open: dict[str, Viewer] = {}
        self.endings: dict[str, str] = {}  # viewer id -> the error that ended it
        self._tasks: set[asyncio.Future[None]] = set()  # drops under way, held until done

    def _drop_soon(self, viewer_id: str) -> None:
        task = asyncio.ensure_future(self.drop(viewer_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def connect(self, offer: RTCSessionDescription) -> tuple[str, RTCSessionDescription]:
        # No ICE servers: host candidates are what loopback, a LAN and an SSH tunnel need.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        viewer_id = secrets.token_hex(8)
        event_loop = asyncio.get_running_loop()
        output = LatestTrack(event_loop)

        def ended(error: str | None) -> None:
            try:
                event_loop.call_soon_threadsafe(self._drop_soon, viewer_id)
            except RuntimeError:  # the loop has closed: the server has stopped and dropped every viewer
                pass

        if self.source is None:
            viewer = Viewer(
                pc, [output], ViewerLoop(self.stage, output, max_frame_side=self.limits.max_frame_side, on_end=ended)
            )
        else:
            # The server's camera: its own frames first, then the stylized ones (the page's two transceivers).
            camera = LatestTrack(event_loop)
            viewer = Viewer(pc, [camera, output], self.source.subscribe(camera, output))
        self.open[viewer_id] = viewer

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "video" and isinstance(viewer.loop, ViewerLoop):
                asyncio.ensure_future(viewer.loop.consume(track))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState == "connected" and viewer.expiry is not None:
                viewer.expiry.cancel()
            if pc.connectionState in ("failed", "closed"):
                await self.drop(viewer_id)

        try:
            await pc.setRemoteDescription(offer)
            for track in viewer.tracks:
                pc.addTrack(track)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await self.drop(viewer_id)
            raise
        viewer.expiry = event_loop.call_later(self.limits.connect_seconds, self._expire, viewer_id)
        return viewer_id, pc.localDescription

    def _expire(self, viewer_id: str) -> None:
        viewer = self.open.get(viewer_id)
        if viewer is not None and viewer.pc.connectionState != "connected":
            log.info("viewer %s did not connect within %g s", viewer_id, self.limits.connect_seconds)
            self._drop_soon(viewer_id)

    async def drop(self, viewer_id: str) -> None:
        viewer = self.open.pop(viewer_id, None)
        if viewer is not None:
            if viewer.expiry is not None:
                viewer.expiry.cancel()
            error = viewer.loop.readouts()["error"]
            if error:
                self.endings[viewer_id] = str(error)
                while len(self.endings) > REMEMBERED_ENDINGS:
                    del self.endings[next(iter(self.endings))]
            viewer.loop.close()
            for track in viewer.tracks:
                track.stop()
            await viewer.pc.close()
            log.info("viewer %s left; %d open", viewer_id, len(self.open))

    async def stop(self, seconds: float) -> None:
        """The server stops: the source stops offering frames, every peer closes (the pages see
        it at once), and every thread is joined, all within `seconds`."""
        deadline = time.monotonic() + seconds
        if self.source is not None:
            self.source.close()
        loops = [viewer.loop for viewer in self.open.values() if isinstance(viewer.loop, ViewerLoop)]
        closing = asyncio.gather(*(self.drop(viewer_id) for viewer_id in list(self.open)), return_exceptions=True)
        try:
            await asyncio.wait_for(closing, seconds)
        except asyncio.TimeoutError:
            log.info("the viewers' connections did not close within %g s", seconds)
        threads: list[ViewerLoop | SourceLoop] = [*loops, *([self.source] if self.source is not None else [])]
        await asyncio.to_thread(join_all, threads, deadline)


def join_all(threads: list[ViewerLoop | SourceLoop], deadline: float) -> None:
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def refuse_offer(status: int, message: str) -> web.Response:
    # One line in the server's log too: the page shows its copy, whoever runs the server reads this one.
    log.info("refused an offer (%d): %s", status, message)
    return refuse(status, message)


def build_app(
    stage: SharedStage, info: dict[str, Any], *, guard: Guard, limits: ServeLimits, source: SourceLoop | None = None
) -> web.Application:
    viewers = Viewers(stage, limits, source)

    async def page(request: web.Request) -> web.StreamResponse:
        return await static_file(request, "index.html")

    async def static(request: web.Request) -> web.StreamResponse:
        return await static_file(request, request.match_info["name"])

    async def static_file(request: web.Request, name: str) -> web.StreamResponse:
        if name not in STATIC:
            raise web.HTTPNotFound()
        body = (resources.files("vidstyle.serve") / "static" / name).read_bytes()
        return web.Response(body=body, content_type=STATIC[name], headers={"Cache-Control": "no-store"})

    async def get_info(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            info
            | {
                "source": "server" if source else "browser",
                "viewers": len(viewers.open),
                "max_viewers": limits.max_viewers,
                "max_frame_side": limits.max_frame_side,
            }
        )

    async def post_offer(request: web.Request) -> web.StreamResponse:
        # A form on another site can post text/plain without asking; JSON needs a CORS preflight it cannot pass.
        if request.content_type != "application/json":
            return refuse_offer(
                415, f"an offer is sent as Content-Type: application/json, not {request.content_type[:60]!r}"
            )
        if request.content_length is not None and request.content_length > MAX_OFFER_BYTES:
            return refuse_offer(413, f"the offer is over {MAX_OFFER_BYTES // 1024} kB")
        try:
            body = await asyncio.wait_for(request.read(), BODY_SECONDS)
            offer = parse_offer(body.decode())
        except asyncio.TimeoutError:
            return refuse_offer(408, f"the offer's body did not arrive within {BODY_SECONDS:g} s")
        except web.HTTPRequestEntityTooLarge:  # a chunked body, whose length comes only as it is read
            return refuse_offer(413, f"the offer is over {MAX_OFFER_BYTES // 1024} kB")
        except UnicodeDecodeError:
            return refuse_offer(400, "the offer is not UTF-8 text")
        except OfferError as exc:
            return refuse_offer(400, str(exc))
        width, height = offer.width, offer.height
        if max(width, height) > limits.max_frame_side:
            return refuse_offer(
                413,
                f"camera frames of {width}x{height} are larger than the server's limit of {limits.max_frame_side} "
                "pixels a side (--max-frame-side)",
            )
        try:
            check_sdp(offer.description.sdp)
        except OfferError as exc:
            return refuse_offer(400, str(exc))
        # Counted last, so only an offer that passed every check can take a slot.
        if len(viewers.open) >= limits.max_viewers:
            return refuse_offer(
                503, f"the server is full: {limits.max_viewers} viewers connected (--max-viewers); try again later"
            )
        try:
            viewer_id, answer = await viewers.connect(offer.description)
        except ValueError as exc:
            return refuse_offer(400, f"bad offer: {exc}")
        except Exception as exc:  # noqa: BLE001 - one line to the page and the log, no traceback
            log.error("a viewer could not connect: %s", exc)
            return refuse(500, f"cannot connect: {exc}")
        log.info("viewer %s connected; %d open", viewer_id, len(viewers.open))
        return web.json_response({"sdp": answer.sdp, "type": answer.type, "viewer": viewer_id})

    async def get_stats(request: web.Request) -> web.StreamResponse:
        viewer_id = request.query.get("viewer", "")
        viewer = viewers.open.get(viewer_id)
        if viewer is None:
            return refuse(404, viewers.endings.get(viewer_id, "no such viewer (the connection has closed)"))
        return web.json_response(viewer.loop.readouts())

    async def post_close(request: web.Request) -> web.StreamResponse:
        await viewers.drop(request.query.get("viewer", ""))
        return web.Response(status=204)

    async def on_startup(app: web.Application) -> None:
        if source is not None:
            source.start()

    async def on_shutdown(app: web.Application) -> None:
        await viewers.stop(STOP_SECONDS)

    app = web.Application(middlewares=[guard_middleware(guard)], client_max_size=MAX_OFFER_BYTES)
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/info", get_info)
    app.router.add_post("/offer", post_offer)
    app.router.add_get("/stats", get_stats)
    app.router.add_post("/close", post_close)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app
