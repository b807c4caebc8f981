"""Runs that outlast a sitting: fp16 snapshots, --init-from segments on the card, recipes, threads."""

from pathlib import Path

import pytest
import torch

from conftest import assert_one_error_line, write_test_image
from test_trainer import small_config
from vidstyle import load_model
from vidstyle.cli import build_parser
from vidstyle.commands.train import RECIPE_OPTIONS, config_values
from vidstyle.errors import VidstyleError
from vidstyle.training.recipes import RECIPES
from vidstyle.training.trainer import TrainResult, train


@pytest.fixture
def style(tmp_path: Path) -> Path:
    return write_test_image(tmp_path / "style.png", 64, 64, seed=9, pattern=True)


def _one_step_from(model: Path, image_folder: Path, style: Path, output: Path, **changes: object) -> TrainResult:
    """One --init-from step; width=None, not small_config's 0.25, so the net takes the model's own width."""
    return train(small_config(image_folder, style, output, steps=1, width=None, init_from=str(model), **changes))


def test_snapshots_are_fp16_models_with_the_steps_so_far(image_folder: Path, style: Path, tmp_path: Path) -> None:
    result = train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=4, snapshot_every=2))
    assert sorted(p.name for p in result.run_dir.glob("model-*")) == [
        "model-000002.safetensors",
        "model-000004.safetensors",
    ]
    snapshot = load_model(result.run_dir / "model-000004.safetensors")
    assert snapshot.card.steps == 4 and len(snapshot.card.segments) == 1
    final = load_model(result.output)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():  # the step-4 snapshot is the final net, rounded to fp16
        assert float((snapshot.net(x) - final.net(x)).abs().max()) < 5e-3


def test_init_from_adds_a_segment_and_starts_from_the_model_with_a_warm_up(
    image_folder: Path, style: Path, tmp_path: Path
) -> None:
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=3, width=0.5))
    second = _one_step_from(
        first.output, image_folder, style, tmp_path / "b.safetensors", lr=1e-2, warmup_steps=100, recipe=""
    )
    a, b = load_model(first.output), load_model(second.output)
    assert b.net.width == 0.5  # the width comes from the model
    assert b.card.steps == 4 and [s["steps"] for s in b.card.segments] == [3, 1]
    assert b.card.segments[1]["init_from"].startswith("a.safetensors (sha256 ")
    # Step 1 of 100 runs at lr/100: Adam's first step moves each weight by about that much.
    moved = max(float((b.net.state_dict()[k] - a.net.state_dict()[k]).abs().max()) for k in a.net.state_dict())
    assert 0 < moved <= 1.1e-2 / 100


def test_a_resumed_segment_keeps_the_segments_its_start_held(image_folder: Path, style: Path, tmp_path: Path) -> None:
    """The resumed invocation no longer names --init-from: the checkpoint carries the earlier segments."""
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=3))
    second = small_config(image_folder, style, tmp_path / "b.safetensors", steps=2, init_from=str(first.output))
    second.checkpoint_every = 1
    run = train(second).run_dir
    resumed = small_config(
        image_folder, style, tmp_path / "b.safetensors", steps=4, resume=str(run / "last.pt"), run_dir=str(run)
    )
    card = load_model(train(resumed).output).card
    assert card.steps == 7 and [s["steps"] for s in card.segments] == [3, 4]


def test_init_from_a_single_style_model_starts_every_style_from_it(
    image_folder: Path, style: Path, tmp_path: Path
) -> None:
    other = write_test_image(tmp_path / "other.png", 64, 64, seed=3, pattern=True)
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=2))
    both = train(
        small_config(image_folder, [style, other], tmp_path / "b.safetensors", steps=2, init_from=str(first.output))
    )
    model = load_model(both.output)
    assert model.net.style_count == 2 and model.card.style_names == ["style", "other"] and model.card.steps == 4


def test_init_from_refuses_another_width_and_resume_from_together(  # type: ignore[no-untyped-def]
    image_folder: Path, style: Path, tmp_path: Path, cli
) -> None:
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=1))
    base = [
        "train",
        "--data",
        image_folder,
        "--style",
        style,
        "--steps",
        "1",
        "--image-size",
        "32",
        "--style-size",
        "32",
        "--loss-net",
        "vgg19-random",
        "--device",
        "cpu",
        "--precision",
        "fp32",
    ]
    assert_one_error_line(
        cli(*base, "-o", tmp_path / "b.safetensors", "--init-from", first.output, "--width", "1.0"),
        "width-0.25",
        "--width",
    )
    assert_one_error_line(
        cli(*base, "-o", tmp_path / "c.safetensors", "--init-from", first.output, "--resume-from", first.output),
        "--init-from",
        "--resume-from",
    )
    assert not (tmp_path / "b.safetensors").exists() and not (tmp_path / "c.safetensors").exists()


def test_a_recipe_fills_what_was_not_given_and_flags_win() -> None:
    args = build_parser().parse_args(
        [
            "train",
            "--data",
            "d",
            "--style",
            "s.jpg",
            "-o",
            "m.safetensors",
            "--recipe",
            "reference",
            "--steps",
            "500",
            "--style-layers",
            "relu1_2,relu2_2",
        ]
    )
    values = config_values(args)
    assert values["steps"] == 500 and values["style_layers"] == ("relu1_2", "relu2_2")  # given
    # the recipe's
    assert values["content_weight"] == 17.0 and values["style_weight"] == 50.0 and values["style_size"] is None
    base = ["train", "--data", "d", "--style", "s.jpg", "-o", "m.safetensors"]
    plain = config_values(build_parser().parse_args([*base, "--recipe", "none", "--style-size", "native"]))
    assert plain == {"style_size": None, "recipe": ""}  # none: only what was given, TrainConfig's defaults for the rest
    # Not naming one is the balanced recipe; with --teacher, distill.
    assert config_values(build_parser().parse_args(base)) == RECIPES["balanced"].values | {"recipe": "balanced"}
    teacher = config_values(build_parser().parse_args([*base, "--teacher", "t.safetensors"]))
    assert teacher == RECIPES["distill"].values | {"recipe": "distill"}
    # Other style layers than the recipe's drop its per-layer weights, which were for its own layers.
    mine = config_values(build_parser().parse_args([*base, "--style-layers", "relu1_1,relu2_1"]))
    assert "style_layer_weights" not in mine and mine["style_balance"] == "layer"
    # every recipe value has its flag
    assert all(set(recipe.values) <= set(RECIPE_OPTIONS) for recipe in RECIPES.values())


def test_threads_sets_torchs_thread_count(image_folder: Path, style: Path, tmp_path: Path) -> None:
    before = torch.get_num_threads()
    try:
        train(small_config(image_folder, style, tmp_path / "m.safetensors", steps=1, threads=1))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_style_balance_reaches_the_loss_and_the_card(image_folder: Path, style: Path, tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["train", "--data", "d", "--style", "s.jpg", "-o", "m.safetensors", "--style-balance", "layer"]
    )
    assert config_values(args)["style_balance"] == "layer"
    runs = {}
    for balance in ("sum", "layer"):
        result = train(
            small_config(
                image_folder,
                style,
                tmp_path / f"{balance}.safetensors",
                steps=1,
                style_weight=1.0,
                tv_weight=0.0,
                style_balance=balance,
            )
        )
        runs[balance] = result
        assert load_model(result.output).card.segments[-1]["style_balance"] == balance
    # The same net and batch: only the style term's layer weighting differs.
    assert runs["sum"].history[0]["content"] == pytest.approx(runs["layer"].history[0]["content"])
    assert runs["sum"].history[0]["style"] != pytest.approx(runs["layer"].history[0]["style"], rel=1e-3)
    with pytest.raises(VidstyleError, match="style balance"):
        train(small_config(image_folder, style, tmp_path / "bad.safetensors", style_balance="mean"))


def test_style_layer_weights_reach_the_loss_and_the_card(image_folder: Path, style: Path, tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["train", "--data", "d", "--style", "s.jpg", "-o", "m.safetensors", "--style-layer-weights", "4,4,1,1,1"]
    )
    assert config_values(args)["style_layer_weights"] == (4.0, 4.0, 1.0, 1.0, 1.0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(
            ["train", "--data", "d", "--style", "s.jpg", "-o", "m.safetensors", "--style-layer-weights", "4,x"]
        )
    # The small test loss net has three style layers: zero weights leave no style term at all.
    result = train(
        small_config(
            image_folder, style, tmp_path / "w.safetensors", steps=1, style_weight=1.0, style_layer_weights=(0.0,) * 3
        )
    )
    assert result.history[0]["style"] == 0.0
    assert load_model(result.output).card.segments[-1]["style_layer_weights"] == [0.0] * 3
    with pytest.raises(VidstyleError, match="2 numbers for 3 style layers"):
        train(small_config(image_folder, style, tmp_path / "bad.safetensors", style_layer_weights=(1.0, 2.0)))
    with pytest.raises(VidstyleError, match="0 or more"):
        train(small_config(image_folder, style, tmp_path / "neg.safetensors", style_layer_weights=(1.0, 1.0, -1.0)))


def test_init_from_a_tanh_model_can_go_on_with_a_clamp_head(image_folder: Path, style: Path, tmp_path: Path) -> None:
    first = train(small_config(image_folder, style, tmp_path / "a.safetensors", steps=2))
    second = _one_step_from(first.output, image_folder, style, tmp_path / "b.safetensors", head="clamp")
    assert load_model(first.output).net.head == "tanh"
    b = load_model(second.output)
    assert b.net.head == "clamp" and b.card.head == "clamp"
    kept = _one_step_from(second.output, image_folder, style, tmp_path / "c.safetensors")
    assert load_model(kept.output).net.head == "clamp"  # no --head: the model's own
    with pytest.raises(VidstyleError, match="head"):
        train(small_config(image_folder, style, tmp_path / "d.safetensors", head="relu"))
