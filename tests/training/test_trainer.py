"""training/trainer.py: what a run learns and records; bad input and what a run leaves on disk are in
test_trainer_failures.py."""

from pathlib import Path

import pytest
import torch

from conftest import write_test_image
from vidstyle import load_model
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
    assert rows[0] == "content,style,tv,total,grad_norm,step,seconds" and len(rows) == 4
    assert (
        "grad_norm" not in load_model(first.output).card.final_losses
        and "total" in load_model(first.output).card.final_losses
    )
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


def test_a_clipped_gradient_keeps_the_first_steps_small(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)
    start = small_config(image_folder, style, tmp_path / "start.safetensors", steps=1)
    before = load_model(train(start).output).net.state_dict()

    def moved(name: str, **clip: float) -> tuple[float, list[float]]:
        config = small_config(image_folder, style, tmp_path / f"{name}.safetensors", steps=3, **clip)
        config.init_from, config.warmup_steps = start.output, 0
        result = train(config)
        after = load_model(result.output).net.state_dict()
        return max(float((after[k] - before[k]).abs().max()) for k in before), [r["grad_norm"] for r in result.history]

    free, norms = moved("free")
    clipped, clipped_norms = moved("clipped", clip_grad_norm=1e-9)
    # Adam's first steps move each weight by about lr whatever the gradient's size, unless the
    # gradient is so small that Adam's epsilon outweighs it: a 1e-9 clip makes it so.
    assert free > 0.5e-3 and clipped < 0.1 * free
    assert all(n > 1e-6 for n in norms + clipped_norms)  # the norm logged is the one before clipping


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
    assert model.net.style_count == 3 and model.card.style_names == ["candy", "mosaic", "udnie"]
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
    assert model.net.style_count == 3 and model.card.style_names == ["candy", "mosaic", "candy2"]
    for name, value in before.items():
        if value.dim() == 2:  # norm rows: the old two are untouched, the new one trained
            assert torch.equal(after[name][:2], value), name
        else:
            assert torch.equal(after[name], value), name
    moved = [
        name for name, value in after.items() if value.dim() == 2 and not torch.allclose(value[2], value[:2].mean(0))
    ]
    assert moved, "the new style's norm rows did not train"
