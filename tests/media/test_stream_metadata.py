"""Metadata carried from the input as ffmpeg's default mapping carries it: the container's title
and comments, each stream's language and title, into MP4 and Matroska alike."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from clips import make_clip
from vidstyle.media.decode import read_batches
from vidstyle.media.encode import VideoWriter
from vidstyle.media.options import EncodeOptions


def tagged(path: Path, tmp_path: Path) -> Path:
    """A Matroska file with a title, and German and French audio tracks (copied from one clip)."""
    base = make_clip(tmp_path / "base.mkv", frames=12, rate=12, audio=True)
    with av.open(str(base)) as src, av.open(str(path), "w") as out:
        out.metadata.update({"title": "Holiday 2024", "comment": "shot on a phone"})
        video = out.add_stream_from_template(src.streams.video[0])
        tracks = [out.add_stream_from_template(src.streams.audio[0]) for _ in range(2)]
        for track, (language, title) in zip(tracks, [("deu", "Deutsch"), ("fre", "Français")]):
            track.metadata.update({"language": language, "title": title})
        for packet in src.demux():
            if packet.dts is None:
                continue
            for target in [video] if packet.stream.type == "video" else tracks:
                packet.stream = target
                out.mux(packet)
    return path


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_title_and_languages_reach_the_output(suffix: str, tmp_path: Path) -> None:
    """They became `und` and the title was dropped."""
    src = tagged(tmp_path / "in.mkv", tmp_path)
    out = tmp_path / f"out{suffix}"
    writer = VideoWriter(
        out, EncodeOptions(width=64, height=48, time_base=Fraction(1, 1000), preset="ultrafast"), carry_from=src
    )
    for batch in read_batches(src, 4):
        writer.write(batch)
    writer.close()
    with av.open(str(out)) as result:
        assert result.metadata.get("title") == "Holiday 2024"
        assert {key.lower(): value for key, value in result.metadata.items()}.get("comment") == "shot on a phone"
        assert [s.language for s in result.streams.audio] == ["deu", "fre"]
        if suffix == ".mkv":  # FFmpeg's MP4 muxer writes no track titles, whoever asks
            assert [s.metadata.get("title") for s in result.streams.audio] == ["Deutsch", "Français"]


def test_tags_that_describe_the_input_encoding_are_not_carried() -> None:
    from vidstyle.media.streams import carried_metadata

    tags = {
        "title": "x",
        "ENCODER": "Lavf61",
        "DURATION": "00:00:01.0",
        "major_brand": "isom",
        "_STATISTICS_TAGS": "BPS",
        "BPS": "1",
        "language": "deu",
    }
    assert carried_metadata(tags) == {"title": "x", "language": "deu"}
