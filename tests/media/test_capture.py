"""capture: live sources for the camera. A file plays as a camera would, at its own timestamps
or as fast as it is taken; a device that cannot be opened, or a bad file, is one line."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from clips import frame_pixels, make_clip
from vidstyle.errors import MediaError, VidstyleError
from vidstyle.media.capture import FileFrames, file_frames, is_file_source, open_source


def test_what_counts_as_a_file() -> None:
    assert is_file_source("clip.mp4") and is_file_source("/tmp/x.mkv")
    assert not any(is_file_source(s) for s in ("0", "12", "/dev/video2", "rtsp://cam/stream", "http://x/y.m3u8"))


def test_a_file_gives_its_frames_in_order_as_rgb(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mkv", frames=6, codec="ffv1", pix_fmt="bgr0")  # lossless: the pixels as written
    frames = list(file_frames(str(clip), realtime=False, stop=threading.Event()))
    assert len(frames) == 6 and frames[0].dtype == np.uint8 and frames[0].shape == (48, 64, 3)
    for index, frame in enumerate(frames):
        assert np.array_equal(frame, frame_pixels(index, 64, 48)), index


def test_realtime_plays_at_the_files_own_rate(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=7, rate=20)  # 0.3 s from the first frame to the last
    source = FileFrames(str(clip), realtime=True)
    started = time.perf_counter()
    count = sum(1 for _ in source(threading.Event()))
    assert count == 7 and time.perf_counter() - started >= 0.28
    assert source.last_seconds == pytest.approx(0.3, abs=0.01)


def test_a_stop_ends_a_long_wait_promptly(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "slow.mp4", frames=3, rate=1)  # a frame every second
    stop = threading.Event()
    frames = file_frames(str(clip), realtime=True, stop=stop)
    next(frames)
    threading.Timer(0.1, stop.set).start()
    started = time.perf_counter()
    assert list(frames) == []
    assert time.perf_counter() - started < 0.8


def test_open_source_checks_a_file_before_anything_runs(tmp_path: Path) -> None:
    assert isinstance(open_source(str(make_clip(tmp_path / "ok.mp4")), realtime=False), FileFrames)
    (tmp_path / "bad.mp4").write_text("not a video\n" * 50)
    with pytest.raises(MediaError, match="cannot read"):
        open_source(str(tmp_path / "bad.mp4"), realtime=False)


def test_a_device_that_cannot_open_is_one_line() -> None:
    pytest.importorskip("cv2")
    frames = open_source("/dev/video99", realtime=True)(threading.Event())
    with pytest.raises(VidstyleError, match="cannot open camera source '/dev/video99'"):
        next(frames)
