"""training/config.py through the CLI: numbers and paths refused in one line, before any folder."""

from pathlib import Path

import pytest

from conftest import CliResult, assert_one_error_line, write_test_image


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--content-weight", "nan"], "content weight must be 0 or more"),
        (["--stability-weight", "-5"], "stability weight must be 0 or more"),
        (["--preview-every", "-1"], "preview every must be 0 or more"),
        (["--workers", "-1"], "workers must be 0 or more"),
        (["--clip-grad-norm", "-1"], "clip grad norm must be 0 or more"),
        (["--content-layers", "nosuch"], "unknown VGG layer(s) nosuch"),
    ],
)
def test_cli_bad_train_numbers_are_one_line_and_leave_no_run_folder(  # type: ignore[no-untyped-def]
    flags: list[str], needle: str, image_folder: Path, tmp_path: Path, cli
) -> None:
    style = write_test_image(tmp_path / "style.png")
    out = tmp_path / "m.safetensors"
    assert_one_error_line(
        cli("train", "--data", image_folder, "--style", style, "-o", out, "--loss-net", "vgg19-random", *flags), needle
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "style.png"]


def test_cli_a_run_folder_inside_the_training_data_is_refused(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png")
    before = sorted(image_folder.rglob("*"))

    def train(output: Path, *flags: object) -> CliResult:
        return cli(
            "train", "--data", image_folder, "--style", style, "-o", output, "--loss-net", "vgg19-random", *flags
        )

    assert_one_error_line(
        train(image_folder / "m.safetensors"), "is inside the training data", "previews would become training images"
    )
    assert_one_error_line(
        train(tmp_path / "m.safetensors", "--run-dir", image_folder / "sub"), "inside the training data"
    )
    assert sorted(image_folder.rglob("*")) == before
    assert_one_error_line(train(tmp_path / "m.xyz"), "must end in .safetensors, not 'm.xyz'")
    assert_one_error_line(
        train(tmp_path / "m.safetensors", "--run-dir", style), "style.png is a file; choose another --run-dir"
    )


def test_cli_more_bad_train_inputs_are_one_line(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png")
    tiny = write_test_image(tmp_path / "tiny.png", 8, 8)
    out = tmp_path / "m.safetensors"
    base = ["--data", image_folder, "-o", out, "--loss-net", "vgg19-random", "--steps", "1", "--image-size", "32"]
    assert_one_error_line(cli("train", *base, "--style", tiny), "tiny.png would be 8x8 px")
    assert_one_error_line(cli("train", *base, "--style", style, "--seed", str(2**70)), "seed must be from 0")
    assert_one_error_line(
        cli("train", *base, "--style", style, "--run-dir", out), "the run folder and the output are both"
    )
    assert_one_error_line(
        cli("train", *base, "--style", style, "--content-layers", "relu1_1,,relu2_1"), "a layer list has an empty item"
    )
    (tmp_path / "m-run").mkdir()
    (tmp_path / "m-run" / "losses.csv").write_text("step,total\n")
    assert_one_error_line(
        cli("train", *base, "--style", style), "holds an earlier run's losses.csv but no checkpoint to resume", "-y"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-run", "photos", "style.png", "tiny.png"]
