"""The live loop with a file source paced like a camera (no real camera needed)."""

import json
import threading
import time
from pathlib import Path

import numpy as np
import torch

from clips import make_clip, read_video
from vidstyle.backends import Backend, open_backend
from vidstyle.context import resolve_context
from vidstyle.frames import Frame
from vidstyle.live.session import run_live
from vidstyle.live.styles import StyleSwitcher
from vidstyle.media.capture import file_frames
from vidstyle.stylizer import FrameStylizer


class SlowBackend(Backend):
    """A backend slower than the source: the real net, plus a fixed delay per batch."""

    name = "torch"

    def __init__(self, inner: Backend, delay_seconds: float) -> None:
        self.inner, self.delay_seconds = inner, delay_seconds

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        self.inner.prepare(shape)

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        time.sleep(self.delay_seconds)
        return self.inner.run(images, style_weights)

    def _release(self) -> None:
        self.inner.close()


def switcher_for(paths: list[Path], delay_seconds: float = 0.0) -> StyleSwitcher:
    ctx = resolve_context("cpu")
    stylizers = []
    for path in paths:
        backend = open_backend(path, ctx)
        stylizers.append(FrameStylizer(SlowBackend(backend, delay_seconds) if delay_seconds else backend, ctx))
    return StyleSwitcher(stylizers, [p.stem for p in paths])


def test_file_source_through_the_whole_loop(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "cam.mp4", frames=30, width=64, height=48, rate=30)
    stats, record = tmp_path / "stats.json", tmp_path / "rec.mp4"
    result = cli(
        "camera",
        "--source",
        src,
        "--display",
        "off",
        "--frames",
        "20",
        "--model",
        tiny_model,
        "--device",
        "cpu",
        "--stats-json",
        stats,
        "--record",
        record,
    )
    assert result.code == 0, result.err
    data = json.loads(stats.read_text())
    assert data["frames_captured"] == 20
    assert data["frames_displayed"] + data["frames_dropped"] == 20
    assert data["latency_ms_p95"] >= data["latency_ms_p50"] > 0
    frames, times, _ = read_video(record)
    assert len(frames) == data["frames_displayed"] and frames[0].shape == (48, 64, 3)
    assert times == sorted(times)


def test_slow_model_drops_frames_and_latency_stays_bounded(tmp_path: Path, tiny_model: Path) -> None:
    src = make_clip(tmp_path / "cam.mp4", frames=90, width=64, height=48, rate=30)
    switcher = switcher_for([tiny_model], delay_seconds=0.08)  # ~12 fps model against a 30 fps source
    stop = threading.Event()
    shown: list[float] = []

    def show(frame: Frame) -> bool:
        shown.append(1000 * (time.perf_counter() - frame.captured_seconds))
        return True

    summary = run_live(lambda s: file_frames(str(src), realtime=True, stop=s), switcher, show, stop=stop)
    assert summary["frames_dropped"] > 20
    third = len(shown) // 3
    first, last = np.percentile(shown[:third], 95), np.percentile(shown[-third:], 95)
    assert last < first * 1.5 + 30, (first, last)  # no growth over the run
    assert summary["latency_ms_p95"] < 400


def test_style_switch_takes_effect_within_one_frame(tmp_path: Path, tiny_model: Path) -> None:
    from vidstyle import ModelCard, TransformerNet, save_model

    torch.manual_seed(99)
    other = save_model(tmp_path / "other.safetensors", TransformerNet(width=0.25), ModelCard(width=0.25))
    src = make_clip(tmp_path / "cam.mp4", frames=20, width=64, height=48, rate=10)  # slow enough to show every frame
    switcher = switcher_for([tiny_model, other])
    seen: list[str] = []

    def show(frame: Frame) -> bool:
        seen.append(frame.style_label)
        if len(seen) == 4:
            switcher.switch(+1)  # the path the `n` key takes
        return True

    run_live(lambda s: file_frames(str(src), realtime=True, stop=s), switcher, show)
    after = seen[4:]
    assert after, seen
    assert all(label == "other" for label in after[1:]), seen  # at most one frame in flight keeps the old style
    assert switcher.switch(+1) == tiny_model.stem and switcher.switch(-1) == "other"
