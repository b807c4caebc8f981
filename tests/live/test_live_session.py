"""The live loop with a file source paced like a camera (no real camera needed)."""

import json
import threading
from collections.abc import Iterator
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


def switcher_for(paths: list[Path]) -> StyleSwitcher:
    ctx = resolve_context("cpu")
    return StyleSwitcher([FrameStylizer(open_backend(path, ctx), ctx) for path in paths], [p.stem for p in paths])


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


class LockstepClock:
    """A camera and a model that run in lock step, so the test holds under any load: the source
    gives frame 0 at once, and each later frame only when the model lets it, and the model lets
    `frames_per_run` frames through (then waits until they are in the pipeline) on every run.
    A model slower than its camera, as counted in frames rather than in seconds."""

    def __init__(self, frames: int, frames_per_run: int) -> None:
        self.frames, self.frames_per_run = frames, frames_per_run
        self.ticks = threading.Semaphore(0)
        self.changed = threading.Condition()
        self.asked = 0  # the source has been asked for this frame, so every earlier one is in the pipeline
        self.released = 0  # frames the model has let through: frame N needs N ticks
        self.runs = self.shown = 0

    def source(self, stop: threading.Event) -> Iterator[np.ndarray]:
        for index in range(self.frames):
            with self.changed:
                self.asked = index
                self.changed.notify_all()
            if index and not self.ticks.acquire(timeout=30):
                return
            yield np.full((48, 64, 3), index, dtype=np.uint8)
        with self.changed:
            self.asked = self.frames
            self.changed.notify_all()

    def run_model(self) -> None:
        with self.changed:
            # The last run's picture is shown before this run starts: a slow display would drop it.
            assert self.changed.wait_for(lambda: self.shown >= self.runs, timeout=30)
            self.released += self.frames_per_run
            target = min(self.released + 1, self.frames)
        for _ in range(self.frames_per_run):
            self.ticks.release()
        with self.changed:
            # Every frame let through is in the pipeline once the source is asked for the next one.
            assert self.changed.wait_for(lambda: self.asked >= target, timeout=30)
            self.runs += 1

    def show(self) -> None:
        with self.changed:
            self.shown += 1
            self.changed.notify_all()


class LockstepBackend(Backend):
    """The real net, run in lock step with the clock's camera."""

    name = "torch"

    def __init__(self, inner: Backend, clock: LockstepClock) -> None:
        self.inner, self.clock = inner, clock

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        self.inner.prepare(shape)

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        self.clock.run_model()
        return self.inner.run(images, style_weights)

    def _release(self) -> None:
        self.inner.close()


def test_slow_model_drops_stale_frames_and_shows_each_the_same_number_of_frames_late(tiny_model: Path) -> None:
    clock = LockstepClock(frames=61, frames_per_run=4)
    ctx = resolve_context("cpu")
    switcher = StyleSwitcher([FrameStylizer(LockstepBackend(open_backend(tiny_model, ctx), clock), ctx)], ["tiny"])
    shown: list[int] = []

    def show(frame: Frame) -> bool:
        shown.append(frame.index)
        clock.show()
        return True

    summary = run_live(clock.source, switcher, show)
    # The model always takes the newest frame: each run spans 4 frames of the camera, so it shows
    # every 4th frame, each the newest there was when the model picked it, and the 3 it missed
    # are dropped rather than queued behind it. So no frame is ever more than one run late,
    # for the last frame as for the first, however long the run.
    assert shown == list(range(0, 61, 4))
    assert summary["frames_dropped"] == 61 - len(shown)


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
