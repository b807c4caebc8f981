from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from conftest import assert_one_error_line, write_test_image
from vidstyle import ModelCard, TransformerNet, load_model, save_model
from vidstyle.errors import ModelFileError
from vidstyle.modelfile import default_model_path


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = TransformerNet(width=0.25).eval()
    card = ModelCard(width=0.25, style_image="s.jpg", style_layers=("relu1_1",), steps=7, final_losses={"total": 1.5})
    path = save_model(tmp_path / "m.safetensors", net, card)
    loaded = load_model(path)
    x = torch.rand(1, 3, 33, 47)
    with torch.no_grad():
        assert torch.equal(net(x), loaded.net(x))
    assert loaded.card == card


def test_bundled_default_model_loads() -> None:
    model = load_model()
    assert Path(model.source) == default_model_path()
    assert model.card.loss_net_weights and model.card.steps > 0
    assert default_model_path().stat().st_size <= 8 * 1024 * 1024


def _flip_bytes(path: Path, offset_from_end: int) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) - offset_from_end, len(data) - offset_from_end + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_tampered_weights_are_rejected(tiny_model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "tampered.safetensors"
    bad.write_bytes(tiny_model.read_bytes())
    _flip_bytes(bad, 100)
    with pytest.raises(ModelFileError, match="corrupt"):
        load_model(bad)


def test_truncated_and_foreign_files_are_rejected(tiny_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(tiny_model.read_bytes()[: tiny_model.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load_model(cut)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(ModelFileError, match="not a vidstyle model"):
        load_model(foreign)
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "missing.safetensors")


@pytest.mark.parametrize("damage", ["tampered", "truncated"])
def test_cli_bad_model_gives_one_line_and_no_output(damage: str, tiny_model: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / f"{damage}.safetensors"
    data = tiny_model.read_bytes()
    bad.write_bytes(data[: len(data) // 3] if damage == "truncated" else data)
    if damage == "tampered":
        _flip_bytes(bad, 64)
    photo = write_test_image(tmp_path / "in.png")
    out = tmp_path / "out.png"
    result = cli("image", photo, "-o", out, "--model", bad)
    assert_one_error_line(result, str(bad.name))
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([bad.name, "in.png"])


@pytest.mark.parametrize(("suffix", "kind"), [(".onnx", "ONNX model"), (".engine", "TensorRT engine")])
def test_an_exported_model_where_a_net_is_needed_says_so(suffix: str, kind: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / f"m{suffix}"
    exported.write_bytes(b"\x08\x07" + bytes(64))  # what it holds is never read
    # image, stylize and the rest run it
    result = cli("export", exported, "--format", "onnx", "-o", tmp_path / "again.onnx")
    assert_one_error_line(result, f"is an exported {kind}", ".safetensors model it was exported from")
    assert sorted(p.name for p in tmp_path.iterdir()) == [exported.name]


def test_single_style_file_from_before_multi_style_loads_and_matches_its_golden_output() -> None:
    from safetensors.torch import load_file

    data = Path(__file__).parent / "data"
    model = load_model(data / "single-style-v1.safetensors")  # norms stored as [C], written by the old layout
    golden = load_file(data / "single-style-v1-golden.safetensors")
    assert model.net.style_count == 1 and model.card.style_names == ["mosaic"]
    with torch.no_grad():
        # Run in float64, whose rounding is near 1e-15 on any CPU: what is left is the golden
        # output's own float32 rounding, made once when it was written (4.5e-6), the same on
        # every machine. A wrongly loaded norm or layer is off by 1e-2 or more.
        got = model.net.double()(golden["input"].double())
        torch.testing.assert_close(got, golden["output"].double(), rtol=0, atol=2e-5)


def test_multi_style_card_round_trips_its_styles(tmp_path: Path) -> None:
    styles = tuple({"name": n, "image": f"{n}.jpg", "sha256": "0" * 64} for n in ("candy", "mosaic", "udnie"))
    card = ModelCard(width=0.25, styles=styles)
    path = save_model(tmp_path / "multi.safetensors", TransformerNet(width=0.25, style_count=3), card)
    loaded = load_model(path)
    assert loaded.net.style_count == 3 and loaded.card.style_names == ["candy", "mosaic", "udnie"]
    assert loaded.card.styles == styles


def test_bundled_model_loads_by_name_and_a_wrong_name_lists_the_bundled_ones() -> None:
    assert load_model("default").source == str(default_model_path())
    with pytest.raises(ModelFileError) as info:
        load_model("no-such-style")
    assert (
        str(info.value) == "no model file or bundled model named 'no-such-style'; "
        "bundled: default, four-styles, mosaic-fast, mosaic-steady"
    )


def test_models_command_lists_each_bundled_model(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("models")
    assert result.code == 0
    header, *rows = result.out.strip().splitlines()
    assert header.split()[:3] == ["name", "styles", "file"]
    card = load_model().card
    assert rows[0].split()[:3] == ["default", ",".join(card.style_names), "default.safetensors"]
    assert str(card.steps) in rows[0].split()
    assert rows[1].split()[:3] == ["four-styles", "mosaic,candy,starry_night,the_scream", "four-styles.safetensors"]
    assert rows[2].split()[:3] == ["mosaic-fast", "mosaic", "mosaic-fast.safetensors"]
    assert rows[3].split()[:3] == ["mosaic-steady", "mosaic", "mosaic-steady.safetensors"]


def test_bundled_steady_model_is_the_default_fine_tuned_for_stability() -> None:
    default, steady = load_model("default"), load_model("mosaic-steady")
    assert steady.card.style_names == default.card.style_names
    # The default's whole history, then one more segment that adds the stability term.
    assert steady.card.segments[: len(default.card.segments)] == default.card.segments
    assert steady.card.stability_weight > 0 == default.card.stability_weight
    assert steady.card.steps > default.card.steps
    assert Path(steady.source).stat().st_size <= 4 * 1024 * 1024  # stored in fp16, like the default


def test_bundled_fast_model_is_a_small_separable_student_of_the_default() -> None:
    fast, default = load_model("mosaic-fast"), load_model("default")
    assert fast.net.separable and fast.card.width <= 0.25 and len(fast.net.residuals) <= 3
    assert sum(p.numel() for p in fast.net.parameters()) * 20 < sum(p.numel() for p in default.net.parameters())
    assert fast.card.segments[0]["teacher"].startswith("default.safetensors (sha256 ")
    assert fast.card.style_names == default.card.style_names
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():  # it draws the default's picture, not its own
        assert float((fast.net(x) - default.net(x)).abs().mean()) < 0.5 * float((x - default.net(x)).abs().mean())


def test_bundled_four_style_model_is_small_and_gives_four_different_pictures() -> None:
    model = load_model("four-styles")
    assert model.net.style_count == 4 and model.card.loss_net == "hed-vgg16" and model.card.image_size >= 256
    assert Path(model.source).stat().st_size <= 8 * 1024 * 1024
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        pictures = [model.net(x, torch.eye(4)[[k]]) for k in range(4)]
    # Four styles, four different pictures: no row was left at its starting point.
    assert min(float((a - b).abs().mean()) for i, a in enumerate(pictures) for b in pictures[i + 1 :]) > 0.01


def test_a_saved_model_gets_the_same_permissions_as_any_new_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    path = save_model(tmp_path / "m.safetensors", TransformerNet(width=0.25), ModelCard(width=0.25))
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_a_clamp_head_model_round_trips_and_old_cards_mean_tanh(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = TransformerNet(width=0.25, head="clamp").eval()
    path = save_model(tmp_path / "c.safetensors", net, ModelCard(width=0.25, head="clamp"))
    loaded = load_model(path)
    assert loaded.net.head == "clamp" and loaded.card.head == "clamp"
    x = torch.rand(1, 3, 20, 24)
    with torch.no_grad():
        assert torch.equal(net(x), loaded.net(x))
    assert ModelCard.from_json('{"width": 0.25}').head == "tanh"


def test_a_separable_net_trained_in_channels_last_saves_in_fp16_and_loads_the_same(tmp_path: Path) -> None:
    # Training keeps the net in channels_last: there a 1x1 conv's weight counts as contiguous but
    # has a stride of C in its last, size-1 dim, which once made every fp16 snapshot fail.
    net = TransformerNet(width=0.25, residual_blocks=2, separable=True).to(memory_format=torch.channels_last)
    path = save_model(
        tmp_path / "small.safetensors", net, ModelCard(width=0.25, residual_blocks=2, separable=True), half=True
    )
    loaded = load_model(path)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        expected = net.half().float()(x)
        assert torch.allclose(loaded.net(x), expected, atol=1e-5)
