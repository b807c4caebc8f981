"""`vidstyle bench --train`: structure and internal consistency, never speed."""

import json
from pathlib import Path

from conftest import assert_one_error_line, write_test_image
from vidstyle.benchmarks.training import curve_gap


def test_curve_gap_is_relative_to_the_reference() -> None:
    gap = curve_gap([10.0, 10.0, 10.0], [10.0, 11.0, 9.5])
    assert gap["max_rel_gap"] == 0.1 and abs(gap["mean_rel_gap"] - 0.05) < 1e-12


def test_training_bench_times_both_precisions_from_one_seed(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png", 48, 48, seed=9, pattern=True)
    out = tmp_path / "train.json"
    result = cli(
        "bench",
        "--train",
        "--data",
        image_folder,
        "--style",
        style,
        "--steps",
        "4",
        "--image-size",
        "32",
        "--batch-size",
        "2",
        "--loss-net",
        "vgg19-random",
        "--device",
        "cpu",
        "--output",
        out,
    )
    assert result.code == 0, result.err
    data = json.loads(out.read_text())
    assert data["kind"] == "training" and data["config"]["image_size"] == 32
    assert {"cpu_model", "torch_threads"} <= set(data["environment"]["device"])
    rows = data["results"]
    assert set(rows) == {"fp32", "bf16"}
    for row in rows.values():
        assert len(row["losses"]) == 4 and row["s_per_step"] > 0
        assert abs(row["img_per_s"] * row["s_per_step"] - 2) < 1e-9
    assert rows["fp32"]["losses"][0] != rows["bf16"]["losses"][0]  # really two precisions...
    # ...of one computation
    assert abs(rows["fp32"]["losses"][0] - rows["bf16"]["losses"][0]) / rows["fp32"]["losses"][0] < 0.05
    assert data["speedup_bf16_over_fp32"] == rows["fp32"]["s_per_step"] / rows["bf16"]["s_per_step"]
    assert data["auto"]["chose"] in ("fp32", "bf16") and "bf16 speed-up" in result.out


def test_training_bench_without_data_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("bench", "--train")
    assert_one_error_line(result, "--data DIR and --style IMG")
