"""vidstyle.jobs.flicker and `vidstyle flicker`: frames are paired by timestamp, so clips of
different length or frame rate are compared frame for frame in time, with one warning line
naming both counts; a progress bar runs on stderr."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from clips import frame_pixels, make_clip
from vidstyle.cli import main
from vidstyle.errors import VidstyleError
from vidstyle.jobs.flicker import PairCounts, measure_flicker, paired_frames

WIDTH, HEIGHT = 64, 48


def lossless_clip(path: Path, indices: list[int], rate: int, *, width: int = WIDTH, height: int = HEIGHT) -> Path:
    """frame_pixels(i) for each i, one per 1/rate s, in FFV1: the pixels come back exactly,
    so a clip of the input's own frames is a perfectly consistent "stylization"."""
    time_base = Fraction(1, rate)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "bgr0"
        stream.codec_context.time_base = stream.time_base = time_base
        for n, i in enumerate(indices):
            frame = av.VideoFrame.from_ndarray(frame_pixels(i, width, height), format="rgb24").reformat(format="bgr0")
            frame.pts, frame.time_base = n, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def flicker(
    input_path: Path, stylized: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, float], list[str]]:
    out = tmp_path / f"{stylized.stem}.json"
    assert main(["flicker", str(input_path), str(stylized), "--stats-json", str(out), "--max-side", "64"]) == 0
    return json.loads(out.read_text()), capsys.readouterr().err.splitlines()


@pytest.mark.parametrize(
    ("name", "indices", "rate", "warning_end"),
    [
        # Every other input frame. Paired by position, frame k of half.mkv (input frame 2k) would meet
        # input frame k: a ratio far from 1.
        ("half.mkv", list(range(0, 24, 2)), 6, "half.mkv has 12 frames at 6 fps; 12 frames paired by timestamp"),
        ("short.mkv", list(range(10)), 12, "short.mkv has 10 frames at 12 fps; 10 frames paired by timestamp"),
    ],
    ids=["half-rate", "shorter"],
)
def test_a_clip_of_another_rate_or_length_is_paired_by_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, indices: list[int], rate: int, warning_end: str
) -> None:
    src = lossless_clip(tmp_path / "in.mkv", list(range(24)), rate=12)
    stylized = lossless_clip(tmp_path / name, indices, rate=rate)
    report, err = flicker(src, stylized, tmp_path, capsys)
    assert report["frames"] == len(indices) and report["ratio"] == pytest.approx(1.0, abs=1e-9)
    assert [line for line in err if "differ" in line] == [
        f"vidstyle: the clips differ: in.mkv has 24 frames at 12 fps, {warning_end}"
    ]


def test_matching_clips_get_no_warning_and_a_progress_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = lossless_clip(tmp_path / "in.mkv", list(range(12)), rate=12)
    same = lossless_clip(tmp_path / "same.mkv", list(range(12)), rate=12)
    report, err = flicker(src, same, tmp_path, capsys)
    assert report["frames"] == 12 and not [line for line in err if "differ" in line]
    # stderr is not a terminal here: the bar is plain lines, the last one complete.
    bars = [line for line in err if line.startswith("same.mkv:")]
    assert bars and "12/12" in bars[-1], err


def test_each_input_frame_is_paired_once_with_the_stylized_frame_at_its_time(tmp_path: Path) -> None:
    # The input at 4 fps holds frames 0, 3, 6, 9 of the 12 fps clip: at 0, 0.25, 0.5, 0.75 s.
    src = lossless_clip(tmp_path / "in.mkv", [0, 3, 6, 9], rate=4)
    fast = lossless_clip(tmp_path / "fast.mkv", list(range(12)), rate=12)
    counts = PairCounts()
    # Within half a 12 fps interval only the stylized frame at the input frame's own time is near enough.
    pairs = list(paired_frames(src, fast, counts, tolerance_seconds=0.5 / 12))
    assert [(counts.input_frames, counts.stylized_frames, counts.pairs)] == [(4, 12, 4)]
    for (source, stylized), index in zip(pairs, [0, 3, 6, 9]):
        assert np.array_equal(source, frame_pixels(index, WIDTH, HEIGHT)) and np.array_equal(stylized, source)


def test_a_stylized_frame_padded_to_an_even_size_is_cropped_to_the_input(tmp_path: Path) -> None:
    src = lossless_clip(tmp_path / "odd.mkv", list(range(3)), rate=12, width=WIDTH - 1, height=HEIGHT - 1)
    padded = lossless_clip(tmp_path / "even.mkv", list(range(3)), rate=12)
    pairs = list(paired_frames(src, padded, PairCounts(), tolerance_seconds=0.04))
    assert len(pairs) == 3 and all(s.shape == y.shape == (HEIGHT - 1, WIDTH - 1, 3) for s, y in pairs)


def test_counts_say_nothing_when_the_clips_match_and_one_line_when_they_differ() -> None:
    assert PairCounts(input_frames=5, stylized_frames=5, pairs=5, rates=(25.0, 25.0)).mismatch("a.mp4", "b.mp4") is None
    assert PairCounts(input_frames=5, stylized_frames=5, pairs=5, rates=(25.0, 24.0)).mismatch("a.mp4", "b.mp4") == (
        "the clips differ: a.mp4 has 5 frames at 25 fps, b.mp4 has 5 frames at 24 fps; 5 frames paired by timestamp"
    )


def test_measure_flicker_refuses_clips_of_other_sizes(tmp_path: Path) -> None:
    small = make_clip(tmp_path / "small.mp4", width=32, height=24)
    big = make_clip(tmp_path / "big.mp4", width=64, height=48)
    with pytest.raises(VidstyleError, match="sizes differ: .*small.mp4 is 32x24, .*big.mp4 is 64x48"):
        measure_flicker(small, big)
    assert measure_flicker(big, big).ratio == pytest.approx(1.0, abs=1e-9)
