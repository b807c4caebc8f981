"""A distillation objective's terms: with `teacher_texture`, the style term is the Gram distance to
the teacher's own picture, which a texture drawn a few pixels off does not pay for."""

import torch

from vidstyle.context import resolve_context
from vidstyle.net import TransformerNet
from vidstyle.training.objective import Objective
from vidstyle.training.styles import StyleTargets
from vidstyle.training.vgg import build_loss_net


def objective(teacher: TransformerNet, *, texture: bool) -> Objective:
    loss = build_loss_net("vgg19-random", content_layers=("relu1_1",), style_layers=("relu1_1", "relu2_1"))
    return Objective(
        loss.features,
        loss.content_layers,
        loss.style_layers,
        StyleTargets(["s"], [], [{}]),
        resolve_context("cpu"),
        teacher=teacher,
        teacher_texture=texture,
    )


def test_the_teacher_texture_term_asks_for_the_teachers_texture_wherever_it_falls() -> None:
    torch.manual_seed(0)
    teacher, other = TransformerNet(width=0.25, residual_blocks=1).eval(), TransformerNet(width=0.25).eval()
    x, weights = torch.rand(2, 3, 48, 48), torch.ones(2, 1)
    texture = objective(teacher, texture=True)

    def terms(net: object) -> dict[str, float]:
        with torch.no_grad():
            raw = texture.raw_terms(net, x, weights, 0)  # type: ignore[arg-type]
        return {name: float(value) for name, value in raw.items() if name != "_output"}

    def shifted(images: torch.Tensor) -> torch.Tensor:
        return torch.roll(teacher(images, weights), shifts=(5, 7), dims=(-2, -1))

    assert terms(lambda images: teacher(images, weights))["style"] == 0.0
    moved, unlike = terms(shifted), terms(lambda images: other(images, weights))
    # Moved by a few pixels, the teacher's picture is far off place by place, yet has its texture.
    assert moved["content"] > 0.5 * unlike["content"] and moved["style"] < 0.1 * unlike["style"]
    # Without teacher_texture (plain distillation) there is no style term at all.
    with torch.no_grad():
        plain = objective(teacher, texture=False).raw_terms(lambda images: other(images, weights), x, weights, 0)
    assert float(plain["style"]) == 0.0 and float(plain["content"]) > 0
