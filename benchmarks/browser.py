"""A real browser against a real `vidstyle serve`: Debian's chromium through Playwright.

Chromium's fake camera plays a Y4M file that we write, so the frames the page sends are
known and what comes back can be compared with the model's output on them. Used by the
serve benchmark and by tests/serve.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from vidstyle.frames import Frame
from vidstyle.live.styles import StyleSwitcher

# The system's chromium (Debian's package: Playwright's own browser download needs its CDN), found on
# PATH; VIDSTYLE_CHROMIUM names another build. The serve benchmark drives it as the tests do, which is
# why this harness lives in benchmarks/ and tests/serve imports it from here.
CHROMIUM = (
    os.environ.get("VIDSTYLE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
)
CHROMIUM_FLAGS = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
URL_WAIT_SECONDS = 120.0  # the server loads torch and the model before it prints its URL


def distinct_images(width: int, height: int, count: int) -> list[np.ndarray]:
    """Images that differ in layout and colour, so each one's stylized version is recognisable."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    images = []
    for k in range(count):
        angle = np.pi * k / count
        wave = np.sin((x * np.cos(angle) + y * np.sin(angle)) / (6.0 + 3 * k))
        hue = 2 * np.pi * k / count
        rgb = np.stack([128 + 110 * wave * np.cos(hue + c * 2.1) for c in range(3)], -1)
        disc = (x - width * (0.25 + 0.5 * (k % 2))) ** 2 + (y - height * (0.3 + 0.4 * (k // 2 % 2))) ** 2 < (
            height / 4
        ) ** 2
        rgb[disc] = [(40 + 70 * k) % 256, 230 - 50 * k % 200, 90]
        images.append(np.clip(rgb, 0, 255).astype(np.uint8))
    return images


def stylize_picture(live: StyleSwitcher, image: np.ndarray) -> np.ndarray:
    """The model's output on one camera frame, through the same stage the server runs."""
    stylized = live(Frame(pixels=image, captured_seconds=0.0, index=0)).stylized
    assert stylized is not None
    return stylized


def as_camera_sees(image: np.ndarray) -> np.ndarray:
    """The RGB a Y4M round trip gives back: 4:2:0 chroma, BT.601 limited range (swscale's default)."""
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    return frame.reformat(format="rgb24").to_ndarray()


def write_y4m(path: Path, images: Sequence[np.ndarray], *, fps: int, hold_frames: int) -> Path:
    """A 4:2:0 Y4M that shows each image for hold_frames frames; Chromium's fake camera loops it."""
    height, width = images[0].shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for image in images:
            planes = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p").to_ndarray()
            for _ in range(hold_frames):
                out.write(b"FRAME\n" + planes.tobytes())
    return path


@contextlib.contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`vidstyle serve ARGS` in a child process; yields the URL it printed and the process."""
    command = [sys.executable, "-m", "vidstyle", "serve", "--port", "0", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or dict(os.environ)
    )
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []

    def drain(stream: Any, into: Any) -> None:
        # Threads, so waiting for the URL can time out and a full pipe never blocks the server.
        for line in stream:
            into(line)
        into("")  # end of output: a server that exits early is reported at once

    threading.Thread(target=drain, args=(process.stdout, lines.put), daemon=True).start()
    threading.Thread(target=drain, args=(process.stderr, errors.append), daemon=True).start()
    try:
        try:
            line = lines.get(timeout=URL_WAIT_SECONDS)
        except queue.Empty:
            line = ""
        if "open " not in line:
            process.wait(timeout=10)
            raise RuntimeError(f"vidstyle serve printed no URL: {''.join(errors[-5:]).strip()}")
        yield line.split("open ", 1)[1].strip(), process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def launch_chromium(playwright: Any, fake_camera: Path) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={fake_camera}"],
    )


# Draws a <video> into a canvas at its own size; the page's own snapshot button does the same.
GRAB_VIDEO_JS = """(id) => {
  const video = document.getElementById(id);
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return canvas.toDataURL("image/png");
}"""


def decode_png_url(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))


def thumbnail(image: np.ndarray, size: tuple[int, int] = (40, 30)) -> np.ndarray:
    """Box-filtered to a small size: averages away codec noise and any scaling on the way."""
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX), dtype=np.float32)


def mean_abs_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))
