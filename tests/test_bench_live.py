"""The camera-loop benchmark on a file played in real time: every frame accounted for across
loops of the clip, and the latency of the run's first and last thirds, where a growing queue shows."""

import json
from pathlib import Path

from clips import make_clip
from vidstyle.benchmarks.live import main


def test_a_clip_played_twice_counts_every_frame_and_reports_the_latency_trend(tmp_path: Path, tiny_model: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=12, rate=24)
    out = tmp_path / "live.json"
    args = ["--input", str(clip), "--model", str(tiny_model), "--device", "cpu", "--max-side", "32"]
    assert main([*args, "--frames", "0", "--loops", "2", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    live = report["live"]
    assert live["frames_captured"] == 24 and live["frames_displayed"] + live["frames_dropped"] == 24
    assert live["seconds"] >= 2 * 11 / 24 * 0.9  # each loop paced at the clip's own clock
    trend = report["latency_ms_p50_by_third"]
    assert 0 < trend["first_third"] < 1000 and 0 < trend["last_third"] < 1000
    assert report["settings"]["loops"] == 2
