"""Streams besides the video: every audio track is carried, subtitles where the container can
hold them, and whatever is not carried is named in one stderr line."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from clips import make_clip
from vidstyle.cli import main

SRT = """1
00:00:00,100 --> 00:00:00,400
first line

2
00:00:00,500 --> 00:00:00,900
second line
"""


def with_tracks(path: Path, tmp_path: Path) -> Path:
    """A clip with video, two AAC tracks and a SubRip subtitle stream, made with PyAV: the
    audio tracks copied from a clip with audio, the subtitles from an .srt file's packets."""
    base = make_clip(tmp_path / "base.mkv", frames=12, rate=12, audio=True)
    srt = tmp_path / "subs.srt"
    srt.write_text(SRT)
    with av.open(str(base)) as src, av.open(str(srt)) as subs, av.open(str(path), "w") as out:
        video = out.add_stream_from_template(src.streams.video[0])
        tracks = [out.add_stream_from_template(src.streams.audio[0]) for _ in range(2)]
        text = out.add_stream_from_template(subs.streams.subtitles[0])
        packets = [p for p in src.demux() if p.dts is not None]
        packets += [p for p in subs.demux() if p.dts is not None]
        for packet in sorted(packets, key=lambda p: float(p.pts * p.time_base)):
            targets = [video] if packet.stream.type == "video" else tracks if packet.stream.type == "audio" else [text]
            for target in targets:
                packet.stream = target
                out.mux(packet)
    return path


def streams(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name) for s in container.streams]


def subtitle_texts(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.subtitles[0]) if p.size]


def stylize(src: Path, out: Path, model: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    code = main(
        ["stylize", str(src), "-o", str(out), "--model", str(model), "--device", "cpu", "--max-side", "32", *args]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    return err.splitlines()


def test_mkv_to_mkv_carries_both_audio_tracks_and_the_subtitles(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = with_tracks(tmp_path / "in.mkv", tmp_path)
    text = streams(src)[3]  # FFmpeg names SubRip "subrip" or, as the .srt demuxer does, "srt"
    assert streams(src) == [("video", "h264"), ("audio", "aac"), ("audio", "aac"), ("subtitle", text[1])] and text[
        1
    ] in ("subrip", "srt")
    err = stylize(src, tmp_path / "out.mkv", tiny_model, capsys)
    assert streams(tmp_path / "out.mkv") == streams(src)
    texts = subtitle_texts(tmp_path / "out.mkv")
    assert [b"first line" in t for t in texts] == [True, False] and b"second line" in texts[1]
    assert not [line for line in err if "not carried" in line], err


def test_mp4_drops_subrip_and_names_it_in_one_line(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = with_tracks(tmp_path / "in.mkv", tmp_path)
    codec = streams(src)[3][1]
    err = stylize(src, tmp_path / "out.mp4", tiny_model, capsys)
    assert streams(tmp_path / "out.mp4") == [("video", "h264"), ("audio", "aac"), ("audio", "aac")]
    assert [line for line in err if "not carried" in line] == [
        f"vidstyle: not carried over: subtitle #3 ({codec}): a .mp4 file cannot hold {codec}"
    ]


def test_no_audio_names_each_track_dropped(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = with_tracks(tmp_path / "in.mkv", tmp_path)
    err = stylize(src, tmp_path / "out.mkv", tiny_model, capsys, "--no-audio")
    assert streams(tmp_path / "out.mkv") == [("video", "h264"), streams(src)[3]]
    assert [line for line in err if "not carried" in line] == [
        "vidstyle: not carried over: audio #1 (aac): --no-audio, audio #2 (aac): --no-audio"
    ]


def test_trimmed_subtitles_keep_only_the_part_kept(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = with_tracks(tmp_path / "in.mkv", tmp_path)
    stylize(src, tmp_path / "out.mkv", tiny_model, capsys, "--start", "0.45")
    with av.open(str(tmp_path / "out.mkv")) as container:
        cues = [
            (float(p.pts * p.time_base), bytes(p)) for p in container.demux(container.streams.subtitles[0]) if p.size
        ]
    assert len(cues) == 1 and b"second line" in cues[0][1] and cues[0][0] == pytest.approx(0.05, abs=0.01)
