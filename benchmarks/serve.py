"""Browser round trip of `vidstyle serve`: `python -m vidstyle.benchmarks.serve --out results/serve.json`.

Headless Chromium's fake camera plays images that change once a second. The page's two
videos are sampled on every presented frame (requestVideoFrameCallback); each sample is
identified by its picture: the camera image it shows, or the one whose stylized version it
is. The time from an image first appearing in the camera preview to its stylized version
first appearing in the output is the capture-to-display latency; minus the model's own
time per frame (the server reports it) it is what the transport and the loop add.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from vidstyle.context import resolve_context
from vidstyle.live.styles import load_styles

from .browser import (
    CHROMIUM,
    as_camera_sees,
    distinct_images,
    launch_chromium,
    serve_process,
    stylize_picture,
    write_y4m,
)
from .environment import describe, package_version

THUMB_SIZE = (16, 12)
# Benchmark-side sampling, injected into the page (not part of the product page).
SAMPLE_JS = """([w, h]) => {
  window.samples = { input: [], output: [] };
  const canvas = Object.assign(document.createElement("canvas"), { width: w, height: h });
  const context = canvas.getContext("2d", { willReadFrequently: true });
  for (const id of ["input", "output"]) {
    const video = document.getElementById(id);
    const tick = (now) => {
      context.drawImage(video, 0, 0, w, h);
      window.samples[id].push([now, Array.from(context.getImageData(0, 0, w, h).data)]);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }
}"""


def thumb(image: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize(THUMB_SIZE, Image.Resampling.BILINEAR), dtype=np.float32)


def identify(samples: list[Any], references: list[np.ndarray]) -> list[tuple[float, int]]:
    """(time ms, index of the nearest reference) per sample."""
    out = []
    for now, data in samples:
        pixels = np.asarray(data, dtype=np.float32).reshape(THUMB_SIZE[1], THUMB_SIZE[0], 4)[..., :3]
        out.append((float(now), int(np.argmin([np.mean(np.abs(pixels - ref)) for ref in references]))))
    return out


def first_appearances(timeline: list[tuple[float, int]]) -> list[tuple[float, int]]:
    return [(t, k) for i, (t, k) in enumerate(timeline) if i > 0 and k != timeline[i - 1][1]]


def latencies_ms(inputs: list[tuple[float, int]], outputs: list[tuple[float, int]], *, within_ms: float) -> list[float]:
    """For each change of camera image, the delay until the output first shows it stylized."""
    found = []
    for t_in, k in inputs:
        later = [t_out - t_in for t_out, j in outputs if j == k and 0 <= t_out - t_in < within_ms]
        if later:
            found.append(min(later))
    return found


def chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def take_screenshot(path: str, server_args: list[str], work: Path, width: int, height: int) -> None:
    """The page with the bundled sample photo as the camera, for the README."""
    from playwright.sync_api import sync_playwright

    photo = Image.open(io.BytesIO((resources.files("vidstyle") / "assets" / "sample.jpg").read_bytes())).convert("RGB")
    camera = write_y4m(work / "photo.y4m", [np.asarray(ImageOps.fit(photo, (width, height)))], fps=15, hold_frames=15)
    with serve_process(*server_args, env=dict(os.environ)) as (url, _), sync_playwright() as playwright:
        browser = launch_chromium(playwright, camera)
        page = browser.new_page(viewport={"width": 1000, "height": 560})
        page.goto(url)
        page.wait_for_function("document.getElementById('output').videoWidth > 0", timeout=120_000)
        page.wait_for_function("!document.getElementById('latency').textContent.includes('–')", timeout=60_000)
        time.sleep(2.0)
        page.screenshot(path=path)
        browser.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidstyle.benchmarks.serve")
    parser.add_argument("--model", help="style model (default: the bundled one)")
    parser.add_argument("--max-side", type=int, default=256)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=15, help="the fake camera's frame rate")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--precision", default="fp32", help="the server's --precision (default fp32)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in the server (OMP_NUM_THREADS)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--screenshot", help="also save a PNG of the page here")
    parser.add_argument("--work", default="/tmp/vidstyle-serve-bench")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    images = [as_camera_sees(image) for image in distinct_images(args.width, args.height, 6)]
    camera = write_y4m(work / "camera.y4m", images, fps=args.fps, hold_frames=args.fps)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # this process's model too, so both match
    live = load_styles([args.model], device="cpu", max_side=args.max_side)
    stylized = [thumb(stylize_picture(live, image)) for image in images]
    raw = [thumb(image) for image in images]
    model_args = ["--model", args.model] if args.model else []
    server_args = [*model_args, "--max-side", str(args.max_side), "--device", "cpu", "--precision", args.precision]
    with serve_process(*server_args, env=dict(os.environ)) as (url, _), sync_playwright() as playwright:
        browser = launch_chromium(playwright, camera)
        page = browser.new_page(viewport={"width": 1000, "height": 560})
        page.goto(url)
        page.wait_for_function("document.getElementById('output').videoWidth > 0", timeout=120_000)
        time.sleep(3.0)  # let the codecs settle and the readouts fill
        page.evaluate(SAMPLE_JS, list(THUMB_SIZE))
        viewer = page.evaluate("state.viewer")
        server, readouts, started = [], [], time.monotonic()
        while time.monotonic() - started < args.seconds:
            time.sleep(1.0)
            with urllib.request.urlopen(f"{url.rstrip('/')}/stats?viewer={viewer}", timeout=10) as response:
                server.append(json.loads(response.read()))
            readouts.append(page.inner_text("#latency"))
        samples = page.evaluate("window.samples")
        browser.close()
    if args.screenshot:
        take_screenshot(args.screenshot, server_args, work, args.width, args.height)

    inputs, outputs = identify(samples["input"], raw), identify(samples["output"], stylized)
    found = latencies_ms(first_appearances(inputs), first_appearances(outputs), within_ms=1000.0)
    duration_ms = outputs[-1][0] - outputs[0][0] if len(outputs) > 1 else float("nan")
    model_ms = statistics.median(s["model_ms"] for s in server)
    server_ms = statistics.median(s["server_ms"] for s in server if s["server_ms"] is not None)
    frame_interval_ms = 1000.0 / args.fps
    latency_p50 = statistics.median(found) if found else float("nan")
    page_estimates = [int(text.split()[-2]) for text in readouts if text.split()[-2].isdigit()]
    result = {
        "environment": describe(resolve_context("cpu", "fp32"))
        | {
            "server_torch_threads": args.threads,
            "chromium": chromium_version(),
            "aiortc": package_version("aiortc"),
            "aiohttp": package_version("aiohttp"),
        },
        "settings": {
            "camera": [args.width, args.height],
            "camera_fps": args.fps,
            "max_side": args.max_side,
            "net_size": list(live.stylizers[0].net_size(args.height, args.width)),
            "model": live.names[0],
            "backend": "torch",
            "precision": args.precision,
            "codec": "VP8 both ways",
            "network": "loopback",
            "seconds": args.seconds,
        },
        "capture_to_display_ms": {
            "p50": latency_p50,
            "min": min(found, default=None),
            "max": max(found, default=None),
            "changes_measured": len(found),
        },
        "model_ms_p50": model_ms,
        "server_ms_p50": server_ms,
        "page_round_trip_estimate_ms_p50": statistics.median(page_estimates) if page_estimates else None,
        "added_latency_ms_p50": latency_p50 - model_ms,
        # Where the added time goes. A change in the picture waits for the stylizer to finish the
        # frame it is on (latest-wins then takes the newest): on average half a model time. The
        # processed frame's time in the server beyond the model is server - model. The rest is
        # outside the server's loop: both VP8 codecs, the network, jitter buffer and display.
        "change_waits_for_stylizer_ms_expected": model_ms / 2,
        "server_beyond_model_ms_p50": server_ms - model_ms,
        "outside_server_ms_estimate": latency_p50 - server_ms - model_ms / 2,
        "frame_interval_ms": frame_interval_ms,
        "goal_added_latency_within_one_frame": latency_p50 - model_ms <= frame_interval_ms,
        "sustained_output_fps": 1000.0 * (len(outputs) - 1) / duration_ms,
        "camera_fps_seen": 1000.0 * (len(inputs) - 1) / (inputs[-1][0] - inputs[0][0]) if len(inputs) > 1 else None,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k not in ("environment",)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
