from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from vidstyle import ModelCard, TransformerNet, load_model, save_model  # noqa: E402
from vidstyle.cli import main  # noqa: E402
from vidstyle.net import ConditionalInstanceNorm, redundant_biases  # noqa: E402


def float32_rounding(net: torch.nn.Module, *inputs: torch.Tensor) -> float:
    """How far this net's float32 output is from its float64 one, on this CPU and input: the size of
    the rounding that any other float32 order of the same sums (another memory layout, another
    CPU's kernels) shows too, so a tolerance a few times this holds on every CPU."""
    with torch.no_grad():
        ours = net.eval()(*inputs).double()
        exact = copy.deepcopy(net).double().eval()(*(t.double() for t in inputs))
    return float((ours - exact).abs().max())


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random-weight model: enough to check plumbing, fast on any CPU."""
    torch.manual_seed(1234)
    path = tmp_path_factory.mktemp("models") / "tiny.safetensors"
    save_model(path, random_norms(TransformerNet(width=0.25)), ModelCard(width=0.25, style_image="none"))
    return path


def random_norms(net: TransformerNet) -> TransformerNet:
    """Random affine norms so the output is not flat grey (which would hide pixel bugs), and
    so each style row of a multi-style net gives a visibly different picture."""
    norms = [m for m in net.modules() if isinstance(m, ConditionalInstanceNorm)]
    assert norms, "TransformerNet has no ConditionalInstanceNorm layers any more"
    for module in norms:
        torch.nn.init.normal_(module.weight, 1.0, 0.5)
        torch.nn.init.normal_(module.bias, 0.0, 0.5)
    return net


def with_old_conv_biases(net: TransformerNet) -> TransformerNet:
    """The layout older files were written from: a (random) bias on every conv, those in front of
    a norm included. Filling the empty `bias` slot keeps the parameter order of that layout."""
    for name in redundant_biases(net):
        conv = net.get_submodule(name.rsplit(".", 1)[0])
        conv.bias = torch.nn.Parameter(torch.randn(conv.out_channels))
    return net


THREE_STYLES = ("candy", "mosaic", "udnie")


def net_output(model: Path, pixels: np.ndarray, weights: list[float]) -> np.ndarray:
    """The model's net run directly on uint8 RGB pixels with these style weights, rounded to uint8."""
    x = torch.from_numpy(np.array(pixels)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        y = load_model(model).net(x, torch.tensor([weights], dtype=torch.float32))
    return (y[0].permute(1, 2, 0) * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()


@pytest.fixture(scope="session")
def three_style_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random three-style model named like a real one."""
    torch.manual_seed(4321)
    styles = tuple({"name": n, "image": f"{n}.jpg", "sha256": "0" * 64} for n in THREE_STYLES)
    path = tmp_path_factory.mktemp("models") / "three.safetensors"
    save_model(path, random_norms(TransformerNet(width=0.25, style_count=3)), ModelCard(width=0.25, styles=styles))
    return path


def write_test_image(path: Path, width: int = 48, height: int = 40, seed: int = 0, *, pattern: bool = False) -> Path:
    """A smooth gradient photo stand-in, or (pattern=True) a bold coloured checkerboard 'style'."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    if pattern:
        cells = ((x // 6 + y // 6) % 2)[..., None]
        base = np.where(cells, np.array([230, 40, 60]), np.array([20, 60, 220]))
    else:
        base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], -1)
    noise = rng.integers(0, 40, size=(height, width, 3))
    Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for i in range(4):
        write_test_image(folder / ("sub" if i % 2 else "") / f"img{i}.png", 72, 56, seed=i)
    return folder


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if "error:" in line]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `vidstyle ARGS...` in-process and capture its exit code and output."""

    def run(*args: str) -> CliResult:
        try:
            code = main(["--quiet", *map(str, args)])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def assert_one_error_line(result: CliResult, *needles: str) -> None:
    assert result.code != 0, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got: {result.err!r}"
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]


@pytest.fixture(scope="session")
def exported_onnx(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """tiny_model exported to ONNX once per run, with its export report."""
    from vidstyle.export.onnx import export_onnx

    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    return path, export_onnx(load_model(tiny_model), path)


@pytest.fixture(scope="session")
def calibration_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Smooth gradients with some texture, of mixed sizes, as JPEGs: photo-like enough for ranges."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(21):  # int8 calibration takes 16 and checks parity on 4 more
        h, w = 60 + 4 * i, 80 + 3 * i
        y, x = np.mgrid[0:h, 0:w] / max(h, w)
        base = np.stack([x, y, (x + y) / 2], axis=-1) * rng.uniform(0.5, 1.0, 3)
        pixels = np.clip(base + rng.normal(0, 0.05, (h, w, 3)), 0, 1)
        Image.fromarray((pixels * 255).astype(np.uint8)).save(folder / f"p{i:02d}.jpg")
    return folder
