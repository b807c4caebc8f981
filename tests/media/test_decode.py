"""The one decode loop: batches, pts, indices, stopping early, another decoder."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from clips import make_clip, make_ts, read_video
from vidstyle.media.decode import DecodeStats, read_batches
from vidstyle.media.options import Trim


def test_batches_carry_pts_indices_and_pixels(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=7, width=40, height=32, codec="ffv1", pix_fmt="bgr0")
    stats = DecodeStats()
    batches = list(read_batches(src, 3, stats))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [b.first_index for b in batches] == [0, 3, 6]
    assert stats.frames == 7 and stats.corrupt_packets == 0
    frames, times, _ = read_video(src)
    pts_seconds = [t for b in batches for t in b.pts_seconds]
    assert np.allclose(pts_seconds, times)
    assert all(np.array_equal(b.data[i].numpy(), frames[b.first_index + i]) for b in batches for i in range(len(b)))


def test_i420_planes_for_the_device(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=2, width=64, height=48)
    batch = next(read_batches(src, 2, pixel_format="yuv420p"))
    assert batch.pixel_format == "yuv420p" and tuple(batch.data.shape) == (2, 72, 64)
    assert (batch.width, batch.height) == (64, 48)


def test_stopping_early_and_a_named_decoder(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=10, rate=10)
    first = list(itertools.islice(read_batches(src, 1), 4))
    assert [b.first_index for b in first] == [0, 1, 2, 3]
    assert first[3].pts_seconds[0] == pytest.approx(0.3)
    named = list(read_batches(src, 10, decoder="h264"))
    default = list(read_batches(src, 10))
    assert len(named[0]) == 10 and np.array_equal(named[0].data.numpy(), default[0].data.numpy())


@pytest.mark.parametrize("pixel_format", ["rgb24", "yuv420p"])
def test_max_side_scales_frames_down_in_the_decoder(pixel_format: str, tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=5, width=320, height=240)
    batches = list(read_batches(src, 2, pixel_format=pixel_format, max_side=40))  # type: ignore[arg-type]
    shapes = {tuple(b.data.shape[1:]) for b in batches}
    assert shapes == ({(30, 40, 3)} if pixel_format == "rgb24" else {(45, 40)})  # I420: 30 rows + 15 of chroma
    assert sum(len(b) for b in batches) == 5


def test_a_trim_counts_from_the_first_timestamp_of_an_mpeg_ts(tmp_path: Path) -> None:
    """MPEG-TS starts at 1.6 s here: ffmpeg's -ss 2 -t 1 counts from that first timestamp and
    gives 10 frames, the 2.0 s to 2.9 s after it, starting at pts 0. Absolute times gave none
    for -t 1 and 4 late frames for -ss 2 -t 1."""
    src = make_ts(tmp_path / "in.ts", start=1.6, frames=40, rate=10, audio=False)
    decoded, times, _ = read_video(src)
    assert times[0] == pytest.approx(1.6)
    batches = list(read_batches(src, 4, trim=Trim(start_seconds=2.0, end_seconds=3.0)))
    kept = [b.data[i].numpy() for b in batches for i in range(len(b))]
    assert len(kept) == 10 and all(np.array_equal(a, b) for a, b in zip(kept, decoded[20:30]))
    assert np.allclose([t for b in batches for t in b.pts_seconds], [i / 10 for i in range(10)], atol=1e-6)
    first_second = [t for b in read_batches(src, 4, trim=Trim(end_seconds=1.0)) for t in b.pts_seconds]
    # untrimmed at the front: 0 too, as ffmpeg's output
    assert np.allclose(first_second, [i / 10 for i in range(10)], atol=1e-6)
