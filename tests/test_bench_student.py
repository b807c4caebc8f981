"""The student speed table: one row per architecture, precision and layout, with its size."""

import json
from pathlib import Path

from vidstyle.benchmarks.student import ARCHITECTURES, main


def test_every_candidate_is_timed_in_each_precision_and_layout(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    assert main(["--size", "32x24", "--repeats", "1", "--precisions", "fp32", "-o", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["size"] == "32x24" and report["environment"]["device"]["type"] == "cpu"
    assert len(report["rows"]) == 2 * len(ARCHITECTURES)
    full, smallest = report["rows"][0], report["rows"][-1]
    assert full["parameters"] > 10 * smallest["parameters"] and full["macs_per_pixel"] > 10 * smallest["macs_per_pixel"]
    assert all(row["fps_best"] >= row["fps_median"] > 0 for row in report["rows"])
