"""`vidstyle flicker` pairs frames by timestamp: clips of different length or frame rate are
compared frame for frame in time, with one warning line naming both counts; a progress bar
runs on stderr."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import pytest

from clips import frame_pixels
from vidstyle.cli import main

WIDTH, HEIGHT = 64, 48


def lossless_clip(path: Path, indices: list[int], rate: int) -> Path:
    """frame_pixels(i) for each i, one per 1/rate s, in FFV1: the pixels come back exactly,
    so a clip of the input's own frames is a perfectly consistent "stylization"."""
    time_base = Fraction(1, rate)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=rate)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "bgr0"
        stream.codec_context.time_base = stream.time_base = time_base
        for n, i in enumerate(indices):
            frame = av.VideoFrame.from_ndarray(frame_pixels(i, WIDTH, HEIGHT), format="rgb24").reformat(format="bgr0")
            frame.pts, frame.time_base = n, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def flicker(input_path: Path, stylized: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, float], list[str]]:
    out = tmp_path / f"{stylized.stem}.json"
    assert main(["flicker", str(input_path), str(stylized), "--stats-json", str(out), "--max-side", "64"]) == 0
    return json.loads(out.read_text()), capsys.readouterr().err.splitlines()


def test_half_rate_clip_is_paired_by_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = lossless_clip(tmp_path / "in.mkv", list(range(24)), rate=12)
    half = lossless_clip(tmp_path / "half.mkv", list(range(0, 24, 2)), rate=6)  # every other input frame
    report, err = flicker(src, half, tmp_path, capsys)
    # Paired by position, frame k of half.mkv (input frame 2k) would meet input frame k: a ratio far from 1.
    assert report["frames"] == 12 and report["ratio"] == pytest.approx(1.0, abs=1e-9)
    warnings = [line for line in err if "differ" in line]
    assert warnings == ["vidstyle: the clips differ: in.mkv has 24 frames at 12 fps, half.mkv has 12 frames at 6 fps; 12 frames paired by timestamp"]


def test_shorter_clip_is_paired_by_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = lossless_clip(tmp_path / "in.mkv", list(range(24)), rate=12)
    short = lossless_clip(tmp_path / "short.mkv", list(range(10)), rate=12)
    report, err = flicker(src, short, tmp_path, capsys)
    assert report["frames"] == 10 and report["ratio"] == pytest.approx(1.0, abs=1e-9)
    assert [line for line in err if "differ" in line] == [
        "vidstyle: the clips differ: in.mkv has 24 frames at 12 fps, short.mkv has 10 frames at 12 fps; 10 frames paired by timestamp"
    ]


def test_matching_clips_get_no_warning_and_a_progress_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = lossless_clip(tmp_path / "in.mkv", list(range(12)), rate=12)
    same = lossless_clip(tmp_path / "same.mkv", list(range(12)), rate=12)
    report, err = flicker(src, same, tmp_path, capsys)
    assert report["frames"] == 12 and not [line for line in err if "differ" in line]
    # stderr is not a terminal here: the bar is plain lines, the last one complete.
    bars = [line for line in err if line.startswith("same.mkv:")]
    assert bars and "12/12" in bars[-1], err
