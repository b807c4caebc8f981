"""`vidstyle batch --ray local` stopped, or losing a worker, as a terminal user meets it: the
command runs in a session of its own, so every process it or its Ray starts can be found."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from clips import make_clip


def _session(leader: int) -> list[psutil.Process]:
    """The live processes of a session but its leader (Ray's agents and workers stay in it, even
    once their parent has died)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != leader and os.getsid(process.pid) == leader and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (OSError, psutil.Error):
            pass
    return found


def _named(leader: int, part: str) -> list[psutil.Process]:
    named = []
    for process in _session(leader):
        try:
            if part in " ".join(process.cmdline()):
                named.append(process)
        except psutil.Error:
            pass
    return named


def _wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.05)


def _start_batch(tmp_path: Path, tiny_model: Path) -> tuple[subprocess.Popen[str], Path]:
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    make_clip(inputs / "long.mp4", frames=900, width=320, height=240, rate=30)
    command = [
        sys.executable,
        "-m",
        "vidstyle",
        "-q",
        "batch",
        str(inputs),
        "--output-dir",
        str(out),
        "--model",
        str(tiny_model),
        "--device",
        "cpu",
        "--ray",
        "local",
        "--workers",
        "1",
        "--preset",
        "ultrafast",
    ]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ), out


def _end_session(leader: int) -> None:
    """Whatever the test left (the old code left Ray's agents for a minute)."""
    for process in _session(leader):
        try:
            process.kill()
        except psutil.Error:
            pass


@pytest.mark.slow
def test_a_worker_that_dies_is_one_line_not_ray_data_tracebacks(tmp_path: Path, tiny_model: Path) -> None:
    """The same tracebacks came before the "interrupted" line of a stop, when the run's own clean-up
    killed the worker (in about half the runs, depending on when the stop landed); a worker
    killed from outside gives them every time."""
    pytest.importorskip("ray")
    batch, out = _start_batch(tmp_path, tiny_model)
    try:
        _wait_for(
            lambda: list(out.glob(".long.*.partial.mp4")) or batch.poll() is not None, 180, "the worker started writing"
        )
        workers = _named(batch.pid, "MapWorker")
        assert workers, [" ".join(p.cmdline()) for p in _session(batch.pid)]
        for worker in workers:
            worker.kill()  # as the kernel's OOM killer would
        _, stderr = batch.communicate(timeout=120)
    finally:
        batch.kill()
        _end_session(batch.pid)
    assert batch.returncode == 1
    lines = stderr.splitlines()
    # Before: 86 lines, three tracebacks of ActorDiedError from Ray Data, with Ray's OOM advice.
    assert len(lines) == 1 and lines[0].startswith("vidstyle: not finished: Ray failed: "), stderr[-3000:]
    assert sorted(p.name for p in out.rglob("*")) == ["batch-report.json"]  # the file failed; no temp file is left


@pytest.mark.slow
def test_ctrl_c_while_ray_starts_leaves_no_ray_process_behind(tmp_path: Path, tiny_model: Path) -> None:
    pytest.importorskip("ray")
    batch, out = _start_batch(tmp_path, tiny_model)
    try:
        # The raylet has started its agents: Ray is half up, and the driver not yet connected.
        _wait_for(
            lambda: _named(batch.pid, "dashboard/agent.py") or batch.poll() is not None,
            120,
            "Ray started its dashboard agent",
        )
        os.killpg(batch.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
        _, stderr = batch.communicate(timeout=60)
        stopped = time.monotonic()
        # Before: the dashboard and runtime-env agents (once the raylet too) lived on for about 61 s.
        _wait_for(lambda: not _session(batch.pid) or time.monotonic() - stopped > 5, 10, "")
        left = [" ".join(p.cmdline())[:120] for p in _session(batch.pid)]
    finally:
        batch.kill()
        _end_session(batch.pid)
    assert (batch.returncode, stderr) == (128 + signal.SIGINT, "vidstyle batch: interrupted\n")
    assert left == [], left
    assert not out.exists()


@pytest.mark.slow
def test_a_batch_stopped_midway_leaves_no_temp_file(tmp_path: Path, tiny_model: Path) -> None:
    """SIGTERM while a worker writes: Ray's shutdown kills the worker outright, so its hidden temp
    file can only be removed by the driver."""
    pytest.importorskip("ray")
    batch, out = _start_batch(tmp_path, tiny_model)
    try:
        _wait_for(
            lambda: list(out.glob(".long.*.partial.mp4")) or batch.poll() is not None, 180, "the worker started writing"
        )
        assert list(out.glob(".long.*.partial.mp4")), "the worker never started writing"
        batch.send_signal(signal.SIGTERM)
        _, stderr = batch.communicate(timeout=120)
    finally:
        batch.kill()
        _end_session(batch.pid)
    # Our handler, not Ray's (which exits or aborts with a stack dump, skipping the clean-up).
    assert batch.returncode == 128 + signal.SIGTERM and "vidstyle batch: terminated" in stderr, stderr[-2000:]
    # no temp file, no half output, no report, no folder
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))
