"""Files given as --model that are not vidstyle models are named for what they are, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from vidstyle.foreign import describe


@pytest.mark.parametrize(
    ("suffix", "kind"),
    [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WebP"), (".gif", "GIF"), (".bmp", "BMP"), (".tif", "TIFF")],
)
def test_a_style_image_says_it_is_an_image(tmp_path: Path, suffix: str, kind: str) -> None:
    path = tmp_path / f"starry{suffix}"
    Image.new("RGB", (8, 8), (200, 40, 40)).save(path)
    line = describe(path)
    assert line is not None and "\n" not in line
    assert line.startswith(f"{path} is a {kind} image, not a style model")
    assert "vidstyle train --data PHOTOS/ --style starry" + suffix in line and "vidstyle models" in line


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy-pickle"])
def test_a_torch_checkpoint_points_to_vidstyle_import(tmp_path: Path, zip_format: bool) -> None:
    path = tmp_path / "candy.pth"
    torch.save({"conv1.conv2d.weight": torch.zeros(2, 3, 1, 1)}, path, _use_new_zipfile_serialization=zip_format)
    line = describe(path)
    assert line is not None and "\n" not in line
    assert line.startswith(f"{path} is a PyTorch checkpoint")
    assert line.endswith("`vidstyle import candy.pth -o candy.safetensors`")


def test_other_files_are_not_guessed_at(tmp_path: Path, tiny_model: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.pth").write_bytes(b"")
    import zipfile

    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "not a checkpoint")
    for path in (
        tiny_model,
        tmp_path / "notes.txt",
        tmp_path / "empty.pth",
        tmp_path / "other.zip",
        tmp_path / "missing.pth",
    ):
        assert describe(path) is None, path


def test_the_cli_names_an_image_or_a_checkpoint_given_as_model(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from conftest import assert_one_error_line, write_test_image

    photo = write_test_image(tmp_path / "in.png")
    style = tmp_path / "starry.jpg"
    Image.new("RGB", (8, 8), (200, 40, 40)).save(style)
    checkpoint = tmp_path / "candy.pth"
    torch.save({"conv1.conv2d.weight": torch.zeros(2, 3, 1, 1)}, checkpoint)
    assert_one_error_line(
        cli("image", photo, "-o", tmp_path / "a.png", "--model", style), "is a JPEG image, not a style model"
    )
    assert_one_error_line(
        cli("image", photo, "-o", tmp_path / "b.png", "--model", checkpoint), "vidstyle import candy.pth"
    )
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()
