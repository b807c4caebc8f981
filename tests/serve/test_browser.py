"""`vidstyle serve` against headless Chromium: real WebRTC both ways, real model, real pixels.

Chromium's fake camera plays a Y4M of four known images, each held for a second, so every
frame that comes back can be compared with the model's own output on the image it came from.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vidstyle.benchmarks.browser import (
    CHROMIUM,
    GRAB_VIDEO_JS,
    as_camera_sees,
    decode_png_url,
    distinct_images,
    launch_chromium,
    mean_abs_error,
    serve_process,
    thumbnail,
    write_y4m,
)
from vidstyle.frames import Frame
from vidstyle.jobs.live import load_live_stylizer

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)"),
]

WIDTH, HEIGHT, MAX_SIDE = 160, 120, 96
CLOSE_SECONDS = 20.0


@pytest.fixture(scope="module")
def images() -> list[Any]:
    return [as_camera_sees(image) for image in distinct_images(WIDTH, HEIGHT, 4)]


@pytest.fixture(scope="module")
def server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bound to 127.0.0.2, which is not one of the open loopback names, so it needs its token;
    one viewer at most, so the second page meets the limit."""
    # One torch thread: on a 2-core machine shared with Chromium, two spin-waiting threads
    # turn a few milliseconds of model time into hundreds.
    env = dict(os.environ, OMP_NUM_THREADS="1")
    args = ("--model", str(tiny_model), "--max-side", str(MAX_SIDE), "--device", "cpu", "--host", "127.0.0.2", "--max-viewers", "1", "--max-frame-side", "640")
    with serve_process(*args, env=env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser(images: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    camera = write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", images, fps=10, hold_frames=10)
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright, camera)
        yield chromium
        chromium.close()


def origin(url: str) -> str:
    return url.split("/?", 1)[0]


def get_info(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(origin(url) + "/info?" + url.split("?", 1)[1], timeout=10) as response:
        return json.loads(response.read())


def test_stylized_frames_come_back_readouts_update_and_closing_frees_the_peer(server: str, browser: Any, images: list[Any], tiny_model: Path) -> None:
    live = load_live_stylizer([tiny_model], device="cpu", max_side=MAX_SIDE)
    expected = [thumbnail(live(Frame(pixels=image, captured_seconds=0.0, index=0)).stylized) for image in images]
    unstylized = [thumbnail(image) for image in images]

    page = browser.new_page()
    page.goto(server)
    page.wait_for_function("document.getElementById('output').videoWidth > 0", timeout=60_000)
    assert "tiny" in page.inner_text("#model") and "torch" in page.inner_text("#model")

    matched, readouts = 0, set()
    for _ in range(8):
        time.sleep(0.7)
        returned = thumbnail(decode_png_url(page.evaluate(GRAB_VIDEO_JS, "output")))
        errors = sorted((mean_abs_error(returned, ref), k) for k, ref in enumerate(expected))
        best, runner_up = errors[0][0], errors[1][0]
        # VP8 twice (browser -> server -> browser) costs a few levels; another image's
        # stylization is ~30 away and the unstylized camera frame ~50.
        if best < 12 and best < 0.5 * runner_up and best < 0.3 * mean_abs_error(returned, unstylized[errors[0][1]]):
            matched += 1
        readouts.add((page.inner_text("#latency"), page.inner_text("#fps-out")))
    assert matched >= 4, f"only {matched}/8 returned frames matched the model's output"
    assert any("round trip: " in latency and "–" not in latency for latency, _ in readouts)
    assert len({latency for latency, _ in readouts}) > 1, "the latency readout never changed"
    assert any(float(fps.split()[0]) > 0 for _, fps in readouts)
    assert get_info(server)["viewers"] == 1

    second = browser.new_page()
    second.goto(server)
    second.wait_for_function("document.getElementById('status').classList.contains('error')", timeout=30_000)
    assert "server is full" in second.inner_text("#status")
    second.close()

    page.close()
    deadline = time.monotonic() + CLOSE_SECONDS
    while get_info(server)["viewers"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert get_info(server)["viewers"] == 0


@pytest.mark.parametrize("token", [None, "wrong", ""])
@pytest.mark.parametrize("path", ["/", "/info", "/static/app.js"])
def test_wrong_or_missing_token_is_refused(server: str, path: str, token: str | None) -> None:
    url = origin(server) + path + ("" if token is None else f"?token={token}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403


def test_the_right_token_in_a_header_is_accepted(server: str) -> None:
    request = urllib.request.Request(origin(server) + "/info", headers={"X-Vidstyle-Token": server.split("token=", 1)[1]})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["styles"]


def test_an_oversized_camera_is_refused_with_a_message(server: str) -> None:
    body = json.dumps({"sdp": "v=0", "type": "offer", "width": 1920, "height": 1080}).encode()
    request = urllib.request.Request(server.replace("/?", "/offer?"), data=body, method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413
    assert "640 pixels a side" in json.loads(refused.value.read())["error"]


@pytest.mark.parametrize("name", ["..%2F..%2Fpyproject.toml", "%2Fetc%2Fpasswd", "serve.py"])
def test_no_client_path_is_opened(server: str, name: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server.replace("/?", f"/static/{name}?"), timeout=10)
    assert refused.value.code == 404
