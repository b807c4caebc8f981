"""probe: what a video file holds, read once before any work, and every way a path can be
wrong as one MediaError line. Real files written by PyAV in the test."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from clips import make_clip, make_ts
from vidstyle.errors import MediaError
from vidstyle.media.probe import origin_seconds, probe


def test_size_timing_and_frame_count(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "in.mp4", frames=12, width=64, height=48, rate=12, audio=True))
    assert (info.width, info.height, info.codec, info.pix_fmt) == (64, 48, "h264", "yuv420p")
    assert info.average_rate == Fraction(12) and info.frame_count == 12 and info.frame_count_exact
    assert info.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert (info.rotation_degrees, info.colorspace, info.full_range) == (0, "bt601", False)


def test_rotation_is_read_from_the_first_frame(tmp_path: Path) -> None:
    assert probe(make_clip(tmp_path / "r.mp4", rotation=90)).rotation_degrees in (90, -90, 270)


def test_bt709_and_full_range_are_read_from_the_stream(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "hd.mp4", options={"colorspace": "bt709", "color_range": "pc"})
    info = probe(clip)
    assert (info.colorspace, info.full_range) == ("bt709", True)


def test_a_file_without_an_exact_count_gets_one_from_its_duration(tmp_path: Path) -> None:
    info = probe(make_ts(tmp_path / "in.ts", frames=40, rate=10))
    assert not info.frame_count_exact and info.frame_count is not None and abs(info.frame_count - 40) <= 1


def test_the_origin_is_the_first_timestamp(tmp_path: Path) -> None:
    with av.open(str(make_ts(tmp_path / "late.ts", start=1.6))) as container:
        assert origin_seconds(container) == pytest.approx(1.6, abs=0.05)
    with av.open(str(make_clip(tmp_path / "zero.mp4"))) as container:
        assert origin_seconds(container) == pytest.approx(0.0, abs=0.05)


def test_audio_only_file_says_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.sample_rate, frame.pts = 16000, 0
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with pytest.raises(MediaError, match="has no video stream \\(it holds: audio\\)"):
        probe(path)


def test_each_bad_path_is_one_media_error(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "text.mp4").write_text("not a video\n" * 50)
    cases = {
        "missing.mp4": "input not found",
        ".": "input is not a file",
        "empty.mp4": "input is empty (0 bytes)",
        "text.mp4": "cannot read",
    }
    for name, message in cases.items():
        with pytest.raises(MediaError) as exc:
            probe(tmp_path / name)
        assert message in str(exc.value) and "\n" not in str(exc.value), name
