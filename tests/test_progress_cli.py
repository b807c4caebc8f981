"""`export` and `bench` show progress on stderr (plain lines when it is not a terminal), and
-q silences it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vidstyle.cli import main


def bar_lines(err: str, desc: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{desc}:")]


def done(line: str) -> bool:
    """A finished bar: N/N with the same N."""
    match = re.search(r"(\d+)/(\d+)", line)
    return bool(match) and match.group(1) == match.group(2)


def test_export_shows_its_steps(tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tiny.onnx"
    assert main(["export", str(tiny_model), "--format", "onnx", "-o", str(out)]) == 0
    bars = bar_lines(capsys.readouterr().err, "tiny.onnx")
    assert out.exists() and bars and done(bars[-1]) and "3/3" in bars[-1], bars
    assert main(["-q", "export", str(tiny_model), "--format", "onnx", "-o", str(tmp_path / "quiet.onnx")]) == 0
    assert not bar_lines(capsys.readouterr().err, "quiet.onnx")


@pytest.mark.slow
def test_bench_shows_its_measurements(tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert (
        main(
            [
                "bench",
                "--quick",
                "--skip-paper",
                "--backend",
                "torch",
                "--model",
                str(tiny_model),
                "--device",
                "cpu",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    bars = bar_lines(capsys.readouterr().err, "bench")
    # --quick on the CPU with torch alone: decode, upload, download, upload YUV, one encode, batches 1 and 2,
    # naive, end to end.
    assert out.exists() and bars and "9/9" in bars[-1], bars


def test_train_and_gatys_write_plain_progress_lines(
    image_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import write_test_image

    style = write_test_image(tmp_path / "style.png")
    small = ["--loss-net", "vgg19-random", "--precision", "fp32", "--device", "cpu"]
    assert (
        main(
            [
                "train",
                "--data",
                str(image_folder),
                "--style",
                str(style),
                "-o",
                str(tmp_path / "m.safetensors"),
                "--steps",
                "2",
                "--image-size",
                "32",
                "--batch-size",
                "1",
                "--width",
                "0.25",
                "--preview-every",
                "0",
                *small,
            ]
        )
        == 0
    )
    assert (
        main(
            ["gatys", str(style), str(style), "-o", str(tmp_path / "g.png"), "--steps", "2", "--max-side", "32", *small]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "\r" not in err  # a log gets lines, not a terminal's redraws
    for desc in ("m.safetensors", "gatys"):
        bars = bar_lines(err, desc)
        assert bars and "2/2" in bars[-1], err
