"""ONNX export and its self-check, the onnxruntime backend, and the TensorRT engine header."""

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from clips import make_clip, read_video
from conftest import assert_one_error_line
from vidstyle import load_model
from vidstyle.backends.engine_header import EngineHeader, check_header, read_engine, write_engine
from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend, providers_for
from vidstyle.backends.tensorrt_backend import tensorrt_available
from vidstyle.context import RunContext, resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.export.onnx import export_onnx, read_card


@pytest.fixture(scope="module")
def exported(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    return path, export_onnx(load_model(tiny_model), path)


def test_export_checks_itself_at_an_odd_size(exported: tuple[Path, object]) -> None:
    path, report = exported
    assert report.checker.startswith("onnx.checker full_check passed")  # type: ignore[attr-defined]
    sizes = [check.size for check in report.parity]  # type: ignore[attr-defined]
    assert any(h % 2 and w % 2 for _, _, h, w in sizes)
    assert all(check.max_abs_error <= 1e-4 for check in report.parity)  # type: ignore[attr-defined]
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 17
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param != "" for d in dims] == [True, False, True, True]  # batch, height, width are dynamic


def test_model_card_round_trips_through_metadata(exported: tuple[Path, object], tiny_model: Path) -> None:
    path, _ = exported
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


def test_onnxruntime_backend_matches_torch_in_stylize(exported: tuple[Path, object], tiny_model: Path, tmp_path: Path) -> None:
    from vidstyle.jobs.video import stylize_video

    onnx_path, _ = exported
    src = make_clip(tmp_path / "in.mkv", width=40, height=30, frames=5, codec="ffv1", pix_fmt="bgr0")
    common = dict(model=tiny_model, device="cpu", progress=False, codec="ffv1", pix_fmt="bgr0")
    stylize_video(src, tmp_path / "torch.mkv", backend="torch", **common)  # type: ignore[arg-type]
    stylize_video(src, tmp_path / "ort.mkv", backend="onnxruntime", engine=str(onnx_path), **common)  # type: ignore[arg-type]
    a, _, _ = read_video(tmp_path / "torch.mkv")
    b, _, _ = read_video(tmp_path / "ort.mkv")
    assert len(a) == len(b) == 5
    assert max(np.abs(x.astype(int) - y.astype(int)).max() for x, y in zip(a, b)) <= 2


def test_cli_onnxruntime_backend_exports_on_the_fly(tiny_model: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=4)
    result = cli("stylize", src, tmp_path / "out.mp4", "--model", tiny_model, "--backend", "onnxruntime", "--device", "cpu")
    assert result.code == 0, result.err
    assert len(read_video(tmp_path / "out.mp4")[0]) == 4


def test_missing_cuda_provider_is_an_error_not_a_fallback(exported: tuple[Path, object]) -> None:
    path, _ = exported
    cpu = resolve_context("cpu")
    with pytest.raises(VidstyleError, match="CUDAExecutionProvider is not available"):
        OnnxRuntimeBackend(path, cpu, providers=["CUDAExecutionProvider"])
    cuda = RunContext(device=torch.device("cuda"), precision="fp32")  # the context alone needs no GPU
    with pytest.raises(VidstyleError, match="onnxruntime-gpu"):
        providers_for(cuda, ["CPUExecutionProvider"])


def _header(**changes: object) -> EngineHeader:
    base = dict(
        tensorrt_version="10.13.0.35", gpu_name="NVIDIA H100 80GB HBM3", compute_capability="9.0", onnx_sha256="0" * 64,
        precision="fp16", min_shape=(1, 3, 64, 64), opt_shape=(4, 3, 720, 1280), max_shape=(8, 3, 1088, 1920), source_model="m.safetensors",
    )
    base.update(changes)
    return EngineHeader(**base)  # type: ignore[arg-type]


def test_engine_header_mismatch_names_the_rebuild_command(tmp_path: Path) -> None:
    path = tmp_path / "m.engine"
    write_engine(path, _header(), b"PLAN")
    header, plan = read_engine(path)
    assert plan == b"PLAN" and header == _header()
    here = dict(path=str(path), tensorrt_version="10.13.0.35", gpu_name="NVIDIA H100 80GB HBM3", compute_capability="9.0")
    check_header(header, **here)  # same machine: fine
    for change in ({"tensorrt_version": "11.4.0.106"}, {"gpu_name": "NVIDIA A10G", "compute_capability": "8.6"}):
        with pytest.raises(VidstyleError) as info:
            check_header(header, **(here | change))
        message = str(info.value)
        assert "\n" not in message
        assert f"vidstyle export m.safetensors --format engine --output {path}" in message


def test_engine_header_ignores_keys_it_does_not_know(tmp_path: Path) -> None:
    from dataclasses import asdict

    data = asdict(_header()) | {"extra": {}}  # older engines carried an unused "extra"
    assert EngineHeader.from_dict(json.loads(json.dumps(data))) == _header()


def test_engine_file_without_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "raw.engine"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(VidstyleError, match="no header"):
        read_engine(path)


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


@pytest.mark.tensorrt
@pytest.mark.skipif(not tensorrt_available(), reason="needs TensorRT with a CUDA GPU")
def test_tensorrt_engine_round_trip(tiny_model: Path, tmp_path: Path) -> None:
    from vidstyle.backends.tensorrt_backend import TensorRTBackend
    from vidstyle.export.tensorrt import build_engine, engine_parity

    model = load_model(tiny_model)
    export_onnx(model, tmp_path / "m.onnx", fp16=True)
    image = torch.rand(1, 3, 96, 80)
    report = build_engine(tmp_path / "m.onnx", tmp_path / "m.engine", model, shapes=((1, 3, 32, 32), (2, 3, 64, 64), (2, 3, 128, 128)), precision="fp16", check_image=image)
    assert report.psnr_db is not None and report.psnr_db >= 40.0
    assert engine_parity(report.path, model, image) == report.psnr_db
    # A check that cannot pass keeps the engine already in place.
    before = (tmp_path / "m.engine").read_bytes()
    with pytest.raises(VidstyleError, match="not keeping it"):
        build_engine(tmp_path / "m.onnx", tmp_path / "m.engine", model, shapes=((1, 3, 32, 32), (2, 3, 64, 64), (2, 3, 128, 128)), precision="fp16", check_image=image, min_psnr_db=float("inf"))
    assert (tmp_path / "m.engine").read_bytes() == before
    with TensorRTBackend.from_file(tmp_path / "m.engine", resolve_context("cuda")) as backend:
        with pytest.raises(VidstyleError, match="outside the engine's profile"):
            backend.prepare((4, 3, 64, 64))
