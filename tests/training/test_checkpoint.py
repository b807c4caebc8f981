from pathlib import Path
from typing import Any

import pytest
import torch

from vidstyle.net import TransformerNet
from vidstyle.training.checkpoint import restore_checkpoint


def squeezed(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """What checkpoints from before multi-style held: one [C] row per norm, not [1, C]."""
    return {k: v.squeeze(0) if v.dim() == 2 and v.shape[0] == 1 else v for k, v in state.items()}


def one_adam_step(net: torch.nn.Module) -> torch.optim.Adam:
    """The optimizer after one step at lr 1e-3, so its state holds moments for every parameter."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.rand(1, 3, 32, 32)).mean().backward()
    opt.step()
    return opt


def checkpoint(
    step: int, model: dict[str, torch.Tensor], optimizer: dict[str, Any], scaler: torch.amp.GradScaler
) -> dict[str, Any]:
    """What restore_checkpoint reads, as save_checkpoint writes it on a machine without CUDA."""
    return {
        "step": step,
        "model": model,
        "optimizer": optimizer,
        "scaler": scaler.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": [],
    }


def test_a_single_style_checkpoint_from_before_multi_style_resumes() -> None:
    torch.manual_seed(0)
    net = TransformerNet(width=0.25)
    opt = one_adam_step(net)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    optimizer_state = opt.state_dict()
    old_moments = {
        i: {k: v.squeeze(0) if v.dim() == 2 and v.shape[0] == 1 else v for k, v in s.items()}
        for i, s in optimizer_state["state"].items()
    }
    ckpt = checkpoint(
        7, squeezed(net.state_dict()), {"state": old_moments, "param_groups": optimizer_state["param_groups"]}, scaler
    )
    reshaped = [k for k, v in ckpt["model"].items() if v.shape != net.state_dict()[k].shape]
    assert len(reshaped) > 10  # every norm's gamma and beta

    fresh = TransformerNet(width=0.25)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-3)
    assert restore_checkpoint(ckpt, fresh, fresh_opt, torch.amp.GradScaler("cpu", enabled=False)) == 7
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), fresh.state_dict().values()))
    for param in fresh.parameters():
        assert fresh_opt.state[param]["exp_avg"].shape == param.shape
    fresh(torch.rand(1, 3, 32, 32)).mean().backward()
    fresh_opt.step()  # would raise on a [C] moment against a [1, C] gradient


def test_a_checkpoint_whose_net_had_a_bias_in_front_of_each_norm_resumes_with_its_moments() -> None:
    from conftest import with_old_conv_biases

    torch.manual_seed(1)
    old = with_old_conv_biases(TransformerNet(width=0.25))
    opt = torch.optim.Adam(old.parameters(), lr=1e-3)
    for _ in range(2):
        old(torch.rand(1, 3, 32, 32)).mean().backward()
        opt.step()
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    ckpt = checkpoint(2, old.state_dict(), opt.state_dict(), scaler)

    fresh = TransformerNet(width=0.25)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=1e-3)
    assert restore_checkpoint(ckpt, fresh, fresh_opt, scaler) == 2
    old_params = dict(old.named_parameters())
    for name, param in fresh.named_parameters():
        assert torch.equal(param, old_params[name])
        assert torch.equal(fresh_opt.state[param]["exp_avg"], opt.state[old_params[name]]["exp_avg"]), name
    fresh(torch.rand(1, 3, 32, 32)).mean().backward()
    fresh_opt.step()


def test_a_resumed_run_takes_the_lr_given_now_and_keeps_its_moments() -> None:
    torch.manual_seed(2)
    net = TransformerNet(width=0.25)
    opt = one_adam_step(net)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    ckpt = checkpoint(1, net.state_dict(), opt.state_dict(), scaler)

    fresh = TransformerNet(width=0.25)
    fresh_opt = torch.optim.Adam(fresh.parameters(), lr=5e-4)  # `--lr 5e-4 --resume last.pt`
    restore_checkpoint(ckpt, fresh, fresh_opt, scaler)
    assert [group["lr"] for group in fresh_opt.param_groups] == [5e-4]
    first = next(iter(net.parameters()))
    assert torch.equal(fresh_opt.state[next(iter(fresh.parameters()))]["exp_avg"], opt.state[first]["exp_avg"])


def test_a_full_disk_while_saving_is_one_line_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidstyle.errors import VidstyleError
    from vidstyle.training.checkpoint import save_checkpoint
    from vidstyle.training.trainer import TrainConfig

    def full_disk(state: object, path: object) -> None:
        Path(str(path)).write_bytes(b"half a zip")
        # what torch.save says
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 4672 vs 4560")

    monkeypatch.setattr(torch, "save", full_disk)
    net = TransformerNet(width=0.25)
    opt = torch.optim.Adam(net.parameters())
    with pytest.raises(VidstyleError, match=r"cannot write the checkpoint .*last.pt \(disk full\?\): \[enforce fail"):
        save_checkpoint(
            tmp_path / "last.pt",
            1,
            net,
            opt,
            torch.amp.GradScaler("cpu", enabled=False),
            TrainConfig(data="d", style="s", output="o"),
            "fp32",
            earlier=[],
        )
    assert list(tmp_path.iterdir()) == []


def test_a_resumed_run_keeps_the_options_it_started_with_unless_given(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Not today's default recipe: a run started with --recipe none on a random VGG must not go on
    with another loss net and other weights because the default changed in between."""
    from conftest import write_test_image
    from vidstyle import load_model

    style = write_test_image(tmp_path / "style.png")
    out, run = tmp_path / "m.safetensors", tmp_path / "m-run"
    tiny = ["--width", "0.25", "--batch-size", "2", "--precision", "fp32", "--device", "cpu", "--checkpoint-every", "1"]
    first = cli(
        "train", "--data", image_folder, "--style", style, "-o", out, "--recipe", "none", "--loss-net", "vgg19-random",
        "--content-weight", "3", "--image-size", "64", "--style-size", "64", "--steps", "1", *tiny,
    )  # fmt: skip
    assert first.code == 0, first.err
    resumed = cli(
        "train", "--data", image_folder, "--style", style, "-o", out, "-y", "--resume", run / "last.pt",
        "--steps", "3", "--lr", "5e-4", *tiny,
    )  # fmt: skip
    assert resumed.code == 0, resumed.err
    segment = load_model(out).card.segments[-1]
    assert (segment["recipe"], segment["loss_net"], segment["content_weight"]) == ("custom", "vgg19-random", 3.0)
    assert (segment["image_size"], segment["lr"], segment["steps"]) == (64, 5e-4, 3)  # and what was given now
