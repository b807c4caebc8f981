"""`vidstyle camera` with a file source: real-time play by default, every frame with
--no-realtime, and where frames go (--display auto|on|off, or one error line)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from clips import make_clip, read_video
from conftest import assert_one_error_line
from vidstyle.cli import main

RATE, FRAMES = 20, 40  # a 2-second clip


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


def camera(cli, src: Path, tiny_model: Path, *args: object):  # type: ignore[no-untyped-def]
    return cli("camera", "--source", src, "--model", tiny_model, "--device", "cpu", "--max-side", "64", *args)


def test_file_source_plays_in_real_time(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "clip.mp4", frames=FRAMES, rate=RATE)
    stats, record = tmp_path / "stats.json", tmp_path / "rec.mp4"
    started = time.perf_counter()
    result = camera(cli, src, tiny_model, "--display", "off", "--record", record, "--stats-json", stats)
    elapsed = time.perf_counter() - started
    assert result.code == 0, result.err
    data = json.loads(stats.read_text())
    assert elapsed >= (FRAMES - 1) / RATE * 0.95  # paced at the file's own clock, not as fast as decoding goes
    assert data["frames_captured"] == FRAMES
    assert data["frames_displayed"] + data["frames_dropped"] == FRAMES  # every late frame counted
    assert data["frames_displayed"] >= 2, data  # how many the net keeps up with depends on the machine
    frames, times, _ = read_video(record)
    assert len(frames) == data["frames_displayed"]
    assert times[-1] - times[0] == pytest.approx((FRAMES - 1) / RATE, abs=0.15)


def test_no_realtime_processes_every_frame(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "clip.mp4", frames=FRAMES, rate=RATE)
    stats, record = tmp_path / "stats.json", tmp_path / "rec.mp4"
    result = camera(
        cli, src, tiny_model, "--no-realtime", "--display", "off", "--record", record, "--stats-json", stats
    )
    assert result.code == 0, result.err
    data = json.loads(stats.read_text())
    assert (data["frames_captured"], data["frames_displayed"], data["frames_dropped"]) == (FRAMES, FRAMES, 0)
    _, times, _ = read_video(record)
    assert times == pytest.approx([i / RATE for i in range(FRAMES)], abs=2e-3)  # the file's own timing


@pytest.mark.parametrize("display", ["off", "auto"])
def test_no_output_at_all_is_one_error_line(  # type: ignore[no-untyped-def]
    display: str, tmp_path: Path, tiny_model: Path, cli, no_display: None
) -> None:
    src = make_clip(tmp_path / "clip.mp4", frames=3)
    result = camera(cli, src, tiny_model, "--display", display, "--stats-json", tmp_path / "s.json")
    assert_one_error_line(result, "nothing to show or write", "--record", "--virtual-cam")
    assert "no display" in result.err or display == "off"
    assert not (tmp_path / "s.json").exists()


def test_display_on_without_a_display_is_one_error_line(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model: Path, cli, no_display: None
) -> None:
    src = make_clip(tmp_path / "clip.mp4", frames=3)
    result = camera(cli, src, tiny_model, "--display", "on", "--record", tmp_path / "r.mp4")
    assert_one_error_line(result, "cannot open a window", "no display", "--display off")
    assert not (tmp_path / "r.mp4").exists()


def test_display_auto_without_a_window_notes_it_once_and_records(
    tmp_path: Path, tiny_model: Path, no_display: None, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_clip(tmp_path / "clip.mp4", frames=6, rate=30)
    record = tmp_path / "r.mp4"
    code = main(
        ["camera", "--source", str(src), "--model", str(tiny_model), "--device", "cpu", "--record", str(record)]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    notes = [line for line in err.splitlines() if "window" in line]
    assert notes == ["vidstyle: no window: no display (DISPLAY is not set); frames go to --record only"]
    # The first line can only say "at most 480"; the size the net runs at follows with the first frame, once.
    first = [line for line in err.splitlines() if "size" in line]
    assert "at most 480" in first[0] and len(first) == 2, err
    assert first[1] == "vidstyle: tiny: size 64x48", first  # the clip's own size: under 480, not scaled
    assert len(read_video(record)[0]) >= 1


def test_a_missing_camera_is_one_line_without_opencv_chatter(
    tmp_path: Path, tiny_model: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec.mp4"
    code = main(
        [
            "-q",
            "camera",
            "--source",
            "97",
            "--model",
            str(tiny_model),
            "--device",
            "cpu",
            "--display",
            "off",
            "--record",
            str(record),
        ]
    )
    lines = [line for line in capfd.readouterr().err.splitlines() if line.strip()]  # OpenCV writes to fd 2 itself
    assert code != 0 and lines == [
        "vidstyle camera: error: cannot open camera source '97' (no such device, or no permission)"
    ], lines
    assert not record.exists()


def test_camera_outputs_never_clobber_each_other_or_the_model(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "clip.mp4", frames=4, rate=RATE)
    model = tmp_path / "m.safetensors"
    model.write_bytes(tiny_model.read_bytes())
    before = model.read_bytes()
    off = ("--display", "off", "--no-realtime")
    same = camera(cli, src, model, *off, "--record", tmp_path / "o.mp4", "--stats-json", tmp_path / "o.mp4")
    assert_one_error_line(same, "the recording and the stats json are the same file")
    (tmp_path / "alias").symlink_to(tmp_path)  # the same file again, through a linked folder
    same = camera(
        cli, src, model, *off, "--record", tmp_path / "o.mp4", "--stats-json", tmp_path / "alias" / "o.mp4", "-y"
    )
    assert_one_error_line(same, "the recording and the stats json are the same file")
    (tmp_path / "alias").unlink()
    over_model = camera(cli, src, model, *off, "--record", tmp_path / "o.mp4", "--stats-json", model, "-y")
    assert_one_error_line(over_model, "is the input")
    as_image = camera(cli, src, model, *off, "--record", tmp_path / "o.jpg")
    assert_one_error_line(as_image, "o.jpg is an image name")
    assert model.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "m.safetensors"]


def test_given_no_model_on_a_cpu_the_first_line_names_the_fast_model_and_why(
    tmp_path: Path, no_display: None, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_clip(tmp_path / "clip.mp4", frames=3, rate=30)
    record = tmp_path / "r.mp4"
    code = main(["camera", "--source", str(src), "--device", "cpu", "--display", "off", "--record", str(record)])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0].startswith("vidstyle: model: mosaic-fast, the default's distilled student"), lines
    assert lines[1].startswith("vidstyle: precision: "), lines  # live runs default to --precision auto
    assert any(line.startswith("vidstyle: mosaic-fast") for line in lines[2:]), lines
    # Naming a model is the user's choice: no default line.
    code = main(
        [
            "camera",
            "--source",
            str(src),
            "--model",
            "default",
            "--device",
            "cpu",
            "--precision",
            "fp32",
            "--display",
            "off",
            "--record",
            str(record),
            "-y",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0 and "model: " not in err.splitlines()[0], err
