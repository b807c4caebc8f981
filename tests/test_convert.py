"""vidstyle import: a pytorch/examples fast_neural_style state dict, built here in their layout,
becomes a vidstyle model whose pictures match their net's, computed by a reference forward pass
of their architecture written below from its description (not from vidstyle's net)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from conftest import write_test_image
from vidstyle import load_model
from vidstyle.cli import main
from vidstyle.convert import convert_state, expected_keys, import_fast_neural_style, read_state_dict

RESIDUALS = 5


def their_state_dict(seed: int = 0, *, running_stats: bool = True) -> dict[str, torch.Tensor]:
    """Their layout: conv biases everywhere, InstanceNorm2d affine (old files also hold running
    stats), and a last conv whose output spreads over and beyond 0-255 as a trained one does."""
    g = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}

    def conv(name: str, cin: int, cout: int, k: int) -> None:
        state[f"{name}.conv2d.weight"] = torch.randn(cout, cin, k, k, generator=g) * (2 / (cin * k * k)) ** 0.5
        state[f"{name}.conv2d.bias"] = torch.randn(cout, generator=g) * 0.5

    def norm(name: str, c: int) -> None:
        state[f"{name}.weight"] = 1 + 0.3 * torch.randn(c, generator=g)
        state[f"{name}.bias"] = 0.3 * torch.randn(c, generator=g)
        if running_stats:
            state[f"{name}.running_mean"], state[f"{name}.running_var"] = torch.zeros(c), torch.ones(c)

    layers = [("conv1", "in1", 3, 32, 9), ("conv2", "in2", 32, 64, 3), ("conv3", "in3", 64, 128, 3)]
    for r in range(1, RESIDUALS + 1):
        layers += [(f"res{r}.conv1", f"res{r}.in1", 128, 128, 3), (f"res{r}.conv2", f"res{r}.in2", 128, 128, 3)]
    layers += [("deconv1", "in4", 128, 64, 3), ("deconv2", "in5", 64, 32, 3)]
    for conv_name, norm_name, cin, cout, k in layers:
        conv(conv_name, cin, cout, k)
        norm(norm_name, cout)
    conv("deconv3", 32, 3, 9)
    state["deconv3.conv2d.weight"] *= 60
    state["deconv3.conv2d.bias"] = torch.tensor([130.0, 120.0, 110.0])
    return state


def their_forward(state: dict[str, torch.Tensor], x255: torch.Tensor) -> torch.Tensor:
    """Their net on RGB 0-255: reflection pad + conv (with bias), InstanceNorm2d (affine, eps 1e-5),
    ReLU, residual blocks without a ReLU after the sum, nearest x2 upsampling before deconv1/2."""

    def conv(name: str, x: torch.Tensor, stride: int = 1, upsample: bool = False) -> torch.Tensor:
        if upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        weight = state[f"{name}.conv2d.weight"]
        x = F.pad(x, [weight.shape[-1] // 2] * 4, mode="reflect")
        return F.conv2d(x, weight, state[f"{name}.conv2d.bias"], stride=stride)

    def norm(name: str, x: torch.Tensor) -> torch.Tensor:
        return F.instance_norm(x, weight=state[f"{name}.weight"], bias=state[f"{name}.bias"], eps=1e-5)

    y = F.relu(norm("in1", conv("conv1", x255)))
    y = F.relu(norm("in2", conv("conv2", y, stride=2)))
    y = F.relu(norm("in3", conv("conv3", y, stride=2)))
    for r in range(1, RESIDUALS + 1):
        y = y + norm(f"res{r}.in2", conv(f"res{r}.conv2", F.relu(norm(f"res{r}.in1", conv(f"res{r}.conv1", y)))))
    y = F.relu(norm("in4", conv("deconv1", y, upsample=True)))
    y = F.relu(norm("in5", conv("deconv2", y, upsample=True)))
    return conv("deconv3", y)


def their_picture(state: dict[str, torch.Tensor], pixels: np.ndarray) -> np.ndarray:
    """What their stylize command saves: the output clamped to 0-255, as float levels."""
    x = torch.from_numpy(pixels).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        return their_forward(state, x).clamp(0, 255)[0].permute(1, 2, 0).numpy()


def our_picture(model: Path, pixels: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        return load_model(model).net(x)[0].permute(1, 2, 0).numpy() * 255


@pytest.fixture
def pth(tmp_path: Path) -> Path:
    path = tmp_path / "candy.pth"
    torch.save(their_state_dict(), path)
    return path


def photo(tmp_path: Path, name: str, seed: int, width: int = 64, height: int = 48) -> Path:
    return write_test_image(tmp_path / name, width, height, seed=seed)


def test_every_layer_before_the_output_is_their_computation(pth: Path, tmp_path: Path) -> None:
    """The last conv's output z of the converted net is their raw 0-255 output y, as z + 1 = 2 y / 255."""
    from vidstyle.net import TransformerNet

    state = read_state_dict(pth)
    net = TransformerNet(head="clamp")
    net.load_state_dict(convert_state(state))
    pixels = np.array(Image.open(photo(tmp_path, "p.png", 1)))
    captured: list[torch.Tensor] = []
    net.decoder.register_forward_hook(lambda module, args, output: captured.append(output))
    # float64 on both sides, whose rounding is near 1e-12 here on any CPU (float32's differs with
    # each CPU's kernels). What is left is the converted weights' own float32 rounding (the last
    # layer is rescaled to our 0-1 range), 7e-5 of 0-255 levels. A wrong layer is off by 1 or more.
    x255 = torch.from_numpy(pixels).permute(2, 0, 1)[None].double()
    with torch.no_grad():
        net.double()(x255 / 255)
        theirs = their_forward({k: v.double() for k, v in their_state_dict().items()}, x255)
    assert theirs.abs().max() > 300 and (theirs < 0).any()  # a range like a trained net's, clamp and all
    torch.testing.assert_close((captured[0] + 1.0) * 127.5, theirs, atol=1e-3, rtol=0)


def test_imported_pictures_are_theirs(pth: Path, tmp_path: Path) -> None:
    report = import_fast_neural_style(pth, tmp_path / "candy.safetensors")
    # At sizes that are multiples of 4, where theirs keeps the size.
    for seed, (w, h) in ((21, (64, 48)), (22, (40, 76))):
        pixels = np.array(Image.open(photo(tmp_path, f"t{seed}.png", seed, w, h)))
        theirs = their_picture(their_state_dict(), pixels)
        assert (theirs == 0).any() and (theirs == 255).any()  # their clamp is at work on both ends
        diff = np.abs(our_picture(report.output, pixels) - theirs)
        assert diff.max() < 0.05, diff.max()  # float rounding, far below one 8-bit level


def test_the_card_records_the_origin_and_the_head(pth: Path, tmp_path: Path) -> None:
    report = import_fast_neural_style(pth, tmp_path / "out.safetensors")
    model = load_model(report.output)
    card = model.card
    assert card.style_names == ["candy"]
    assert card.head == "clamp" and model.net.head == "clamp"
    (segment,) = card.segments
    assert segment["recipe"] == "imported" and segment["steps"] == 0
    assert segment["source_format"] == "pytorch/examples fast_neural_style"
    assert (
        segment["imported_from"].startswith("candy.pth (sha256 ")
        and len(segment["imported_from"].split()[-1].rstrip(")")) == 64
    )
    assert "imported from candy.pth" in card.trained_on


def test_cli_imports_and_the_model_runs(pth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(pth)]) == 0
    line = capsys.readouterr().err.strip()
    assert line.startswith(
        f"vidstyle: wrote {tmp_path / 'candy.safetensors'} from candy.pth (pytorch/examples fast_neural_style, width 1)"
    ), line
    assert "its pictures are theirs" in line and "\n" not in line
    out = tmp_path / "styled.png"
    assert (
        main(
            ["image", str(photo(tmp_path, "in.png", 5)), "-o", str(out), "--model", str(tmp_path / "candy.safetensors")]
        )
        == 0
    )
    assert out.stat().st_size > 0


def test_cli_refuses_what_it_cannot_convert_in_one_line(
    pth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = their_state_dict()
    del wrong["res5.in2.bias"]
    wrong["extra.weight"] = torch.zeros(1)
    torch.save(wrong, tmp_path / "wrong.pth")
    (tmp_path / "text.pth").write_text("not a checkpoint")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pth")  # a whole pickled module, not a state dict
    cases = {
        "wrong.pth": "is not a pytorch/examples fast_neural_style state dict (conv1/in1 ... res1-res5 ... deconv3): "
        "missing res5.in2.bias; unexpected extra.weight",
        "text.pth": "is not a readable torch state dict",
        "module.pth": "is not a readable torch state dict",
    }
    for name, needle in cases.items():
        assert main(["import", str(tmp_path / name), "-o", str(tmp_path / "x.safetensors")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err, err
    assert main(["import", str(pth), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "must end in .safetensors" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.safetensors")) and not list(tmp_path.glob(".*"))  # nothing left behind


def test_cli_never_replaces_an_output_without_y(pth: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "candy.safetensors"
    out.write_bytes(b"keep me")
    assert main(["import", str(pth)]) == 2
    assert "pass -y (--overwrite)" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert main(["import", str(pth), "-y"]) == 0
    assert load_model(out).card.segments[0]["recipe"] == "imported"


def test_expected_keys_are_their_layout() -> None:
    keys = expected_keys()
    # conv weight+bias and norm weight+bias per pair, and deconv3
    assert len(keys) == 2 * (3 + 2 * RESIDUALS + 2) * 2 + 2
    assert {"conv1.conv2d.weight", "in1.weight", "res5.conv2.conv2d.bias", "in5.bias", "deconv3.conv2d.bias"} <= keys
    assert set(their_state_dict(running_stats=False)) == keys
