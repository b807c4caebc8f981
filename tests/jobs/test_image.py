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
