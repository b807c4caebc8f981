"""training/trainer.py on bad input: one stderr line and nonzero exit for what cannot train, skipped files
for what cannot be read, and what a refused, replaced or stopped run leaves on disk."""

from pathlib import Path

import pytest

from conftest import assert_one_error_line, write_test_image
from test_trainer import small_config
from vidstyle.training.trainer import train

# --- bad input through the CLI: one stderr line, nonzero exit, no output file ---------------


def test_cli_missing_vgg_weights_file(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png")
    out = tmp_path / "m.safetensors"
    result = cli(
        "train",
        "--data",
        image_folder,
        "--style",
        style,
        "--output",
        out,
        "--vgg-weights",
        tmp_path / "nope.pth",
        "--steps",
        "1",
    )
    assert_one_error_line(result, "VGG weights file not found", "nope.pth")
    assert not out.exists()


def test_cli_empty_dataset(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty"
    empty.mkdir()
    style = write_test_image(tmp_path / "style.png")
    out = tmp_path / "m.safetensors"
    result = cli("train", "--data", empty, "--style", style, "--output", out, "--loss-net", "vgg19-random")
    assert_one_error_line(result, "no training images", str(empty))
    assert not out.exists()


def test_cli_style_that_is_not_an_image(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = tmp_path / "style.jpg"
    style.write_text("this is not a picture")
    out = tmp_path / "m.safetensors"
    result = cli("train", "--data", image_folder, "--style", style, "--output", out, "--loss-net", "vgg19-random")
    assert_one_error_line(result, "not a readable image", "style.jpg")
    assert not out.exists()
    gatys_out = tmp_path / "g.png"
    result = cli("gatys", image_folder / "img0.png", style, "--output", gatys_out, "--loss-net", "vgg19-random")
    assert_one_error_line(result, "not a readable image")
    assert not gatys_out.exists()


# --- training files that cannot be read: skipped and counted, not fatal ---------------------


def test_unreadable_training_files_are_skipped(image_folder: Path, tmp_path: Path) -> None:
    (image_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    result = train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=2))
    assert result.skipped_files == 1


def test_late_decode_failures_are_counted_with_worker_processes(image_folder: Path, tmp_path: Path) -> None:
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.open(image_folder / "img0.png").convert("RGB").save(photo, quality=95)
    data = photo.read_bytes()
    (image_folder / "truncated.jpg").write_bytes(data[: len(data) * 2 // 3])  # a valid header, cut-off pixels
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    result = train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=3, workers=1))
    assert result.skipped_files >= 1


# --- an earlier run folder: kept unless resumed or replaced with -y; a stopped run takes back its own


def _small_run_args(data: Path, style: Path, *, image_size: int, batch_size: int, preview_every: int) -> list[object]:
    """`train` flags for a CPU run of seconds that checkpoints every step, so the run folder has something to lose."""
    return [
        "--data",
        data,
        "--style",
        style,
        "--image-size",
        str(image_size),
        "--batch-size",
        str(batch_size),
        "--width",
        "0.25",
        "--loss-net",
        "vgg19-random",
        "--precision",
        "fp32",
        "--checkpoint-every",
        "1",
        "--preview-every",
        str(preview_every),
        "-q",
    ]


def test_cli_keeps_an_earlier_run_unless_resumed_or_told_y(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png")
    common = [*_small_run_args(image_folder, style, image_size=64, batch_size=2, preview_every=2), "--steps", "2"]
    first = tmp_path / "m.safetensors"
    assert cli("train", *common, "--output", first).code == 0
    run = tmp_path / "m-run"
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert {"last.pt", "losses.csv", "preview-000002.jpg"} <= set(before)
    first.unlink()  # the model is gone, the run folder with its checkpoint is not
    result = cli("train", *common, "--output", first)
    assert_one_error_line(result, "already holds a training run", "--resume", "-y")
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before and not first.exists()
    # resuming is allowed
    assert cli("train", *common, "--output", first, "--resume", run / "last.pt", "--steps", "3").code == 0
    assert cli("train", *common, "--output", first, "-y", "--steps", "1", "--preview-every", "1").code == 0
    # the old run's previews went with it
    assert sorted(p.name for p in run.iterdir()) == ["last.pt", "losses.csv", "preview-000001.jpg"]
    assert len((run / "losses.csv").read_text().splitlines()) == 2  # header and the new run's one step


def test_cli_y_takes_the_old_run_away_only_after_every_check_and_never_an_input(  # type: ignore[no-untyped-def]
    image_folder: Path, tmp_path: Path, cli
) -> None:
    style = write_test_image(tmp_path / "style.png")
    common = _small_run_args(image_folder, style, image_size=32, batch_size=1, preview_every=1)
    assert cli("train", *common, "--steps", "2", "-o", tmp_path / "other.safetensors").code == 0
    assert cli("train", *common, "--steps", "2", "-o", tmp_path / "m.safetensors").code == 0
    run = tmp_path / "m-run"
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    late = cli(
        "train",
        *common,
        "--steps",
        "2",
        "-o",
        tmp_path / "m.safetensors",
        "-y",
        "--resume",
        tmp_path / "other-run" / "last.pt",
    )
    assert_one_error_line(late, "checkpoint is already at step 2")
    # -y gave nothing away for a run that never started
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    inside = run / "preview-000009.jpg"  # a style image that looks like one of the run's previews
    inside.write_bytes(style.read_bytes())
    assert_one_error_line(
        cli("train", *common, "--steps", "2", "-o", tmp_path / "m.safetensors", "-y", "--style", inside), "is the input"
    )
    assert inside.read_bytes() == style.read_bytes()


def test_a_run_stopped_before_its_first_checkpoint_takes_back_its_new_folder(
    image_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidstyle.training import run_outputs

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # at the first preview, before the first checkpoint

    monkeypatch.setattr(run_outputs, "write_image", stop)
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    config = small_config(
        image_folder,
        style,
        tmp_path / "m.safetensors",
        run_dir=str(tmp_path / "deep" / "run"),
        preview_every=1,
        checkpoint_every=5,
    )
    with pytest.raises(KeyboardInterrupt):
        train(config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "style.png"]
