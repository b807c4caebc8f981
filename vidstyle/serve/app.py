"""The web server of `vidstyle serve`: the page, WebRTC signalling, the token and the limits.

Only the names in STATIC are ever read from disk: no path a client sends is opened.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .peers import LatestTrack, SharedStylizer, ViewerLoop
from .source import SourceLoop, Subscription

log = logging.getLogger("vidstyle")
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
TOKEN_COOKIE = "vidstyle_token"
TOKEN_HEADER = "X-Vidstyle-Token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_OFFER_BYTES = 64 * 1024  # an SDP offer is a few kB; anything far larger is not one
REMEMBERED_ENDINGS = 32  # why recent viewers ended, for their pages' next /stats poll


@dataclass(frozen=True)
class ServeLimits:
    max_viewers: int = 4  # open peer connections; each holds a thread and one frame in flight
    max_frame_side: int = 1920  # pixels, the longer side of a frame a browser may send


def needs_token(host: str) -> bool:
    return host not in LOOPBACK_HOSTS


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_matches(given: str | None, token: str) -> bool:
    # compare_digest takes the same time wherever the strings differ: no timing oracle.
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


@dataclass
class Viewer:
    pc: RTCPeerConnection
    tracks: list[LatestTrack]
    loop: ViewerLoop | Subscription


class Viewers:
    """The open peer connections, each with its own live loop, all on one shared stylizer."""

    def __init__(self, stylizer: SharedStylizer, limits: ServeLimits, source: SourceLoop | None) -> None:
        self.stylizer = stylizer
        self.limits = limits
        self.source = source
        self.open: dict[str, Viewer] = {}
        self.endings: dict[str, str] = {}  # viewer id -> the error that ended it

    async def connect(self, offer: RTCSessionDescription) -> tuple[str, RTCSessionDescription]:
        # No ICE servers: host candidates are what loopback, a LAN and an SSH tunnel need.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        viewer_id = secrets.token_hex(8)
        event_loop = asyncio.get_running_loop()
        output = LatestTrack(event_loop)

        def ended(error: str | None) -> None:
            event_loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self.drop(viewer_id)))

        if self.source is None:
            viewer = Viewer(pc, [output], ViewerLoop(self.stylizer, output, max_frame_side=self.limits.max_frame_side, on_end=ended))
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
        return viewer_id, pc.localDescription

    async def drop(self, viewer_id: str) -> None:
        viewer = self.open.pop(viewer_id, None)
        if viewer is not None:
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

    async def close_all(self) -> None:
        for viewer_id in list(self.open):
            await self.drop(viewer_id)


def refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def build_app(stylizer: SharedStylizer, info: dict[str, Any], *, token: str | None, limits: ServeLimits, source: SourceLoop | None = None) -> web.Application:
    viewers = Viewers(stylizer, limits, source)

    @web.middleware
    async def check_token(request: web.Request, handler: Any) -> web.StreamResponse:
        if token is None:
            return await handler(request)
        from_url = request.query.get("token")
        given = from_url or request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE)
        if not token_matches(given, token):
            return web.Response(status=403, text="403: missing or wrong token; open the URL that `vidstyle serve` printed\n")
        response = await handler(request)
        if from_url:
            # The page's own requests (script, style, signalling) then carry it without the URL.
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", secure=request.secure)
        return response

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
        return web.json_response(info | {"source": "server" if source else "browser", "viewers": len(viewers.open), "max_viewers": limits.max_viewers, "max_frame_side": limits.max_frame_side})

    async def post_offer(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_OFFER_BYTES:
            return refuse(413, "offer too large")
        try:
            body = json.loads(await request.text())
            offer = RTCSessionDescription(sdp=str(body["sdp"]), type=str(body["type"]))
            width, height = int(body.get("width", 0)), int(body.get("height", 0))
        except (ValueError, KeyError, TypeError):
            return refuse(400, "expected JSON with sdp, type, width and height")
        if len(viewers.open) >= limits.max_viewers:
            return refuse(503, f"the server is full: {limits.max_viewers} viewers connected (--max-viewers); try again later")
        if max(width, height) > limits.max_frame_side:
            return refuse(413, f"camera frames of {width}x{height} are larger than the server's limit of {limits.max_frame_side} pixels a side (--max-frame-side)")
        try:
            viewer_id, answer = await viewers.connect(offer)
        except ValueError as exc:
            return refuse(400, f"bad offer: {exc}")
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
        await viewers.close_all()
        if source is not None:
            source.close()

    app = web.Application(middlewares=[check_token], client_max_size=MAX_OFFER_BYTES)
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/info", get_info)
    app.router.add_post("/offer", post_offer)
    app.router.add_get("/stats", get_stats)
    app.router.add_post("/close", post_close)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app
