"""No command writes over one of its inputs, however the path is spelled, and none replaces an
existing output unless -y/--overwrite is given (as ffmpeg does)."""

import os
from pathlib import Path

import pytest

from clips import make_clip
from conftest import assert_one_error_line, write_test_image


def _spellings(tmp_path: Path, original: Path) -> dict[str, Path]:
    """The same file under other names: relative, through `..`, a symlink, a hard link."""
    (tmp_path / "sub").mkdir(exist_ok=True)
    link = tmp_path / f"link{original.suffix}"
    link.symlink_to(original)
    hard = tmp_path / f"hard{original.suffix}"
    os.link(original, hard)
    return {
        "same": original,
        "relative": Path(os.path.relpath(original)),
        "dotdot": tmp_path / "sub" / ".." / original.name,
        "symlink": link,
        "hardlink": hard,
    }


@pytest.mark.parametrize("spelling", ["same", "relative", "dotdot", "symlink", "hardlink"])
def test_image_never_writes_over_its_input(spelling: str, tmp_path: Path, tiny_model: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    src = write_test_image(tmp_path / "a.png", 32, 24)
    before = src.read_bytes()
    output = _spellings(tmp_path, src)[spelling]
    # -y too: replacing an existing output is allowed, replacing the input never.
    assert_one_error_line(
        cli("-y", "image", src, "-o", output, "--model", tiny_model, "--device", "cpu"), "is the input"
    )
    assert src.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_export_never_writes_over_the_model(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "m.safetensors"
    model.write_bytes(tiny_model.read_bytes())
    assert_one_error_line(cli("-y", "export", model, "--format", "onnx", "--output", model), "must end in .onnx")
    alias = tmp_path / "m.onnx"  # the same file under an .onnx name
    os.link(model, alias)
    assert_one_error_line(cli("-y", "export", model, "--format", "onnx", "--output", alias), "is the input")
    assert model.read_bytes() == tiny_model.read_bytes()


def test_flicker_json_never_writes_over_a_clip(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=4, audio=True)
    before = src.read_bytes()
    hard = tmp_path / "same.json"
    os.link(src, hard)
    assert_one_error_line(cli("-y", "flicker", src, src, "--stats-json", src), "is the input")
    assert_one_error_line(cli("-y", "flicker", src, src, "--stats-json", hard), "is the input")
    assert src.read_bytes() == before


@pytest.mark.parametrize("spelling", ["dotdot", "symlink", "hardlink"])
def test_stylize_never_writes_over_its_input(spelling: str, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=4, audio=True)
    before = src.read_bytes()
    output = _spellings(tmp_path, src)[spelling]
    assert_one_error_line(
        cli("-y", "stylize", src, "-o", output, "--model", tiny_model, "--device", "cpu"), "is the input"
    )
    assert src.read_bytes() == before


def test_existing_output_needs_overwrite(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = write_test_image(tmp_path / "a.png", 32, 24)
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    result = cli("image", src, "-o", out, "--model", tiny_model, "--device", "cpu")
    assert_one_error_line(result, "already exists", "-y")
    assert out.read_bytes() == b"keep me"
    assert cli("image", src, "-o", out, "--model", tiny_model, "--device", "cpu", "-y").code == 0
    assert out.read_bytes() != b"keep me"
    out.write_bytes(b"keep me")
    assert cli("--overwrite", "image", src, "-o", out, "--model", tiny_model, "--device", "cpu").code == 0
    assert out.read_bytes() != b"keep me"


@pytest.mark.parametrize("command", ["stylize", "flicker", "export", "camera", "gatys", "train"])
def test_every_command_refuses_an_existing_output(command: str, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=4)
    style = write_test_image(tmp_path / "style.png", pattern=True)
    out = tmp_path / {"flicker": "out.json", "export": "out.onnx", "gatys": "out.png", "train": "out.safetensors"}.get(
        command, "out.mp4"
    )
    out.write_bytes(b"keep me")
    args = {
        "stylize": [src, "-o", out, "--model", tiny_model],
        "flicker": [src, src, "--stats-json", out],
        "export": [tiny_model, "--format", "onnx", "--output", out],
        "camera": ["--source", src, "--display", "off", "--record", out, "--model", tiny_model],
        "gatys": [style, style, "--output", out],
        "train": ["--data", tmp_path, "--style", style, "--output", out],
    }[command]
    assert_one_error_line(cli(command, *args), "already exists", "-y")
    assert out.read_bytes() == b"keep me"


def test_image_folder_refuses_existing_targets_before_any_work(  # type: ignore[no-untyped-def]
    image_folder: Path, tmp_path: Path, tiny_model: Path, cli
) -> None:
    out = tmp_path / "styled"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "img1.png").write_bytes(b"keep me")
    assert_one_error_line(
        cli("image", image_folder, "-o", out, "--model", tiny_model, "--device", "cpu"), "img1.png already exists", "-y"
    )
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["img1.png"]
    # A folder into itself would write over every input, -y or not.
    before = {p: p.read_bytes() for p in image_folder.rglob("*.png")}
    assert_one_error_line(
        cli("-y", "image", image_folder, "-o", image_folder, "--model", tiny_model, "--device", "cpu"),
        "is inside the input folder",
    )
    assert {p: p.read_bytes() for p in image_folder.rglob("*.png")} == before
