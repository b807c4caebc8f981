"""Distillation: a small student trained on a teacher's pictures, its styles and card from the teacher."""

from pathlib import Path

import torch

from conftest import assert_one_error_line, write_test_image
from test_trainer import small_config
from vidstyle import load_model
from vidstyle.images import read_image
from vidstyle.training.trainer import train


def distance_to_teacher(
    student: torch.nn.Module, teacher: torch.nn.Module, x: torch.Tensor, weights: torch.Tensor
) -> float:
    with torch.no_grad():
        return float((student(x, weights) - teacher(x, weights)).abs().mean())


def test_a_separable_student_learns_a_two_style_teachers_pictures(image_folder: Path, tmp_path: Path) -> None:
    styles = [
        write_test_image(tmp_path / f"{name}.png", 64, 64, seed=seed, pattern=True)
        for name, seed in (("ink", 9), ("sun", 4))
    ]
    teacher = train(small_config(image_folder, styles, tmp_path / "teacher.safetensors", steps=12, lr=5e-3))
    config = small_config(
        image_folder,
        [],
        tmp_path / "student.safetensors",
        steps=40,
        lr=5e-3,
        teacher=str(teacher.output),
        residual_blocks=2,
        separable=True,
        content_layers=("relu1_1", "relu2_1"),
        pixel_weight="1x",
        tv_weight=0.0,
        style_weight=0.0,  # plain distillation: no texture term
    )
    student = train(config)
    model, taught = load_model(student.output), load_model(teacher.output)
    assert model.net.separable and len(model.net.residuals) == 2 and model.net.style_count == 2
    assert model.card.style_names == taught.card.style_names == ["ink", "sun"]
    assert (
        model.card.segments[0]["teacher"].startswith("teacher.safetensors (sha256 ")
        and model.card.segments[0]["pixel_weight"] > 0
    )
    assert {"content", "pixel"} <= set(student.history[0])
    # photos like those it learned on
    x = torch.stack([read_image(path, max_side=64)[0] for path in sorted(image_folder.rglob("*.png"))[:2]])
    for row in (0, 1):
        weights = torch.nn.functional.one_hot(torch.tensor([row, row]), 2).float()
        untrained = distance_to_teacher(_fresh_like(model.net), taught.net, x, weights)
        assert distance_to_teacher(model.net, taught.net, x, weights) < 0.7 * untrained


def _fresh_like(net: torch.nn.Module) -> torch.nn.Module:
    from vidstyle.net import same_shape

    torch.manual_seed(0)
    return same_shape(net, net.style_count).eval()  # type: ignore[arg-type]


def test_a_teacher_with_other_style_images_or_none_at_all_is_one_line(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "ink.png", 64, 64, seed=9, pattern=True)
    teacher = train(small_config(image_folder, style, tmp_path / "teacher.safetensors", steps=1))
    base = [
        "train",
        "--data",
        image_folder,
        "--steps",
        "1",
        "--image-size",
        "32",
        "--loss-net",
        "vgg19-random",
        "--device",
        "cpu",
        "--precision",
        "fp32",
        "--content-layers",
        "relu1_1",
    ]
    assert_one_error_line(cli(*base, "-o", tmp_path / "a.safetensors"), "style image", "--teacher")
    assert_one_error_line(
        cli(*base, "-o", tmp_path / "b.safetensors", "--teacher", teacher.output, "--style", style, style), "1 styles"
    )
    assert not (tmp_path / "a.safetensors").exists() and not (tmp_path / "b.safetensors").exists()


def test_a_student_given_a_style_weight_but_no_style_images_learns_its_teachers_texture(
    image_folder: Path, tmp_path: Path
) -> None:
    style = write_test_image(tmp_path / "ink.png", 64, 64, seed=9, pattern=True)
    teacher = train(small_config(image_folder, style, tmp_path / "teacher.safetensors", steps=1))
    student = train(
        small_config(
            image_folder, [], tmp_path / "s.safetensors", steps=2, teacher=str(teacher.output), style_weight="2x"
        )
    )
    assert student.history[0]["style"] > 0
    segment = load_model(student.output).card.segments[0]
    assert segment["style_weight"] > 0 and segment["teacher"].startswith("teacher.safetensors")
