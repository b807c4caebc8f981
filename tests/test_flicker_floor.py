"""benchmarks.flicker_floor: filters with no flicker of their own, and how their warping error grows
with their edges, on a real (tiny) panning clip."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from benchmarks.flicker_floor import compare_spec, contrast, main, outlines

WIDTH, HEIGHT, FRAMES = 96, 64, 12


def panning_clip(path: Path) -> Path:
    """A smooth texture sliding right one pixel per frame: motion the flow can follow."""
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (HEIGHT, WIDTH + FRAMES, 3)).astype(np.float32), (0, 0), 5)
    texture = cv2.normalize(texture, None, 80, 176, cv2.NORM_MINMAX).astype(np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = stream.time_base = Fraction(1, 12)
        stream.codec_context.options = {"preset": "ultrafast", "crf": "10"}
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(texture[:, FRAMES - i : FRAMES - i + WIDTH]), format="rgb24"
            )
            frame.pts, frame.time_base = i, Fraction(1, 12)
            out.mux(stream.encode(frame.reformat(format="yuv420p")))
        out.mux(stream.encode(None))
    return path


def test_contrast_stretches_about_mid_grey_without_touching_its_input() -> None:
    frame = np.array([[[128, 100, 200]]], dtype=np.uint8)
    kept = frame.copy()
    assert contrast(2.0)(frame).tolist() == [[[128, 72, 255]]]
    assert contrast(1.0)(frame).tolist() == frame.tolist()
    assert np.array_equal(frame, kept)


def test_outlines_darken_edges_only() -> None:
    frame = np.full((8, 8, 3), 200, dtype=np.uint8)
    frame[:, 4:] = 100
    kept = frame.copy()
    lined = outlines(1.0)(frame)
    assert np.array_equal(frame, kept)
    assert np.array_equal(lined[:, :2], frame[:, :2]) and np.array_equal(lined[:, 6:], frame[:, 6:])  # flat: untouched
    assert (lined[:, 3:5] < frame[:, 3:5]).all()  # along the step: darker


def test_warping_error_grows_with_the_edges_of_filters_that_follow_the_input(tmp_path: Path) -> None:
    clip = panning_clip(tmp_path / "pan.mp4")
    out = tmp_path / "floor.json"
    assert (
        main([str(clip), "--max-side", "64", "--blend", "0.9", "--compare", "again=default:mosaic", "--out", str(out)])
        == 0
    )
    result = json.loads(out.read_text())
    assert (
        result["max_side"] == 64
        and result["batch"] == 4
        and result["precision"] == "fp32"
        and result["blends"] == [0.9]
        and result["compare"] == [["again", "default", "mosaic"]]
        and "device" in result["environment"]
    )
    rows = {row["row"]: row for row in result["clips"]["pan.mp4"]}
    assert list(rows) == [
        "input (reference)",
        "identity (resampled to --max-side and back)",
        "contrast x2",
        "outlines x1",
        "outlines x2",
        "model",
        "model + --temporal-blend 0.9",
        "again",
    ]
    assert rows["input (reference)"]["ratio_to_input"] == 1.0
    assert rows["identity (resampled to --max-side and back)"]["ratio_to_input"] == pytest.approx(1.0, abs=0.3)
    chain = [rows[name] for name in ("identity (resampled to --max-side and back)", "outlines x1", "outlines x2")]
    assert [r["edge_energy"] for r in chain] == sorted(r["edge_energy"] for r in chain)
    assert chain[0]["ratio_to_input"] < chain[1]["ratio_to_input"] < chain[2]["ratio_to_input"]
    assert rows["contrast x2"]["edge_energy"] > rows["identity (resampled to --max-side and back)"]["edge_energy"]
    assert all(
        rows[name]["warping_error"] > 0 and rows[name]["edge_energy"] > 0
        for name in ("model", "model + --temporal-blend 0.9")
    )
    # the blend steadies the model
    assert rows["model + --temporal-blend 0.9"]["warping_error"] < 0.7 * rows["model"]["warping_error"]
    # The same model again, by name and style (CPU convolutions may differ in the last bits between runs).
    assert rows["again"]["warping_error"] == pytest.approx(rows["model"]["warping_error"], rel=0.01)
    assert out.with_suffix(".md").read_text().count("| pan.mp4 |") == 8


def test_compare_spec_takes_an_optional_style() -> None:
    assert compare_spec("scream=four-styles:the_scream") == ("scream", "four-styles", "the_scream")
    assert compare_spec("old=old.safetensors") == ("old", "old.safetensors", None)
    with pytest.raises(argparse.ArgumentTypeError, match="LABEL=MODEL"):
        compare_spec("=four-styles")


def test_a_missing_clip_is_one_line_and_no_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "floor.json"
    assert main([str(tmp_path / "nothing.mp4"), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"flicker_floor: input not found: {tmp_path / 'nothing.mp4'}"]
    assert list(tmp_path.iterdir()) == []
