"""What `stylize` and `image` say about inputs meant for another command, and the first log
line that names what a run uses: the style chosen and the size the net runs at."""

from pathlib import Path

import pytest

from clips import make_clip
from conftest import assert_one_error_line, write_test_image
from vidstyle.cli import main


def test_a_url_is_one_line_that_says_urls_are_not_supported(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("stylize", "https://example.com/clip.mp4", "-o", tmp_path / "out.mp4")
    assert_one_error_line(result, "https://example.com/clip.mp4", "URLs are not supported")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_points_to_batch(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "videos").mkdir()
    assert_one_error_line(
        cli("stylize", tmp_path / "videos", "-o", tmp_path / "out.mp4"), "is a folder", "vidstyle batch"
    )
    assert not (tmp_path / "out.mp4").exists()


def test_a_photo_into_a_video_points_to_image_and_writes_nothing(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    photo = write_test_image(tmp_path / "photo.jpg")
    assert_one_error_line(
        cli("stylize", photo, "-o", tmp_path / "x.mp4", "--model", tiny_model), "is an image", "vidstyle image"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg"]


def test_image_given_a_video_points_to_stylize(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    clip = make_clip(tmp_path / "x.mp4", frames=2)
    assert_one_error_line(
        cli("image", clip, "-o", tmp_path / "x.png", "--model", tiny_model), "is a video", "vidstyle stylize"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mp4"]


def _first_line(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    assert main([*map(str, args), "--device", "cpu"]) == 0
    return capsys.readouterr().err.splitlines()[0]


def test_the_first_line_names_the_chosen_style(
    tmp_path: Path, three_style_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=2, width=64, height=48)
    stylize = ("stylize", clip, "--model", three_style_model)
    assert ", style candy, " in _first_line(capsys, *stylize, "-o", tmp_path / "a.mp4")  # the model's first
    assert ", style udnie, " in _first_line(capsys, *stylize, "-o", tmp_path / "b.mp4", "--style", "udnie")
    assert ", style mosaic, " in _first_line(capsys, *stylize, "-o", tmp_path / "c.mp4", "--style", "1")
    photo = write_test_image(tmp_path / "in.png")
    assert ", style udnie, " in _first_line(
        capsys, "image", photo, "-o", tmp_path / "d.png", "--model", three_style_model, "--style", "udnie"
    )


def test_the_first_line_says_the_size_the_net_runs_at(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=2, width=64, height=48)
    stylize = ("stylize", clip, "--model", tiny_model)
    assert ", size 64x48, " in _first_line(capsys, *stylize, "-o", tmp_path / "full.mp4")  # the source's own size
    assert ", size 32x24 (scaled from 64x48), " in _first_line(
        capsys, *stylize, "-o", tmp_path / "small.mp4", "--max-side", "32"
    )
    photo = write_test_image(tmp_path / "in.png", 48, 40)
    assert ", size 24x20 (scaled from 48x40), " in _first_line(
        capsys, "image", photo, "-o", tmp_path / "small.png", "--model", tiny_model, "--max-side", "24"
    )
