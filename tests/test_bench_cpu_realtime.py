"""The CPU model-only table: every net in each torch precision and layout, onnxruntime fp32 and int8."""

import json
from pathlib import Path

import pytest

from vidstyle.benchmarks.cpu_realtime import main


@pytest.mark.slow
def test_rows_for_each_backend_precision_and_layout(tmp_path: Path, tiny_model: Path, calibration_photos: Path) -> None:
    out = tmp_path / "cpu.json"
    argv = [
        "--size",
        "32x24",
        "--repeats",
        "1",
        "--nets",
        str(tiny_model),
        "width0.25-separable",
        "--calibrate",
        str(calibration_photos),
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["settings"]["size"] == [32, 24] and report["settings"]["batch"] == 1
    assert report["precision_auto"]["chose"] in ("fp32", "bf16") and report["precision_auto"]["reason"]
    assert isinstance(report["cpu"]["native_bf16"], list) and report["environment"]["versions"]["onnxruntime"]
    kinds = {(row["net"], row["backend"], row["precision"], row["channels_last"]) for row in report["rows"]}
    for net in ("tiny", "width0.25-separable"):
        assert {(net, "torch", p, cl) for p in ("fp32", "bf16") for cl in (False, True)} <= kinds
        assert {(net, "onnxruntime", "fp32", False), (net, "onnxruntime", "int8", False)} <= kinds
    int8 = [row for row in report["rows"] if row["precision"] == "int8"]
    assert all(isinstance(row["passes_parity"], bool) and row["mean_abs_diff_255"] >= 0 for row in int8)
    assert all(row["fps_best"] >= row["fps_median"] > 0 for row in report["rows"])
    assert [row["separable"] for row in report["rows"] if row["net"] == "width0.25-separable"][0] is True
