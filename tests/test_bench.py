"""`vidstyle bench --quick` as a schema smoke test: it asserts structure, never speed."""

import json
from pathlib import Path

import pytest

from benchmarks_schema import REQUIRED_SUMMARY_KEYS, REQUIRED_TIMING_KEYS
from conftest import assert_one_error_line
from vidstyle.backends.tensorrt_backend import tensorrt_available


def test_quick_bench_writes_the_documented_schema(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "bench.json"
    result = cli("bench", "--quick", "--model", tiny_model, "--device", "cpu", "--output", out)
    assert result.code == 0, result.err
    data = json.loads(out.read_text())
    assert data["schema"] == "vidstyle-bench/1"
    env = data["environment"]
    assert {"device", "versions", "git_sha", "date"} <= set(env)
    assert {"name", "cpu_model", "cpu_count"} <= set(env["device"])
    assert {"torch", "onnxruntime", "tensorrt", "av", "numpy"} <= set(env["versions"])
    assert data["model"]["macs_per_pixel"] > 0
    stages = {row["stage"] for row in data["stages"]}
    assert {"decode", "upload+convert", "convert+download", "encode"} <= stages
    for group in ("stages", "models", "end_to_end", "naive_baseline"):
        assert data[group], group
        for row in data[group]:
            assert REQUIRED_TIMING_KEYS <= set(row), (group, row)
            assert row["fps"] > 0 and row["ms_p95"] >= row["ms_p50"] > 0
    backends = {row["config"]["backend"] for row in data["models"]}
    assert {"torch", "onnxruntime"} <= backends
    for summary in data["summary"].values():
        assert REQUIRED_SUMMARY_KEYS <= set(summary)
        # A fraction of a peak is at most all of it; above, the peak was no ceiling and it says so.
        fraction = summary["roofline_fraction"]
        assert (fraction is not None and 0 < fraction <= 1) or any(r.startswith("roofline:") for r in data["skipped"])
    assert any("tensorrt" in reason for reason in data["skipped"])
    for row in data["paper_check"].values():  # never a negative time
        assert (row["gatys_500_steps_s"] is None and row["note"]) or (row["gatys_500_steps_s"] > 0 and row["ratio"] > 0)
    # End to end is timed after a warm-up, at its steady rate: the opening is left out.
    for row in data["end_to_end"]:
        assert row["config"]["frames_short_run"] < row["config"]["frames_in_clip"]


def test_report_renders_table_and_plot(tmp_path: Path, tiny_model: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # without -o, away from a clone: the JSON lands here, no folders made
    assert cli("bench", "--quick", "--skip-paper", "--model", tiny_model, "--device", "cpu").code == 0
    (out,) = tmp_path.glob("bench-cpu-*.json")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    from vidstyle.benchmarks.report import main as report

    assert report([str(out), "--md", str(tmp_path / "t.md")]) == 0
    table = (tmp_path / "t.md").read_text()
    assert "| size | backend | precision | batch | model fps |" in table
    assert "onnxruntime" in table


def test_bench_bad_input_is_one_line(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from conftest import assert_one_error_line

    (tmp_path / "x.mp4").write_text("not a video")
    out = tmp_path / "b.json"
    assert_one_error_line(
        cli("bench", "--quick", "--input", tmp_path / "x.mp4", "--model", tiny_model, "--output", out), "cannot read"
    )
    assert_one_error_line(
        cli("bench", "--quick", "--sizes", "huge", "--model", tiny_model, "--output", out), "sizes are"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--max-side", "-5"], "--max-side: must be a positive integer"),
        (["--repeats", "-1"], "--repeats: must be a positive integer"),
        (["--frames", "0"], "--frames: must be a positive integer"),
        (["--sizes", "0x0"], "at least 16 px a side"),
        (["--backend", "nosuch"], "unknown backend nosuch"),
        pytest.param(
            ["--backend", "tensorrt"],
            "no backend asked for can run here: tensorrt: not installed here",
            marks=pytest.mark.skipif(tensorrt_available(), reason="TensorRT is installed here"),
        ),
        (["--sizes", "99999x99999"], "at most 16384 px a side"),
        (["--sizes", "16000x16000", "--frames", "48"], "needs about"),
        (["--precision", "fp16", "--device", "cpu"], "fp16 needs a CUDA device"),
        (["--train", "--steps", "-1"], "--steps: must be a positive integer"),
    ],
)
def test_bad_bench_numbers_are_one_line_and_no_file(flags: list[str], needle: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("bench", "--quick", "--skip-paper", "-o", tmp_path / "r.json", *flags)
    assert_one_error_line(result, needle)
    assert list(tmp_path.iterdir()) == []


def test_the_roofline_counts_fp32_convolutions_at_the_tf32_peak_and_never_above_all_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    from vidstyle.benchmarks import paper, timing
    from vidstyle.context import RunContext

    cuda = RunContext(device=torch.device("cuda"), precision="fp32")  # the context alone needs no GPU
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    assert paper.peak_precision(cuda) == "tf32"
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    assert paper.peak_precision(cuda) == "fp32"
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    monkeypatch.setattr(timing, "matmul_peak_tflops", lambda ctx: 100.0)
    skipped: list[str] = []
    row = paper.roofline(247.35, cuda, "NVIDIA H100 80GB HBM3", skipped)
    assert (
        row["peak_precision"] == "tf32"
        and row["stated_peak_tflops"] == 494.7
        and row["roofline_fraction"] == pytest.approx(0.5)
    )
    cpu = RunContext(device=torch.device("cpu"), precision="fp32")
    row = paper.roofline(150.0, cpu, "AMD EPYC", skipped)  # faster than the measured "peak": no fraction
    assert row["roofline_fraction"] is None and skipped and skipped[-1].startswith("roofline:")


def test_stages_are_timed_off_the_main_thread_as_stylize_runs_them() -> None:
    import threading

    from vidstyle.benchmarks.timing import measure
    from vidstyle.context import resolve_context

    threads: set[int] = set()
    timing = measure("x", lambda i: threads.add(threading.get_ident()) or 1, resolve_context("cpu"), repeats=2)
    assert timing.frames == 2 and threads and threading.main_thread().ident not in threads
    with pytest.raises(ZeroDivisionError):  # an error in the timed work comes back to the caller
        measure("x", lambda i: 1 // 0, resolve_context("cpu"), repeats=1)
