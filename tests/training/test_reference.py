"""gatys --video: reference frames every N, never over an input or earlier frames without -y,
and nothing left behind when a run stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from clips import make_clip
from conftest import assert_one_error_line, write_test_image

TINY = ["--loss-net", "vgg19-random", "--steps", "1", "--max-side", "32", "--device", "cpu"]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "clip.mp4", frames=5, width=48, height=32)


def test_frames_every_n_then_refused_without_y(clip: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style, refs = write_test_image(tmp_path / "style.png"), tmp_path / "refs"
    assert cli("gatys", "--video", clip, "--every", "2", style, "-o", refs, *TINY).code == 0
    frames = {p.name: p.read_bytes() for p in refs.iterdir()}
    assert sorted(frames) == ["frame_000000.png", "frame_000002.png", "frame_000004.png"]
    assert_one_error_line(
        cli("gatys", "--video", clip, "--every", "2", style, "-o", refs, *TINY), "already holds reference frames", "-y"
    )
    assert {p.name: p.read_bytes() for p in refs.iterdir()} == frames
    assert cli("gatys", "--video", clip, "--every", "4", style, "-o", refs, *TINY, "-y").code == 0


def test_a_style_image_among_the_frames_is_never_written_over(clip: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    refs = tmp_path / "refs"
    refs.mkdir()
    style = write_test_image(refs / "frame_000000.png")
    before = style.read_bytes()
    assert_one_error_line(cli("gatys", "--video", clip, "--every", "2", style, "-o", refs, *TINY, "-y"), "is the input")
    assert style.read_bytes() == before and sorted(p.name for p in refs.iterdir()) == ["frame_000000.png"]


def test_a_run_stopped_midway_takes_back_its_frames_and_folder(  # type: ignore[no-untyped-def]
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    from vidstyle.training import reference

    real, calls = reference.run_gatys, []

    def stop_on_the_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(reference, "run_gatys", stop_on_the_second)
    style, refs = write_test_image(tmp_path / "style.png"), tmp_path / "refs"
    assert cli("gatys", "--video", clip, "--every", "2", style, "-o", refs, *TINY).code == 130  # as Ctrl-C exits
    assert len(calls) == 2 and not refs.exists()


def test_an_unreadable_style_makes_no_folder(clip: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "style.jpg"
    text.write_text("not a picture")
    assert_one_error_line(cli("gatys", "--video", clip, text, "-o", tmp_path / "refs", *TINY), "not a readable image")
    assert not (tmp_path / "refs").exists()
