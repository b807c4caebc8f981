"""Data-parallel training under torchrun (gloo, 2 CPU processes) against one process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import write_test_image
from vidstyle import TransformerNet, load_model
from vidstyle.net import ConditionalInstanceNorm, ConvLayer, ResidualBlock
from vidstyle.training.distributed import Ranks, ShardSampler

COMMON = ["--image-size", "32", "--batch-size", "4", "--style-size", "32", "--loss-net", "vgg19-random", "--width", "0.25",
          "--precision", "fp32", "--device", "cpu", "--content-layers", "relu2_2", "--style-layers", "relu1_1,relu2_1",
          "--preview-every", "0", "--seed", "5"]
STEPS = 3


def test_shards_cover_each_global_batch_once_per_step() -> None:
    shards = [list(ShardSampler(2, 4, 4, Ranks(rank, 2, rank))) for rank in (0, 1)]
    assert shards == [[8, 9, 12, 13], [10, 11, 14, 15]]
    assert sorted(shards[0] + shards[1]) == list(range(8, 16))


def _vidstyle(*args: str, torchrun: bool = False) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"] if torchrun else [sys.executable]
    return subprocess.run([*launcher, "-m", "vidstyle", "-q", *args], capture_output=True, text=True, env=env, timeout=600)


def _first_moments(checkpoint: Path) -> list[torch.Tensor]:
    state = torch.load(checkpoint, weights_only=True)["optimizer"]["state"]
    return [state[k]["exp_avg"] for k in sorted(state)]


def _zero_gradient_by_structure(net: torch.nn.Module) -> set[str]:
    """Parameters the loss cannot depend on, found from the net's structure: the bias of a conv
    followed directly by an instance norm (the norm subtracts each channel's mean), and the shift
    of each residual block's closing norm (a per-channel constant in the residual stream, which
    reaches the loss only through reflection-padded convs that each feed an instance norm)."""
    found = set()
    for prefix, module in net.named_modules():
        children = list(module.named_children())
        for (name, first), (_, second) in zip(children, children[1:]):
            if isinstance(first, ConvLayer) and isinstance(second, ConditionalInstanceNorm):
                found |= {f"{prefix}.{name}.{p}" for p, _ in first.named_parameters() if p.endswith("bias")}
        if isinstance(module, ResidualBlock) and isinstance(module.body[-1], ConditionalInstanceNorm):
            found.add(f"{prefix}.body.{len(module.body) - 1}.bias")
    return found


def _zero_gradient_by_measure(checkpoint: Path, names: list[str]) -> set[str]:
    """Parameters whose Adam first moment (a decayed sum of their gradients) is rounding noise next
    to the rest of its layer: below 1e-4 of the layer's largest (the others measure 0.1 or more)."""
    state = torch.load(checkpoint, weights_only=True)["optimizer"]["state"]
    size = {name: float(state[i]["exp_avg"].abs().max()) for i, name in enumerate(names)}
    layer = {name: max(v for other, v in size.items() if other.rsplit(".", 1)[0] == name.rsplit(".", 1)[0]) for name in names}
    return {name for name in names if size[name] < 1e-4 * layer[name]}


@pytest.mark.slow
def test_two_gloo_processes_average_gradients_like_one_process_with_the_global_batch(image_folder: Path, tmp_path: Path) -> None:
    style = write_test_image(tmp_path / "style.png", 48, 48, seed=9, pattern=True)
    base = ["train", "--data", str(image_folder), "--style", str(style), *COMMON, "--checkpoint-every", "1"]
    two = _vidstyle(*base, "--steps", "1", "--output", str(tmp_path / "two.safetensors"), torchrun=True)
    assert two.returncode == 0, two.stderr[-2000:]
    one = _vidstyle(*base, "--steps", "1", "--output", str(tmp_path / "one.safetensors"))
    assert one.returncode == 0, one.stderr[-2000:]
    # After one step Adam's first moment is 0.1 x the gradient, with no Adam normalisation in
    # between, so it shows the all-reduced gradient itself: it must equal the global batch's.
    # (Weights are not compared at 1e-5: Adam's first steps move each weight by about +-lr
    # whatever the gradient's size, so rounding noise in near-zero gradients, such as those
    # of conv biases that feed an instance norm, becomes differences of up to lr.)
    grads_two, grads_one = _first_moments(tmp_path / "two-run" / "last.pt"), _first_moments(tmp_path / "one-run" / "last.pt")
    assert len(grads_two) == len(grads_one) > 0
    for g2, g1 in zip(grads_two, grads_one):
        assert float((g2 - g1).abs().max()) <= 1e-5 * max(float(g1.abs().max()), 1e-3)
    # The parameters whose gradient is rounding noise are exactly those the loss cannot depend on.
    net = TransformerNet(width=0.25)
    names = [name for name, _ in net.named_parameters()]
    assert _zero_gradient_by_measure(tmp_path / "one-run" / "last.pt", names) == _zero_gradient_by_structure(net) != set()
    assert sorted(p.name for p in (tmp_path / "two-run").iterdir()) == ["last.pt", "losses.csv"]  # rank 0 alone wrote
    # The two-process checkpoint resumes in one process.
    resumed = _vidstyle(*base, "--steps", "3", "--output", str(tmp_path / "resumed.safetensors"),
                        "--run-dir", str(tmp_path / "two-run"), "--resume", str(tmp_path / "two-run" / "last.pt"))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert load_model(tmp_path / "resumed.safetensors").card.steps == 3
    assert len((tmp_path / "two-run" / "losses.csv").read_text().splitlines()) == 1 + 3
    assert torch.load(tmp_path / "two-run" / "last.pt", weights_only=True)["step"] == 3


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "measured, not a data-parallel bug: Adam's first step moves each weight by lr*g/(|g|+eps), so "
    "weights whose gradient is near eps differ by up to ~1e-6 between the runs; at initialisation the "
    "loss is sensitive enough that this alone moves the step-2 gradients by up to 3e-4 of each layer's "
    "largest (one process resumed from the two-process weights does the same), and by step 3 the "
    "weights differ by up to 3e-4"))
def test_two_gloo_processes_weights_after_steps_match_one_process(image_folder: Path, tmp_path: Path) -> None:
    """The weights after STEPS steps within 1e-5 of one process with the global batch, on every
    parameter but those whose gradient is mathematically zero: there Adam turns rounding noise
    (which differs between one summed batch and two averaged halves) into steps of up to lr. They
    are found from the one-process run's gradients and must be exactly the structural set, so the
    exclusion cannot hide a real mismatch."""
    style = write_test_image(tmp_path / "style.png", 48, 48, seed=9, pattern=True)
    base = ["train", "--data", str(image_folder), "--style", str(style), *COMMON, "--checkpoint-every", str(STEPS), "--steps", str(STEPS)]
    two = _vidstyle(*base, "--output", str(tmp_path / "two.safetensors"), torchrun=True)
    assert two.returncode == 0, two.stderr[-2000:]
    one = _vidstyle(*base, "--output", str(tmp_path / "one.safetensors"))
    assert one.returncode == 0, one.stderr[-2000:]
    net = TransformerNet(width=0.25)
    names = [name for name, _ in net.named_parameters()]
    excluded = _zero_gradient_by_measure(tmp_path / "one-run" / "last.pt", names)
    assert excluded == _zero_gradient_by_structure(net)
    weights_two = torch.load(tmp_path / "two-run" / "last.pt", weights_only=True)["model"]
    weights_one = torch.load(tmp_path / "one-run" / "last.pt", weights_only=True)["model"]
    differences = {name: float((weights_two[name] - weights_one[name]).abs().max()) for name in names if name not in excluded}
    assert {name: diff for name, diff in differences.items() if diff > 1e-5} == {}
