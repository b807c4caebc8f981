"""The style-quality benchmark: every model on every photo and frame, scored by the given scorer."""

import json
from pathlib import Path

from PIL import Image

from clips import make_clip
from conftest import write_test_image
from vidstyle.benchmarks.style_quality import main

# The real scorer is a separate script; this one has its calling convention and output line, and
# scores by the output's mean brightness so that different pictures get different numbers.
SCORER = """import sys
import numpy as np
from PIL import Image
h5, style, content, output = sys.argv[1:5]
mean = float(np.asarray(Image.open(output).convert("L")).mean()) / 255
print(f"ratio {mean:.3f} content 0.5 structure {1 - mean:.3f}")
"""


def score(tmp_path: Path, photos: Path, *args: str) -> int:
    """The benchmark with SCORER for the scorer, styled after photos/a.png."""
    scorer = tmp_path / "scorer.py"
    scorer.write_text(SCORER)
    return main(["--scorer", str(scorer), "--style", str(photos / "a.png"), "--photos", str(photos), *args])


def test_models_and_outside_pictures_are_scored_per_picture_with_a_sheet(tiny_model: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    write_test_image(photos / "a.png", 80, 60, seed=1)
    write_test_image(photos / "b.jpg", 40, 90, seed=2)
    clip = make_clip(tmp_path / "clip.mp4", frames=24, rate=12)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for stem in ("a", "b", "clip-t0.5"):
        Image.new("RGB", (64, 48), (255, 255, 255)).save(elsewhere / f"{stem}.png")
    report, sheet, keep = tmp_path / "r.json", tmp_path / "sheet.jpg", tmp_path / "kept"
    code = score(
        tmp_path,
        photos,
        "--videos",
        str(clip),
        "--frame-times",
        "0.5",
        "--models",
        str(tiny_model),
        "--outputs",
        f"white={elsewhere}",
        "--max-side",
        "64",
        "-o",
        str(report),
        "--sheet",
        str(sheet),
        "--keep",
        str(keep),
    )
    assert code == 0
    data = json.loads(report.read_text())
    assert [(r["entry"], r["picture"], r["kind"]) for r in data["rows"]] == [
        ("tiny", "a", "photo"),
        ("tiny", "b", "photo"),
        ("tiny", "clip-t0.5", "frame"),
        ("white", "a", "photo"),
        ("white", "b", "photo"),
        ("white", "clip-t0.5", "frame"),
    ]
    assert all(r["ratio"] == 1.0 and r["structure"] == 0.0 for r in data["rows"] if r["entry"] == "white")
    assert data["summary"]["white/photos"]["ratio_mean"] == 1.0 and "tiny/frames" in data["summary"]
    assert data["models"]["tiny"]["steps"] == 0 and data["environment"]["device"]["type"] == "cpu"
    with Image.open(keep / "b.png") as scaled:
        assert max(scaled.size) == 64  # every picture at --max-side
    with Image.open(sheet) as image:
        assert image.height == 3 * 200  # the content row, then one row per entry


def test_a_missing_outside_picture_is_one_line(tiny_model: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    photos = tmp_path / "photos"
    photos.mkdir()
    write_test_image(photos / "a.png")
    code = score(tmp_path, photos, "--outputs", f"x={tmp_path}", "-o", str(tmp_path / "r.json"))
    assert code == 1 and not (tmp_path / "r.json").exists()
    assert capsys.readouterr().err.strip().splitlines() == [
        f"style_quality: error: --outputs x: {tmp_path / 'a.png'} is missing"
    ]
