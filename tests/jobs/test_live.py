"""The live loop with a file source paced like a camera (no real camera needed)."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from clips import make_clip, read_video
from vidstyle.backends import Backend, open_backend
from vidstyle.context import resolve_context
from vidstyle.frames import Frame
from vidstyle.jobs.live import LiveStylizer, run_live
from vidstyle.media.capture import file_frames
from vidstyle.stylizer import FrameStylizer


class SlowBackend(Backend):
    """A backend slower than the source: the real net, plus a fixed delay per batch."""

    name = "torch"

    def __init__(self, inner: Backend, delay_seconds: float) -> None:
        self.inner, self.delay_seconds = inner, delay_seconds

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        self.inner.prepare(shape)

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        time.sleep(self.delay_seconds)
        return self.inner.run(images, style_weights)

    def _release(self) -> None:
        self.inner.close()


def live_stylizer(paths: list[Path], delay_seconds: float = 0.0) -> LiveStylizer:
    ctx = resolve_context("cpu")
    stylizers = []
    for path in paths:
        backend = open_backend(path, ctx)
        stylizers.append(FrameStylizer(SlowBackend(backend, delay_seconds) if delay_seconds else backend, ctx))
    return LiveStylizer(stylizers, [p.stem for p in paths])


def test_file_source_through_the_whole_loop(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "cam.mp4", frames=30, width=64, height=48, rate=30)
    stats, record = tmp_path / "stats.json", tmp_path / "rec.mp4"
    result = cli("camera", "--source", src, "--display", "off", "--frames", "20", "--model", tiny_model, "--device", "cpu", "--stats-json", stats, "--record", record)
    assert result.code == 0, result.err
    data = json.loads(stats.read_text())
    assert data["frames_captured"] == 20
    assert data["frames_displayed"] + data["frames_dropped"] == 20
    assert data["latency_ms_p95"] >= data["latency_ms_p50"] > 0
    frames, times, _ = read_video(record)
    assert len(frames) == data["frames_displayed"] and frames[0].shape == (48, 64, 3)
    assert times == sorted(times)


def test_slow_model_drops_frames_and_latency_stays_bounded(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "cam.mp4", frames=90, width=64, height=48, rate=30)
    stylizer = live_stylizer([tiny_model], delay_seconds=0.08)  # ~12 fps model against a 30 fps source
    stop = threading.Event()
    shown: list[float] = []

    def show(frame: Frame) -> bool:
        shown.append(1000 * (time.perf_counter() - frame.captured_seconds))
        return True

    summary = run_live(lambda s: file_frames(str(src), realtime=True, stop=s), stylizer, show, stop=stop)
    assert summary["frames_dropped"] > 20
    third = len(shown) // 3
    first, last = np.percentile(shown[:third], 95), np.percentile(shown[-third:], 95)
    assert last < first * 1.5 + 30, (first, last)  # no growth over the run
    assert summary["latency_ms_p95"] < 400


def test_style_switch_takes_effect_within_one_frame(tmp_path: Path, tiny_model: Path) -> None:
    from vidstyle import ModelCard, TransformerNet, save_model

    torch.manual_seed(99)
    other = save_model(tmp_path / "other.safetensors", TransformerNet(width=0.25), ModelCard(width=0.25))
    src = make_clip(tmp_path / "cam.mp4", frames=20, width=64, height=48, rate=10)  # slow enough to show every frame
    stylizer = live_stylizer([tiny_model, other])
    seen: list[str] = []

    def show(frame: Frame) -> bool:
        seen.append(frame.style_label)
        if len(seen) == 4:
            stylizer.switch(+1)  # the path the `n` key takes
        return True

    run_live(lambda s: file_frames(str(src), realtime=True, stop=s), stylizer, show)
    after = seen[4:]
    assert after, seen
    assert all(label == "other" for label in after[1:]), seen  # at most one frame in flight keeps the old style
    assert stylizer.switch(+1) == tiny_model.stem and stylizer.switch(-1) == "other"


def _gui_opencv() -> bool:
    from vidstyle.window import opencv_has_gui

    return opencv_has_gui()


def _window_test_missing() -> str | None:
    """Why the window test cannot run here, or None: it needs Xvfb and this environment's
    OpenCV to be the GUI build (the `gui` extra), exactly what a user needs."""
    from vidstyle.window import GUI_INSTALL

    if shutil.which("Xvfb") is None:
        return "needs Xvfb on the path (Debian: apt-get install xvfb)"
    if not _gui_opencv():
        return f"needs OpenCV's GUI build in this environment ({GUI_INSTALL})"
    return None


needs_window = pytest.mark.skipif(_window_test_missing() is not None, reason=str(_window_test_missing()))


@pytest.fixture
def xvfb_env() -> Iterator[dict[str, str]]:
    """This environment with DISPLAY set to a fresh Xvfb on a free display number; Xvfb writes
    that number to -displayfd once it accepts clients, so there is no sleep and no clash."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "640x480x24"], pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield dict(os.environ, DISPLAY=f":{number}")
    finally:
        xvfb.terminate()
        xvfb.wait()


@pytest.mark.display
@needs_window
def test_real_window_under_xvfb(tmp_path: Path, tiny_model: Path, xvfb_env: dict[str, str]) -> None:
    src = make_clip(tmp_path / "cam.mp4", frames=60, width=160, height=120, rate=30)
    stats = tmp_path / "stats.json"
    done = subprocess.run(
        [sys.executable, "-m", "vidstyle", "camera", "--source", str(src), "--frames", "40", "--model", str(tiny_model), "--device", "cpu", "--stats-json", str(stats)],
        env=xvfb_env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no window" not in done.stderr  # auto chose the window: nothing else to send frames to
    assert json.loads(stats.read_text())["frames_displayed"] > 0


@pytest.mark.display
@needs_window
def test_window_after_pyav_fails_with_a_reason_not_a_hang(xvfb_env: dict[str, str]) -> None:
    """PyAV loaded before OpenCV's GUI used to hang namedWindow (vidstyle.window.open_window
    says why): now a clear error where PyAV's X libraries shadow OpenCV's, a window where not."""
    code = "import av\nfrom vidstyle.window import open_window\nopen_window()"
    done = subprocess.run([sys.executable, "-c", code], env=xvfb_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 or "open the window before importing av" in done.stderr, done.stderr
