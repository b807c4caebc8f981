"""The model file picks the backend (.onnx: onnxruntime, .engine: tensorrt), and the first log
line of a run names the model, style, size, backend, device and precision actually used."""

from pathlib import Path

import numpy as np
import pytest

from clips import make_clip, read_video
from conftest import assert_one_error_line
from vidstyle.cli import main


def _first_line(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err.splitlines()[0]


def test_onnx_model_runs_on_onnxruntime_and_says_so(exported_onnx, tiny_model: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    onnx_path, _ = exported_onnx
    src = make_clip(tmp_path / "in.mkv", width=40, height=30, frames=4, codec="ffv1", pix_fmt="bgr0")
    common = [str(src), "--device", "cpu", "--codec", "ffv1", "--pix-fmt", "bgr0"]
    assert main(["stylize", *common[:1], "-o", str(tmp_path / "ort.mkv"), *common[1:], "--model", str(onnx_path)]) == 0
    assert (
        _first_line(capsys) == f"vidstyle: model {onnx_path}, style none, size 40x30, backend onnxruntime, device cpu, "
        "precision fp32 (the ONNX graph's own)"
    )
    # A graph's precision was fixed when it was exported: the line says so, whatever was asked.
    assert (
        main(
            [
                "stylize",
                *common[:1],
                "-o",
                str(tmp_path / "bf16.mkv"),
                *common[1:],
                "--model",
                str(onnx_path),
                "--precision",
                "bf16",
            ]
        )
        == 0
    )
    assert _first_line(capsys).endswith("backend onnxruntime, device cpu, precision fp32 (the ONNX graph's own)")
    assert (
        main(["stylize", *common[:1], "-o", str(tmp_path / "torch.mkv"), *common[1:], "--model", str(tiny_model)]) == 0
    )
    assert (
        _first_line(capsys)
        == f"vidstyle: model {tiny_model}, style none, size 40x30, backend torch, device cpu, precision fp32"
    )
    a, _, _ = read_video(tmp_path / "torch.mkv")
    b, _, _ = read_video(tmp_path / "ort.mkv")
    assert len(a) == len(b) == 4 and max(np.abs(x.astype(int) - y.astype(int)).max() for x, y in zip(a, b)) <= 2


def test_image_runs_an_onnx_model_on_onnxruntime(exported_onnx, tiny_model: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from conftest import write_test_image

    onnx_path, _ = exported_onnx
    src = write_test_image(tmp_path / "in.png", 45, 33)
    assert main(["image", str(src), "-o", str(tmp_path / "ort.png"), "--device", "cpu", "--model", str(onnx_path)]) == 0
    assert (
        _first_line(capsys) == f"vidstyle: model {onnx_path}, style none, size 45x33, backend onnxruntime, device cpu, "
        "precision fp32 (the ONNX graph's own)"
    )
    assert (
        main(["image", str(src), "-o", str(tmp_path / "torch.png"), "--device", "cpu", "--model", str(tiny_model)]) == 0
    )
    a, b = (np.asarray(Image.open(tmp_path / name)).astype(int) for name in ("ort.png", "torch.png"))
    assert a.shape == b.shape == (33, 45, 3) and np.abs(a - b).max() <= 2


def test_an_onnx_model_runs_that_file_on_onnxruntime_not_the_bundled_model(  # type: ignore[no-untyped-def]
    exported_onnx, tmp_path: Path, capsys
) -> None:
    onnx_path, _ = exported_onnx
    src = make_clip(tmp_path / "in.mp4", frames=2)
    assert (
        main(["stylize", str(src), "-o", str(tmp_path / "out.mp4"), "--device", "cpu", "--model", str(onnx_path)]) == 0
    )
    line = _first_line(capsys)
    assert "backend onnxruntime" in line and str(onnx_path) in line


def test_model_and_backend_that_disagree_is_one_line(exported_onnx, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    onnx_path, _ = exported_onnx
    src = make_clip(tmp_path / "in.mp4", frames=2)
    assert_one_error_line(
        cli("stylize", src, "-o", tmp_path / "out.mp4", "--model", onnx_path, "--backend", "torch"),
        "runs on onnxruntime",
        "torch backend",
    )
    assert not (tmp_path / "out.mp4").exists()


def test_engine_flag_is_gone_from_help(cli) -> None:  # type: ignore[no-untyped-def]
    assert "--engine" not in cli("stylize", "--help").out and "--engine" not in cli("camera", "--help").out


def test_image_runs_a_safetensors_model_on_onnxruntime_through_a_temporary_export(  # type: ignore[no-untyped-def]
    tiny_model: Path, tmp_path: Path, capsys
) -> None:
    from conftest import write_test_image

    src = write_test_image(tmp_path / "in.png", 40, 30)
    assert (
        main(
            [
                "image",
                str(src),
                "-o",
                str(tmp_path / "out.png"),
                "--device",
                "cpu",
                "--model",
                str(tiny_model),
                "--backend",
                "onnxruntime",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().err.splitlines()
    assert any("temporary fp32 ONNX graph" in line for line in lines)
    assert any(
        line.endswith("backend onnxruntime, device cpu, precision fp32 (exported for this run)") for line in lines
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "out.png"]  # the graph went with the run


def test_the_library_without_an_exporter_says_to_export_first(tiny_model: Path) -> None:
    from vidstyle import stylize_image
    from vidstyle.errors import VidstyleError

    with pytest.raises(VidstyleError, match="runs an .onnx model; export tiny to ONNX first"):
        stylize_image(np.zeros((8, 8, 3), np.uint8), model=tiny_model, backend="onnxruntime", device="cpu")
