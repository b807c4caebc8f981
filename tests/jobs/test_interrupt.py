"""Ctrl-C during `vidstyle stylize`: a quick, clean stop, with or without a partial file."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clips import make_clip, read_video


def _interrupt_after_progress(args: list[str], tmp_path: Path, signum: int = signal.SIGINT) -> tuple[int, float, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # A runner started in the background (`cmd &`) hands its children SIGINT ignored, and Python
    # then never raises KeyboardInterrupt; a user's terminal does not, so restore the default.
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidstyle", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    # Wait until frames are being written (the hidden temp file grows), then signal. Progress
    # text is no signal here: with stderr a pipe it is a line every few seconds.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in tmp_path.iterdir() if p.name.startswith(".out.") and p.stat().st_size > 4096]
        if partial:
            break
        time.sleep(0.05)
    proc.send_signal(signum)
    sent = time.monotonic()
    _, rest = proc.communicate(timeout=30)
    return proc.returncode, time.monotonic() - sent, rest


@pytest.mark.parametrize("keep", [False, True])
def test_ctrl_c_stops_quickly(keep: bool, tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "long.mp4", frames=600, width=96, height=64, rate=30, audio=True)
    out = tmp_path / "out.mp4"
    args = ["stylize", str(src), "-o", str(out), "--model", str(tiny_model), "--device", "cpu", "--batch-size", "2"]
    code, seconds, stderr = _interrupt_after_progress(args + (["--keep-partial"] if keep else []), tmp_path)
    assert code == 130, stderr
    assert seconds < 3.0, f"took {seconds:.1f}s to stop"
    assert "interrupted" in stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert leftovers == []
    if keep:
        frames, times, _ = read_video(out)
        assert 0 < len(frames) < 600
        assert times == sorted(times)
    else:
        assert not out.exists()


@pytest.mark.parametrize(("signum", "keep"), [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGHUP, False)])
def test_sigterm_and_sighup_are_handled_like_ctrl_c(signum: int, keep: bool, tmp_path: Path, tiny_model: Path) -> None:
    """A service manager's stop, or the terminal closed (SIGHUP, which left a hidden temp file):
    no hidden temp file left; --keep-partial keeps a playable one."""
    src = make_clip(tmp_path / "long.mp4", frames=600, width=96, height=64, rate=30, audio=True)
    out = tmp_path / "out.mp4"
    args = ["stylize", str(src), "-o", str(out), "--model", str(tiny_model), "--device", "cpu", "--batch-size", "2"]
    code, seconds, stderr = _interrupt_after_progress(args + (["--keep-partial"] if keep else []), tmp_path, signum)
    assert code == 128 + signum, stderr
    assert seconds < 3.0, f"took {seconds:.1f}s to stop"
    assert stderr.rstrip().endswith(
        "vidstyle stylize: terminated" + (" (SIGHUP)" if signum == signal.SIGHUP else "")
    ), stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    if keep:
        frames, _, _ = read_video(out)
        assert 0 < len(frames) < 600
    else:
        assert not out.exists()
