"""serve(): load the model once, bind, print the URL to open, run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import sys
import threading
from pathlib import Path
from typing import Any

from aiohttp import web

from ..errors import VidstyleError
from ..live.stage import Stage
from ..live.styles import StyleSwitcher, load_styles
from ..media.capture import is_file_source, open_source
from ..stylemix import StyleChoice
from .app import LINGER_SECONDS, STOP_SECONDS, ServeLimits, build_app
from .guard import Guard, needs_token, new_token
from .jitter import use_marker_jitter_buffer
from .peers import SharedStage
from .source import SourceLoop

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Closing the site and the requests still running, on top of the viewers' STOP_SECONDS: a stop
# takes under 2 s, as a service manager or a Ctrl-C expects.
STOP_MARGIN_SECONDS = 0.5


def check_tls(certfile: str | os.PathLike[str] | None, keyfile: str | os.PathLike[str] | None) -> ssl.SSLContext | None:
    """HTTPS from a certificate and key; both or neither. Fails with one line before any model loads."""
    if certfile is None and keyfile is None:
        return None
    if certfile is None or keyfile is None:
        raise VidstyleError("--certfile and --keyfile go together")
    for path in (certfile, keyfile):
        if not Path(path).is_file():
            raise VidstyleError(f"no such file: {path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise VidstyleError(f"cannot use {certfile} with {keyfile}: {exc}") from None
    return context


def check_source(source: str) -> None:
    """A source that cannot be read fails here with one line, before the model loads: a file is
    probed, a camera or stream must give one frame (it is opened again when the server starts)."""
    frames = open_source(source, realtime=True)
    if is_file_source(source):
        return
    stop = threading.Event()
    first = frames(stop)
    if next(first, None) is None:
        raise VidstyleError(f"camera source {source!r} opened but gave no frame")
    stop.set()
    for _ in first:  # with `stop` set this ends at once, and the camera is released
        pass


def page_url(*, scheme: str, host: str, port: int, token: str | None) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"{scheme}://{shown}:{port}/" + (f"?token={token}" if token else "")


def load_served_model(
    model: str | os.PathLike[str] | None,
    *,
    backend: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    max_side: int | None = 480,
    choice: StyleChoice = StyleChoice(),
) -> tuple[StyleSwitcher, dict[str, Any]]:
    """The one backend all viewers share, and what /info tells the page about it."""
    switcher = load_styles(
        [model], backend=backend, device=device, precision=precision, max_side=max_side, choice=choice
    )
    name = switcher.stylizers[0].backend.name
    # The model's style names (several for a multi-style model; the page's style selector hook reads them).
    names = list(switcher.stylizers[0].backend.style_names)
    model_name = Path(str(model)).stem if model is not None else switcher.names[0]
    info = {
        "model": model_name,
        "backend": name,
        "device": str(switcher.stylizers[0].ctx.device),
        "precision": precision,
        "max_side": max_side,
        "styles": names,
    }
    return switcher, info


def serve(
    stage: Stage,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    limits: ServeLimits = ServeLimits(),
    tls: ssl.SSLContext | None = None,
    info: dict[str, Any] | None = None,
    source: str | None = None,
) -> None:
    """Serve the page until SIGINT (Ctrl-C) or SIGTERM. A non-loopback host gets a fresh token,
    printed once in the URL. `stage` (load_served_model's, or any Stage) stylizes every
    viewer's frames, one frame at a time.

    With `source` (a camera index, device, URL or file on the server) every viewer watches
    that source instead of sending a webcam. On a signal the peers are closed and the threads
    joined, then the signal goes on to the handler that was there before (the CLI's raises
    KeyboardInterrupt or Terminated, and exits 130 or 143 as every command does).
    """
    token = new_token() if needs_token(host) else None
    use_marker_jitter_buffer()  # a browser frame goes on when its last packet is in, not a frame later
    shared = SharedStage(stage)
    loop = SourceLoop(source, open_source(source, realtime=True), shared) if source is not None else None
    guard = Guard(bind_host=host, scheme="https" if tls else "http", token=token)
    app = build_app(shared, info or {}, guard=guard, limits=limits, source=loop)
    # Python runs signal handlers on the main thread only; a caller's thread keeps its own.
    on_main = threading.current_thread() is threading.main_thread()
    before = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS} if on_main else {}
    watched = [signum for signum, handler in before.items() if handler is not signal.SIG_IGN]
    try:
        signum = asyncio.run(_run(app, host=host, port=port, tls=tls, token=token, signals=watched))
    finally:
        for each, handler in before.items():
            signal.signal(each, handler)  # the event loop put the defaults back as it closed
    handler = before[signum]
    if callable(handler):
        handler(signum, None)
    else:
        signal.raise_signal(signum)  # the default action: end as the signal would have


async def _run(
    app: web.Application,
    *,
    host: str,
    port: int,
    tls: ssl.SSLContext | None,
    token: str | None,
    signals: list[signal.Signals],
) -> signal.Signals:
    """Serve until one of `signals`; returns it once the server has stopped."""
    event_loop = asyncio.get_running_loop()
    stopped: asyncio.Future[signal.Signals] = event_loop.create_future()

    def on_signal(signum: signal.Signals) -> None:
        if not stopped.done():
            stopped.set_result(signum)

    for signum in signals:
        # In the loop, not in a Python handler: an exception raised wherever the loop happens to
        # be would skip closing the peers and leave their threads running.
        event_loop.add_signal_handler(signum, on_signal, signum)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=STOP_MARGIN_SECONDS / 2, lingering_time=LINGER_SECONDS
    )
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port, ssl_context=tls).start()
        except OSError as exc:
            raise VidstyleError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        bound_port = runner.addresses[0][1]
        url = page_url(scheme="https" if tls else "http", host=host, port=bound_port, token=token)
        # Printed once, like Jupyter: the token is in this URL and nowhere else.
        print(f"vidstyle serve: open {url}", flush=True)
        if tls is None and needs_token(host):
            print(
                "vidstyle serve: browsers allow the camera only on https or localhost: use --certfile/--keyfile, "
                "or an SSH tunnel to 127.0.0.1",
                file=sys.stderr,
                flush=True,
            )
        return await stopped  # off the main thread, no signal ends it: the caller's thread does
    finally:
        try:
            await asyncio.wait_for(runner.cleanup(), STOP_SECONDS + STOP_MARGIN_SECONDS)
        except asyncio.TimeoutError:
            pass  # what is still open goes with the process
