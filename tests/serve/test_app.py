"""The web server of `vidstyle serve`, in a child process, from outside: who may talk to it,
what an offer may hold, and how long a stranger can hold a slot or a connection."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("aiortc")

from live_server import Server, connect, json_headers, make_offer, offer_body, open_viewers, serve_process  # noqa: E402
from vidstyle.serve.app import BODY_SECONDS, LINGER_SECONDS, ServeLimits  # noqa: E402


@pytest.fixture(scope="module")
def server(tiny_model: Path) -> Iterator[Server]:
    """One viewer at most, so a slot held by anyone shows as a 503."""
    with serve_process(tiny_model, "--max-viewers", "1") as running:
        yield running


@pytest.fixture
def sdp_offer() -> bytes:
    """A real offer from aiortc, as a browser's page would send it."""

    async def offer() -> bytes:
        pc = await make_offer(camera=True)
        body = offer_body(pc)
        await pc.close()
        return body

    return asyncio.run(offer())


def wait_until_empty(server: Server, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while open_viewers(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    return open_viewers(server) == 0


def test_a_real_viewer_gets_its_camera_back_stylized(server: Server) -> None:
    async def scenario() -> bool:
        viewer = await connect(server, camera=True)
        got = await viewer.wait_frames(10, timeout=30)
        await viewer.pc.close()
        return got

    assert asyncio.run(scenario()), server.log
    assert wait_until_empty(server, 5)


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:{port}",
        "attacker.example",
        "127.0.0.1:{other}",
        "127.0.0.2:{port}",
        "localhost.:{port}",
        "",
        "127.0.0.1:{port}:1",
    ],
)
def test_a_host_that_is_not_the_server_is_refused(server: Server, sdp_offer: bytes, host: str) -> None:
    """DNS rebinding: a page on attacker.example that now resolves to 127.0.0.1 sends its own name as Host."""
    port = server.address[1]
    named = host.format(port=port, other=port + 1)
    for method, path, body in (("GET", "/", None), ("GET", "/info", None), ("POST", "/offer", sdp_offer)):
        status, text, _ = server.request(
            method, path, body, {"Host": named, "Origin": f"http://{named}", "Content-Type": "application/json"}
        )
        assert status == 403, (method, path, text)
        assert b"Host" in text
    assert open_viewers(server) == 0


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "[::1]"])
def test_the_loopback_names_with_the_port_are_the_server(server: Server, name: str) -> None:
    host = f"{name}:{server.address[1]}"
    status, text, _ = server.request("GET", "/info", headers={"Host": host, "Origin": f"http://{host}"})
    assert status == 200, text


@pytest.mark.parametrize(
    "origin",
    [
        "http://attacker.example",
        "http://attacker.example:{port}",
        "null",
        "https://127.0.0.1:{port}",
        "http://localhost:{port}",
        "http://127.0.0.1:{other}",
        "http://127.0.0.1:{port}/x",
    ],
)
def test_a_request_from_another_page_is_refused(server: Server, sdp_offer: bytes, origin: str) -> None:
    """A page elsewhere posting to the server's real address: the browser names that page in Origin."""
    port = server.address[1]
    headers = json_headers(server, Origin=origin.format(port=port, other=port + 1))
    for method, path, body in (
        ("GET", "/info", None),
        ("POST", "/offer", sdp_offer),
        ("POST", "/close?viewer=x", None),
    ):
        status, text, _ = server.request(method, path, body, headers)
        assert status == 403, (method, path, text)
        assert b"Origin" in text
    assert open_viewers(server) == 0


def test_the_pages_own_origin_and_no_origin_are_accepted(server: Server) -> None:
    for headers in ({"Host": server.host, "Origin": server.origin}, {"Host": server.host}):
        status, text, _ = server.request("GET", "/info", headers=headers)
        assert status == 200, (headers, text)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_an_offer_must_be_sent_as_json(server: Server, sdp_offer: bytes, content_type: str | None) -> None:
    """What a form on another site can post without a CORS preflight."""
    headers = {"Host": server.host, **({"Content-Type": content_type} if content_type else {})}
    status, text, _ = server.request("POST", "/offer", sdp_offer, headers)
    assert status == 415, text
    assert "application/json" in json.loads(text)["error"]
    assert open_viewers(server) == 0


BAD_BODIES = {
    "width 1e400": b'{"sdp":"x","type":"offer","width":1e400}',
    "width Infinity": b'{"sdp":"x","type":"offer","width":Infinity}',
    "width NaN": b'{"sdp":"x","type":"offer","width":NaN}',
    "30000 nested": b"[" * 30000,
    "nested in a field": b'{"sdp":"x","type":"offer","width":[[1]]}',
    "a huge integer": b'{"sdp":"x","type":"offer","width":' + b"9" * 5000 + b"}",
    "width 1.5": b'{"sdp":"x","type":"offer","width":1.5}',
    "width true": b'{"sdp":"x","type":"offer","width":true}',
    "width -1": b'{"sdp":"x","type":"offer","width":-1}',
    "sdp a number": b'{"sdp":5,"type":"offer"}',
    "no sdp": b'{"type":"offer"}',
    "an answer": b'{"sdp":"v=0","type":"answer"}',
    "unknown field": b'{"sdp":"v=0","type":"offer","x":1}',
    "a list": b"[]",
    "not JSON": b"{",
    "not UTF-8": b'{"sdp":"\xff","type":"offer"}',
    "no video": b'{"sdp":"v=0\\r\\n","type":"offer"}',
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_bad_offer_is_a_400_with_one_line_in_the_log(server: Server, body: bytes) -> None:
    before = len(server.log)
    status, text, _ = server.request("POST", "/offer", body, json_headers(server))
    assert status == 400, text
    message = json.loads(text)["error"]
    logged = server.lines_after(before)
    assert len(logged) == 1 and "refused an offer (400)" in logged[0] and message in logged[0], logged
    assert server.process.poll() is None


def test_an_sdp_without_a_direction_says_so(server: Server, sdp_offer: bytes) -> None:
    """aiortc's own words for it were "None is not in list"."""
    body = json.loads(sdp_offer)
    body["sdp"] = "\r\n".join(line for line in body["sdp"].split("\r\n") if line != "a=sendrecv")
    status, text, _ = server.request("POST", "/offer", json.dumps(body).encode(), json_headers(server))
    assert status == 400, text
    assert "has no direction (a=sendrecv" in json.loads(text)["error"]


def test_an_offer_that_never_connects_gives_its_slot_back(server: Server) -> None:
    """A stranger's offer passes every check but never completes ICE: it may not keep the only slot."""

    async def scenario() -> tuple[int, int, bool]:
        pc = await make_offer(camera=True)  # posted, but the answer is never set: ICE never starts here
        status, text, _ = await asyncio.to_thread(
            server.request, "POST", "/offer", offer_body(pc), json_headers(server)
        )
        assert status == 200, text
        held = await asyncio.to_thread(open_viewers, server)
        full, _, _ = await asyncio.to_thread(server.request, "POST", "/offer", offer_body(pc), json_headers(server))
        freed = await asyncio.to_thread(wait_until_empty, server, ServeLimits().connect_seconds + 3)
        await pc.close()
        return held, full, freed

    held, full, freed = asyncio.run(scenario())
    assert (held, full) == (1, 503)
    assert freed, "the slot was still held"
    assert any("did not connect within" in line for line in server.log)
    test_a_real_viewer_gets_its_camera_back_stylized(server)  # and a real viewer gets the slot


def test_a_body_that_never_arrives_is_timed_out(server: Server) -> None:
    """A half-open POST: headers, a promised length, and a few bytes of it."""
    with socket.create_connection(server.address, timeout=BODY_SECONDS + LINGER_SECONDS + 3) as stranger:
        head = (
            f"POST /offer HTTP/1.1\r\nHost: {server.host}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        stranger.sendall(head.encode() + b'{"sdp":')
        started = time.monotonic()
        answer = stranger.recv(4096)
        answered = time.monotonic() - started
        while stranger.recv(4096):  # until the server closes the connection
            pass
        closed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert answered < BODY_SECONDS + 1
    assert closed < BODY_SECONDS + LINGER_SECONDS + 1


def test_the_token_cookie_is_named_by_port(tiny_model: Path) -> None:
    """Cookies ignore ports: two servers on one host must not overwrite each other's token."""
    with serve_process(tiny_model, "--host", "127.0.0.2") as server:
        port, token = server.address[1], server.url.split("token=", 1)[1]
        status, _, response = server.request("GET", f"/?token={token}", headers={"Host": server.host})
        assert status == 200
        cookie = response.getheader("Set-Cookie") or ""
        assert cookie.startswith(f"vidstyle_token_{port}={token};"), cookie
        ok, _, _ = server.request(
            "GET", "/info", headers={"Host": server.host, "Cookie": f"vidstyle_token_{port}={token}"}
        )
        other, _, _ = server.request(
            "GET", "/info", headers={"Host": server.host, "Cookie": f"vidstyle_token_{port + 1}={token}"}
        )
        unnamed, _, _ = server.request(
            "GET", "/info", headers={"Host": server.host, "Cookie": f"vidstyle_token={token}"}
        )
    assert (ok, other, unnamed) == (200, 403, 403)
