"""The camera's OpenCV window, real, on a fresh Xvfb: what it draws, what its keys do, and
the display checks that decide whether one is opened at all.

The window runs in a child process, as `vidstyle camera` opens it: before anything loads
PyAV, whose X libraries would hang OpenCV's Qt (vidstyle.live.window.open_window says why),
and this test process has PyAV loaded.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clips import make_clip
from vidstyle.live.window import GUI_INSTALL, display_problem, opencv_has_gui


def _window_test_missing() -> str | None:
    """Why the window tests cannot run here, or None: they need Xvfb and this environment's
    OpenCV to be the GUI build (the `gui` extra), exactly what a user needs."""
    if shutil.which("Xvfb") is None:
        return "needs Xvfb on the path (Debian: apt-get install xvfb)"
    if not opencv_has_gui():
        return f"needs OpenCV's GUI build in this environment ({GUI_INSTALL})"
    return None


needs_window = pytest.mark.skipif(_window_test_missing() is not None, reason=str(_window_test_missing()))


@pytest.fixture
def xvfb_env() -> Iterator[dict[str, str]]:
    """This environment with DISPLAY set to a fresh Xvfb on a free display number; Xvfb writes
    that number to -displayfd once it accepts clients, so there is no sleep and no clash."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "640x480x24"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield dict(os.environ, DISPLAY=f":{number}")
    finally:
        xvfb.terminate()
        xvfb.wait()


# What the window does with each frame and key, read back from OpenCV and from the frames the
# StyleSwitcher hands on; printed as one JSON line.
WINDOW_SCRIPT = """
import json, sys
from vidstyle.live.window import WINDOW, WindowDisplay, open_window
open_window()  # before PyAV, as `vidstyle camera` does
import cv2
import numpy as np
from vidstyle.frames import Frame
from vidstyle.live.stats import LiveStats
from vidstyle.live.styles import load_styles

switcher = load_styles([sys.argv[1]], device="cpu", max_side=64)
stats = LiveStats()
window = WindowDisplay(switcher, stats=stats)
pixels = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
out = {}

def frame(index):
    return switcher(Frame(pixels=pixels, captured_seconds=0.0, index=index))

def full_screen():
    return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN)

first = frame(0)
plain = window.compose(first)
out["plain_shape"] = list(plain.shape)
stylized_bgr = first.stylized[..., ::-1]
out["status_rows_differ"] = bool((plain[:24] != stylized_bgr[:24]).any())  # the status line is drawn there
out["below_status_same"] = bool((plain[30:] == stylized_bgr[30:]).all())  # and the picture untouched below it
out["keep_going"] = window(first)
out["shown"] = cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) >= 1
out["keys"] = [window.handle_key(ord(key)) for key in "npnm"]
out["label_after_keys"] = frame(1).style_label
out["side_by_side"] = window.handle_key(ord("s")) and list(window.compose(frame(2)).shape)
out["shown_side_by_side"] = window(frame(3))
out["fullscreen"] = window.handle_key(ord("f")) and full_screen() == cv2.WINDOW_FULLSCREEN
out["windowed"] = window.handle_key(ord("f")) and full_screen() == cv2.WINDOW_NORMAL
out["idle"] = window.idle()
out["quit_q"] = window.handle_key(ord("q"))
out["quit_esc"] = window.handle_key(27)
window.close()
cv2.waitKey(1)
out["closed"] = cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1
print(json.dumps(out))
"""


@pytest.mark.display
@needs_window
def test_the_window_draws_frames_and_its_keys_switch_styles_views_and_quit(
    three_style_model: Path, xvfb_env: dict[str, str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WINDOW_SCRIPT, str(three_style_model)],
        env=xvfb_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["plain_shape"] == [60, 80, 3]
    assert out["status_rows_differ"] and out["below_status_same"]
    assert out["keep_going"] is True
    assert out["shown"] is True
    assert out["keys"] == [True, True, True, True]
    assert out["label_after_keys"] == "udnie"  # n, p, n: mosaic; m: fades on to udnie
    assert out["side_by_side"] == [60, 160, 3]  # the camera's frame, then the stylized one
    assert out["shown_side_by_side"] is True
    assert (out["fullscreen"], out["windowed"], out["idle"]) == (True, True, True)  # f goes fullscreen and back
    assert (out["quit_q"], out["quit_esc"]) == (False, False)
    assert out["closed"] is True


@pytest.mark.display
@needs_window
def test_real_window_under_xvfb(tmp_path: Path, tiny_model: Path, xvfb_env: dict[str, str]) -> None:
    src = make_clip(tmp_path / "cam.mp4", frames=60, width=160, height=120, rate=30)
    stats = tmp_path / "stats.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vidstyle",
            "camera",
            "--source",
            str(src),
            "--frames",
            "40",
            "--model",
            str(tiny_model),
            "--device",
            "cpu",
            "--stats-json",
            str(stats),
        ],
        env=xvfb_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no window" not in done.stderr  # auto chose the window: nothing else to send frames to
    assert json.loads(stats.read_text())["frames_displayed"] > 0


@pytest.mark.display
@needs_window
def test_window_after_pyav_fails_with_a_reason_not_a_hang(xvfb_env: dict[str, str]) -> None:
    """PyAV loaded before OpenCV's GUI used to hang namedWindow (vidstyle.live.window.open_window
    says why): now a clear error where PyAV's X libraries shadow OpenCV's, a window where not."""
    code = "import av\nfrom vidstyle.live.window import open_window\nopen_window()"
    done = subprocess.run([sys.executable, "-c", code], env=xvfb_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 or "open the window before importing av" in done.stderr, done.stderr


def test_no_display_is_named_as_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert display_problem() == "no display (DISPLAY is not set)"


def test_a_display_with_the_headless_opencv_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    assert display_problem() == (
        None if opencv_has_gui() else f"this OpenCV is the headless build; for windows: {GUI_INSTALL}"
    )
