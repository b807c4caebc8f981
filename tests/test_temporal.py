"""Flicker metric on sequences with known motion, the runtime blend, and the stability loss."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from clips import make_clip
from vidstyle.temporal import TemporalBlender, blend_weight, warping_error
from vidstyle.training.stability import random_affine, stability_loss, warp


def moving_texture(
    frames: int = 8, height: int = 72, width: int = 96, step: tuple[int, int] = (2, 1)
) -> list[np.ndarray]:
    """A smooth random texture seen through a window that moves `step` pixels per frame."""
    rng = np.random.default_rng(0)
    big = rng.random((height // 4 + 12, width // 4 + 12, 3)).astype(np.float32)
    import cv2

    big = cv2.resize(big, ((width // 4 + 12) * 4, (height // 4 + 12) * 4), interpolation=cv2.INTER_CUBIC)
    big = (np.clip(big, 0, 1) * 255).astype(np.uint8)
    dx, dy = step
    return [big[4 + i * dy : 4 + i * dy + height, 4 + i * dx : 4 + i * dx + width].copy() for i in range(frames)]


def test_consistent_stylization_scores_near_zero() -> None:
    frames = moving_texture()
    inverted = [255 - f for f in frames]  # a "style" that moves exactly with the content
    report = warping_error(zip(frames, inverted))
    assert report.stylized_warping_error < 0.03
    assert report.frames == len(frames)


def test_per_frame_noise_scores_high() -> None:
    frames = moving_texture()
    rng = np.random.default_rng(1)
    noisy = [np.clip(f.astype(int) + rng.normal(0, 25, f.shape), 0, 255).astype(np.uint8) for f in frames]
    steady = warping_error(zip(frames, frames))
    flickery = warping_error(zip(frames, noisy))
    assert flickery.stylized_warping_error > 3 * steady.stylized_warping_error
    assert flickery.ratio > 3


def test_clip_against_itself_has_ratio_one() -> None:
    frames = moving_texture()
    report = warping_error(zip(frames, frames))
    assert report.ratio == pytest.approx(1.0)


def test_runtime_blend_reduces_flicker() -> None:
    frames = moving_texture(frames=10)
    rng = np.random.default_rng(2)
    noisy = [np.clip(f.astype(int) + rng.normal(0, 25, f.shape), 0, 255).astype(np.uint8) for f in frames]
    blender = TemporalBlender(0.6)
    blended = [blender(src, out) for src, out in zip(frames, noisy)]
    assert (
        warping_error(zip(frames, blended)).stylized_warping_error
        < 0.7 * warping_error(zip(frames, noisy)).stylized_warping_error
    )


def test_blend_weight_is_alpha_where_the_flow_predicts_the_input_and_near_zero_where_it_misses() -> None:
    rng = np.random.default_rng(3)
    source = rng.integers(0, 200, (6, 8, 3), dtype=np.uint8)
    mask = np.ones((6, 8), bool)
    mask[0, 0] = False
    missed = source.copy()
    missed[3:, :] += 51  # 0.2 off
    missed[2, :] += 3  # about H.264 noise: 0.012 off
    before = (source.copy(), missed.copy(), mask.copy())
    weight = blend_weight(0.9, mask, missed, source)
    assert weight.shape == (6, 8)
    assert weight[0, 0] == 0.0
    np.testing.assert_allclose(weight[1], 0.9)
    np.testing.assert_allclose(weight[2], 0.9 * np.exp(-((3 / 255 / 0.05) ** 2)), rtol=1e-5)
    assert weight[2].min() > 0.85
    assert weight[3:].max() < 1e-6
    for a, b in zip(before, (source, missed, mask)):
        np.testing.assert_array_equal(a, b)  # inputs untouched


def test_blend_lets_a_sudden_change_through_instead_of_ghosting() -> None:
    """A light switched on: the flow is still (and passes its check), but the picture changed,
    so the new stylized frame must come out as it is, not mixed with the old one."""
    dark = moving_texture(frames=1)[0] // 2
    lit = dark + 100
    old_style, new_style = np.full_like(dark, 40), np.full_like(dark, 220)
    for sigma, expect_through in ((0.05, True), (float("inf"), False)):
        blender = TemporalBlender(0.9, sigma=sigma)
        blender(dark, old_style)
        out = blender(lit, new_style)
        through = np.abs(out.astype(int) - new_style).mean() < 2
        assert through == expect_through, sigma


def test_stylize_with_blend_and_flicker_cli(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=10, width=64, height=48)
    out = tmp_path / "out.mp4"
    assert cli("stylize", src, "-o", out, "--model", tiny_model, "--device", "cpu", "--temporal-blend", "0.5").code == 0
    result = cli("flicker", src, out, "--stats-json", tmp_path / "f.json")
    assert result.code == 0, result.err
    data = json.loads((tmp_path / "f.json").read_text())
    assert {"stylized_warping_error", "input_warping_error", "ratio", "frames"} <= set(data)
    assert data["frames"] == 10 and data["ratio"] > 0


def test_stability_loss_is_small_for_an_equivariant_net() -> None:
    x = torch.rand(2, 3, 32, 32)
    identity = torch.nn.Identity()
    small = stability_loss(identity, x, x, seed=0)
    blur = torch.nn.Conv2d(3, 3, 3, padding=1)
    with torch.no_grad():
        noisy = stability_loss(lambda t: blur(t) + torch.rand_like(t), x, blur(x), seed=0)  # type: ignore[arg-type]
    assert float(small) < 1e-3 < float(noisy)
    theta = random_affine(2, torch.Generator().manual_seed(0))
    assert warp(x, theta).shape == x.shape


def test_flicker_bad_input_is_one_line(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from conftest import assert_one_error_line

    small = make_clip(tmp_path / "a.mp4", frames=3, width=64, height=48)
    big = make_clip(tmp_path / "b.mp4", frames=3, width=96, height=64)
    assert_one_error_line(cli("flicker", tmp_path / "missing.mp4", small), "not found")
    assert_one_error_line(cli("flicker", small, big, "--stats-json", tmp_path / "f.json"), "sizes differ")
    assert not (tmp_path / "f.json").exists()
