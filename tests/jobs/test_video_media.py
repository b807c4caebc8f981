"""Media correctness of `stylize`: timestamps into MKV, odd sizes with FFV1, truthful decode
notes, every audio track carried and streams not carried named, a kept partial file's audio
ending with its video."""

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from clips import audio_duration_seconds, make_clip, read_video
from video_jobs import cpu, run
from vidstyle.cli import main
from vidstyle.jobs.video import Encoding


def _first_audio_pts(path: Path) -> float:
    with av.open(str(path)) as container:
        return min(float(p.pts * p.time_base) for p in container.demux(container.streams.audio[0]) if p.pts is not None)


@pytest.mark.parametrize("audio_codec", ["aac", "mp3"])
def test_mp4_into_mkv_keeps_the_first_frame_time(audio_codec: str, tmp_path: Path, tiny_model: Path) -> None:
    """MKV holds no negative timestamps: the audio's encoder-delay packets must not shift the video."""
    if audio_codec == "mp3" and "libmp3lame" not in av.codecs_available:
        pytest.skip("no MP3 encoder in this FFmpeg")
    src = make_clip(
        tmp_path / "in.mp4", frames=12, audio=True, audio_codec="libmp3lame" if audio_codec == "mp3" else "aac"
    )
    run(src, tmp_path / "out.mkv", tiny_model)
    _, in_times, _ = read_video(src)
    _, out_times, _ = read_video(tmp_path / "out.mkv")
    assert np.allclose(out_times, in_times, atol=1.5e-3), (out_times[:3], in_times[:3])
    assert _first_audio_pts(tmp_path / "out.mkv") >= 0


def test_ffv1_keeps_odd_sizes_and_x264_notes_the_padding_once(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=3, width=321, height=241, codec="ffv1", pix_fmt="bgr0")
    result = run(src, tmp_path / "out.mkv", tiny_model, runtime=cpu(max_side=64), encode=Encoding(codec="ffv1"))
    frames, _, _ = read_video(tmp_path / "out.mkv")
    assert frames[0].shape == (241, 321, 3) and not [n for n in result.notes if "odd" in n]
    assert (
        main(
            [
                "stylize",
                str(src),
                "-o",
                str(tmp_path / "out.mp4"),
                "--model",
                str(tiny_model),
                "--device",
                "cpu",
                "--max-side",
                "64",
            ]
        )
        == 0
    )
    assert capsys.readouterr().err.count("is odd") == 1


def test_complete_vfr_mkv_is_not_called_truncated(tmp_path: Path, tiny_model: Path) -> None:
    gaps = [40, 40, 120, 20, 200, 40, 40, 300, 40, 40, 60, 40, 40, 500, 40]
    pts = [int(p) for p in np.cumsum([0, *gaps])]
    src = make_clip(tmp_path / "vfr.mkv", pts=pts, time_base=Fraction(1, 1000), rate=25)
    result = run(src, tmp_path / "out.mkv", tiny_model)
    assert result.frames == len(pts)
    assert not [n for n in result.notes if "truncated" in n], result.notes


def test_damaged_packets_are_not_called_truncation(tmp_path: Path, tiny_model: Path) -> None:
    full = make_clip(
        tmp_path / "full.mkv", frames=30, width=64, height=48, codec="ffv1", options={"level": "3", "slicecrc": "1"}
    )
    data = bytearray(full.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 200] = bytes(range(200))
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(bytes(data))
    result = run(bad, tmp_path / "out.mp4", tiny_model)
    assert any("damaged" in n for n in result.notes)
    assert not [n for n in result.notes if "truncated" in n], result.notes


def _two_audio_tracks(path: Path) -> Path:
    """A clip with a second audio track."""
    first = make_clip(path.with_name("base.mkv"), frames=6, audio=True)
    with av.open(str(first)) as src, av.open(str(path), "w") as out:
        video = out.add_stream_from_template(src.streams.video[0])
        tracks = [out.add_stream_from_template(src.streams.audio[0]) for _ in range(2)]
        for packet in src.demux():
            if packet.dts is None:
                continue
            targets = [video] if packet.stream.type == "video" else tracks
            for target in targets:
                packet.stream = target
                out.mux(packet)
    first.unlink()
    return path


def test_every_audio_track_is_carried_and_dropped_ones_named_in_one_note(tmp_path: Path, tiny_model: Path) -> None:
    src = _two_audio_tracks(tmp_path / "two.mkv")
    result = run(src, tmp_path / "out.mkv", tiny_model)
    with av.open(str(tmp_path / "out.mkv")) as out:
        assert [s.type for s in out.streams] == ["video", "audio", "audio"]
    assert not [n for n in result.notes if "not carried over" in n], result.notes
    assert result.audio == "audio: copied (aac, not re-encoded); audio #2: copied (aac, not re-encoded)"
    muted = run(src, tmp_path / "muted.mkv", tiny_model, encode=Encoding(audio=False))
    assert [n for n in muted.notes if "not carried over" in n] == [
        "not carried over: audio #1 (aac): --no-audio, audio #2 (aac): --no-audio"
    ]


def test_kept_partial_audio_ends_with_its_video(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=60, rate=12, audio=True)
    stop = threading.Event()
    result = run(
        src,
        tmp_path / "out.mp4",
        tiny_model,
        runtime=cpu(batch=2),
        keep_partial=True,
        stop=stop,
        on_batch=lambda b: b.first_index >= 10 and stop.set(),
    )
    _, times, _ = read_video(result.output)
    audio_end = audio_duration_seconds(result.output)
    assert result.interrupted and audio_end is not None
    # At most one audio packet (64 ms at 16 kHz AAC) past the end of the last frame.
    assert audio_end <= times[-1] + 1 / 12 + 0.07, (audio_end, times[-1])
