from pathlib import Path

import numpy as np
from PIL import Image

from conftest import assert_one_error_line, write_test_image


def test_image_keeps_size_and_max_side_only_limits_the_net(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = write_test_image(tmp_path / "in.png", 321, 241)
    assert cli("image", src, tmp_path / "full.png", "--model", tiny_model, "--device", "cpu").code == 0
    assert cli("image", src, tmp_path / "small.png", "--model", tiny_model, "--device", "cpu", "--max-side", "64").code == 0
    full, small = np.asarray(Image.open(tmp_path / "full.png")), np.asarray(Image.open(tmp_path / "small.png"))
    assert full.shape == small.shape == (241, 321, 3)
    assert np.abs(full.astype(int) - small.astype(int)).mean() > 1  # it really ran at another size


def test_folder_into_folder_keeps_relative_paths(image_folder: Path, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "styled"
    out.mkdir()
    result = cli("image", image_folder, out, "--model", tiny_model, "--device", "cpu")
    assert result.code == 0, result.err
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == sorted(p.relative_to(image_folder).as_posix() for p in image_folder.rglob("*.png"))


def test_image_bad_inputs(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert_one_error_line(cli("image", tmp_path / "missing.png", tmp_path / "o.png", "--model", tiny_model), "not found")
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    assert_one_error_line(cli("image", text, tmp_path / "o.png", "--model", tiny_model), "not a readable image")
    src = write_test_image(tmp_path / "in.png")
    assert_one_error_line(cli("image", src, tmp_path / "nowhere" / "o.png", "--model", tiny_model), "output folder does not exist")
    assert not (tmp_path / "o.png").exists()


def test_folder_skips_and_counts_unreadable_files_then_fails(image_folder: Path, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (image_folder / "broken.png").write_text("not an image")
    (image_folder / "sub" / "empty.jpg").write_bytes(b"")
    out = tmp_path / "styled"
    out.mkdir()
    result = cli("image", image_folder, out, "--model", tiny_model, "--device", "cpu")
    assert_one_error_line(result, "skipped 2 unreadable file(s)", "the other 4 were written")
    assert sorted(p.name for p in out.rglob("*.png")) == ["img0.png", "img1.png", "img2.png", "img3.png"]


def test_api_errors_do_not_quote_cli_flags(tmp_path: Path, tiny_model: Path) -> None:
    import pytest

    from clips import make_clip
    from vidstyle.errors import VidstyleError
    from vidstyle.jobs.video import stylize_video

    src = make_clip(tmp_path / "in.mp4", frames=2)
    for kwargs in ({"batch": 0}, {"temporal_blend": 2.0}, {"crf": 99}, {"preset": "bogus"}):
        with pytest.raises(VidstyleError) as caught:
            stylize_video(src, tmp_path / "out.mp4", model=tiny_model, device="cpu", progress=False, **kwargs)  # type: ignore[arg-type]
        assert "--" not in str(caught.value), caught.value
