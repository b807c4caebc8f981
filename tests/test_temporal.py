"""Flicker metric on sequences with known motion, the runtime blend, and the stability loss."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from clips import make_clip
from vidstyle.temporal import TemporalBlender, warping_error
from vidstyle.training.stability import random_affine, stability_loss, warp


def moving_texture(frames: int = 8, height: int = 72, width: int = 96, step: tuple[int, int] = (2, 1)) -> list[np.ndarray]:
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
    assert warping_error(zip(frames, blended)).stylized_warping_error < 0.7 * warping_error(zip(frames, noisy)).stylized_warping_error


def test_stylize_with_blend_and_flicker_cli(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=10, width=64, height=48)
    out = tmp_path / "out.mp4"
    assert cli("stylize", src, out, "--model", tiny_model, "--device", "cpu", "--temporal-blend", "0.5").code == 0
    result = cli("flicker", src, out, "--json", tmp_path / "f.json")
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
    assert_one_error_line(cli("flicker", small, big, "--json", tmp_path / "f.json"), "sizes differ")
    assert not (tmp_path / "f.json").exists()
