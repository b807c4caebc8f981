"""ONNX export: the checker, parity through the backends before the rename, the model card, fp16 in the graph."""

import json
import warnings
from pathlib import Path

import onnx
import pytest
import torch

from conftest import assert_one_error_line, float32_rounding
from vidstyle import load_model
from vidstyle.errors import VidstyleError
from vidstyle.export.onnx import OnnxReport, export_onnx, read_card


def test_export_checks_itself_at_an_odd_size(exported_onnx: tuple[Path, OnnxReport]) -> None:
    path, report = exported_onnx
    assert report.checker.startswith("onnx.checker full_check passed")
    sizes = [check.size for check in report.parity]
    assert any(h % 2 and w % 2 for _, _, h, w in sizes)
    assert all(check.max_abs_error <= 1e-4 for check in report.parity)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 17
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param != "" for d in dims] == [True, False, True, True]  # batch, height, width are dynamic


def test_model_card_round_trips_through_metadata(exported_onnx: tuple[Path, OnnxReport], tiny_model: Path) -> None:
    path, _ = exported_onnx
    card = read_card(path)
    original = json.loads(load_model(tiny_model).card.to_json())
    assert {k: card[k] for k in original} == original
    assert card["precision"] == "fp32"


def test_fp16_graph_keeps_norms_in_fp32(tiny_model: Path, tmp_path: Path) -> None:
    report = export_onnx(load_model(tiny_model), tmp_path / "half.onnx", fp16=True)
    model = onnx.load(str(tmp_path / "half.onnx"))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert any(node.op_type == "Cast" for node in model.graph.node)
    half_weights = [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT16]
    assert half_weights, "conv weights should be stored in fp16"
    if report.parity:  # onnxruntime's CPU kernels ran it: compare with torch fp32
        assert min(check.psnr_db for check in report.parity) >= 40.0
    else:
        assert report.skipped


def test_failed_parity_keeps_the_previous_file(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.onnx"
    out.write_bytes(b"previous export")
    with pytest.raises(VidstyleError, match="ONNX differs from torch"):
        export_onnx(load_model(tiny_model), out, tolerance=-1.0)  # no export can pass this
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_export_leaves_the_callers_model_alone(tiny_model: Path, tmp_path: Path) -> None:
    model = load_model(tiny_model)
    model.net.train()
    before = {k: v.clone() for k, v in model.net.state_dict().items()}
    export_onnx(model, tmp_path / "m.onnx", fp16=True)
    assert model.net.training
    assert all(v.dtype == before[k].dtype and torch.equal(v, before[k]) for k, v in model.net.state_dict().items())


def test_cli_export_bad_model_leaves_nothing(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}garbage")
    result = cli("export", bad, "--format", "onnx")
    assert_one_error_line(result, "bad.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors"]


def test_multi_style_graph_takes_style_weights_and_matches_torch(tmp_path: Path) -> None:
    from vidstyle import ModelCard, TransformerNet, save_model
    from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend
    from vidstyle.context import resolve_context

    torch.manual_seed(0)
    net = TransformerNet(width=0.25, style_count=3)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)  # rows that differ, so the mix matters
    styles = tuple({"name": n, "image": f"{n}.jpg", "sha256": "0" * 64} for n in ("a", "b", "c"))
    model = load_model(save_model(tmp_path / "three.safetensors", net, ModelCard(width=0.25, styles=styles)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = export_onnx(model, tmp_path / "three.onnx")
    assert not [w for w in caught if "axis name" in str(w.message)]  # the shared batch axis is meant, not news
    graph = onnx.load(tmp_path / "three.onnx").graph
    assert [i.name for i in graph.input] == ["images", "style_weights"]
    assert len(report.parity) == 4  # two sizes (one odd on both axes) x (one-hot, mix)
    assert all(check.max_abs_error <= 1e-4 for check in report.parity)
    x = torch.rand(1, 3, 33, 47)
    with OnnxRuntimeBackend(tmp_path / "three.onnx", resolve_context("cpu", "fp32")) as backend:
        mixed = backend.run(x, torch.tensor([[0.5, 0.5, 0.0]]))
        first, second = backend.run(x, torch.tensor([[1.0, 0.0, 0.0]])), backend.run(x, torch.tensor([[0.0, 1.0, 0.0]]))
        with pytest.raises(VidstyleError, match="several styles; pass style_weights"):
            backend.run(x)
    assert not torch.allclose(first, second, atol=1e-3)  # the style input really steers the graph
    mix = torch.tensor([[0.5, 0.5, 0.0]])
    with torch.no_grad():
        # onnxruntime adds the same sums in its own order, and has kernels of its own (tanh, the norm's
        # variance): float32 rounding apart, and 1e-5 for those, the same picture.
        assert float((mixed - model.net(x, mix)).abs().max()) <= 8 * float32_rounding(model.net, x, mix) + 1e-5


@pytest.mark.parametrize(
    ("fmt", "name", "needed"),
    [("onnx", "m.txt", ".onnx"), ("onnx", "m.engine", ".onnx"), ("engine", "m.onnx", ".engine")],
)
def test_cli_export_output_must_carry_its_formats_suffix(  # type: ignore[no-untyped-def]
    fmt: str, name: str, needed: str, tiny_model: Path, tmp_path: Path, cli
) -> None:
    result = cli("export", tiny_model, "--format", fmt, "-o", tmp_path / name)
    assert_one_error_line(result, f"--format {fmt} writes a {needed} file", name)
    assert list(tmp_path.iterdir()) == []


def test_cli_engine_export_without_tensorrt_points_to_onnx(tiny_model: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.backends.tensorrt_backend import tensorrt_available

    if tensorrt_available():
        pytest.skip("TensorRT is installed here")
    result = cli("export", tiny_model, "--format", "engine", "-o", tmp_path / "m.engine")
    assert_one_error_line(result, "TensorRT is not installed here", "export with --format onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_clamp_head_model_exports_with_its_clamp(tmp_path: Path) -> None:
    from vidstyle import ModelCard, TransformerNet, save_model

    torch.manual_seed(0)
    net = TransformerNet(width=0.25, head="clamp").eval()
    with torch.no_grad():
        net.decoder[-1][1].weight.mul_(50.0)  # outputs well past [0, 1]: the graph must clamp them as torch does
    saved = save_model(tmp_path / "c.safetensors", net, ModelCard(width=0.25, head="clamp"))
    path = tmp_path / "c.onnx"
    report = export_onnx(load_model(saved), path)
    assert all(check.max_abs_error <= 1e-4 for check in report.parity)
    assert read_card(path)["head"] == "clamp"
