"""stylize --start/--duration/--to/--frames, like ffmpeg's -ss/-t/-to/-frames:v: the frames
kept, their pts from zero, and the audio trimmed to match."""

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from clips import audio_duration_seconds, make_clip, make_ts, read_video
from conftest import assert_one_error_line


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "in.mp4", frames=48, rate=12, audio=True)  # 4 s, keyframes every 12 frames by default


@pytest.mark.parametrize(
    ("args", "frames", "seconds"),
    [
        (["--start", "1", "--duration", "1.5"], 18, 1.5),
        (["--start", "0:01", "--to", "2.5"], 18, 1.5),
        (["--start", "1.5", "--frames", "6"], 6, 0.5),
        (["--frames", "10"], 10, 10 / 12),
    ],
)
def test_trimmed_part_starts_at_zero_with_its_audio(  # type: ignore[no-untyped-def]
    args: list[str], frames: int, seconds: float, clip: Path, tmp_path: Path, tiny_model: Path, cli
) -> None:
    out = tmp_path / "out.mp4"
    result = cli("stylize", clip, "-o", out, "--model", tiny_model, "--device", "cpu", "--max-side", "32", *args)
    assert result.code == 0, result.err
    got, times, _ = read_video(out)
    assert len(got) == frames
    assert times[0] == pytest.approx(0.0, abs=1e-3)
    assert np.allclose(np.diff(times), 1 / 12, atol=2e-3)
    audio = audio_duration_seconds(out)
    assert audio is not None and abs(audio - seconds) < 0.15, (audio, seconds)


def test_trim_out_of_order_is_one_line(clip: Path, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert_one_error_line(
        cli("stylize", clip, "-o", tmp_path / "o.mp4", "--model", tiny_model, "--start", "2", "--to", "1"),
        "must come after its start",
    )
    assert_one_error_line(
        cli("stylize", clip, "-o", tmp_path / "o.mp4", "--model", tiny_model, "--start", "abc"), "expected seconds"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_a_start_past_the_end_is_one_line_before_the_model_loads(clip: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "stylize", clip, "-o", tmp_path / "o.mp4", "--model", tmp_path / "never-read.safetensors", "--start", "5"
    )
    assert_one_error_line(result, "start 5 s is past the end of in.mp4 (4.0 s long)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_a_time_trim_shows_a_total_and_an_eta(
    clip: Path, tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vidstyle.cli import main

    assert (
        main(
            [
                "stylize",
                str(clip),
                "-o",
                str(tmp_path / "o.mp4"),
                "--model",
                str(tiny_model),
                "--device",
                "cpu",
                "--max-side",
                "32",
                "--start",
                "1",
                "--duration",
                "1.5",
            ]
        )
        == 0
    )
    bars = [line for line in capsys.readouterr().err.splitlines() if line.startswith("in.mp4:")]
    assert bars and "18/18" in bars[-1], bars


@pytest.mark.parametrize(("args", "first"), [(["--start", "2", "--duration", "1"], 2.0), (["--duration", "1"], 0.0)])
def test_an_mpeg_ts_starting_at_1_6_s_is_trimmed_as_ffmpeg_does(  # type: ignore[no-untyped-def]
    args: list[str], first: float, tmp_path: Path, tiny_model: Path, cli
) -> None:
    """ffmpeg's -ss/-t count from the file's first timestamp (here 1.59 s: the audio's), and
    its output starts at 0. Counted in absolute time, --duration 1 found no frames and
    --start 2 --duration 1 kept 4 frames from 2.6 s."""
    src = make_ts(tmp_path / "in.ts", start=1.6, frames=40, rate=10)
    with av.open(str(src)) as container:
        origin = container.start_time / av.time_base
        # What ffmpeg -ss S -t 1 keeps: the frames whose time after the first timestamp is in [S, S + 1).
        expected = [
            t for t in (f.pts * f.time_base for f in container.decode(video=0)) if first <= t - origin < first + 1
        ]
    assert len(expected) == 10  # the count ffmpeg -ss 2 -t 1 gives for this file
    if shutil.which("ffmpeg"):  # and ffmpeg itself, where it is installed
        reference = tmp_path / "ffmpeg.mkv"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-ss",
                str(first),
                "-t",
                "1",
                "-i",
                str(src),
                "-an",
                "-c:v",
                "ffv1",
                str(reference),
            ],
            check=True,
        )
        assert len(read_video(reference)[1]) == len(expected)
    out = tmp_path / "out.mp4"
    result = cli("stylize", src, "-o", out, "--model", tiny_model, "--device", "cpu", "--max-side", "32", *args)
    assert result.code == 0, result.err
    _, times, _ = read_video(out)
    assert len(times) == 10
    # 0.01 s: the video starts after the audio
    assert times[0] == pytest.approx(float(expected[0]) - origin - first, abs=1e-3)
    assert np.allclose(np.diff(times), 0.1, atol=2e-3)
    audio = audio_duration_seconds(out)
    assert audio is not None and abs(audio - 1.0) < 0.1, audio


def test_a_start_past_the_last_frame_says_so(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A 2.0 s clip at 12 fps has its last frame at 1.92 s: --start 1.95 keeps nothing."""
    src = make_clip(tmp_path / "in.mp4", frames=24, rate=12)
    result = cli("stylize", src, "-o", tmp_path / "o.mp4", "--model", tiny_model, "--device", "cpu", "--start", "1.95")
    assert_one_error_line(result, "start 1.95 s is past the last frame of in.mp4 (at 1.92 s)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
