"""The camera's style list: n/p switch between a multi-style model's styles, m fades."""

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import net_output
from vidstyle.backends import Backend, open_backend
from vidstyle.context import resolve_context
from vidstyle.frames import Frame
from vidstyle.live.styles import StyleSwitcher, live_default_model, load_styles
from vidstyle.modelfile import default_model_path, load_model
from vidstyle.stylemix import StyleChoice
from vidstyle.stylizer import FrameStylizer


class Clock:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def live(models: list[Path], clock: Clock) -> StyleSwitcher:
    ctx = resolve_context("cpu")
    stylizers = [FrameStylizer(open_backend(p, ctx), ctx) for p in models]
    return StyleSwitcher(stylizers, [p.stem for p in models], clock=clock)


def run(switcher: StyleSwitcher, pixels: np.ndarray) -> np.ndarray:
    frame = switcher(Frame(pixels=pixels, captured_seconds=0.0, index=0))
    assert frame.stylized is not None
    return frame.stylized


def test_each_style_of_a_multi_style_model_is_an_entry(three_style_model: Path, tiny_model: Path) -> None:
    assert live([three_style_model], Clock()).names == ["candy", "mosaic", "udnie"]
    both = live([tiny_model, three_style_model], Clock())
    assert both.names == ["tiny", "three:candy", "three:mosaic", "three:udnie"]
    assert [both.switch(+1) for _ in range(4)] == ["three:candy", "three:mosaic", "three:udnie", "tiny"]


def test_switch_changes_style_at_the_next_frame_and_fade_blends_over_one_second(three_style_model: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    clock = Clock()
    switcher = live([three_style_model], clock)
    candy = net_output(three_style_model, pixels, [1, 0, 0])
    assert np.abs(run(switcher, pixels).astype(int) - candy.astype(int)).max() <= 1
    assert switcher.switch(+1) == "mosaic"
    assert (
        np.abs(run(switcher, pixels).astype(int) - net_output(three_style_model, pixels, [0, 1, 0]).astype(int)).max()
        <= 1
    )

    assert switcher.fade(+1) == "udnie"
    # fade starts where it was
    assert (
        np.abs(run(switcher, pixels).astype(int) - net_output(three_style_model, pixels, [0, 1, 0]).astype(int)).max()
        <= 1
    )
    clock.seconds += 0.25
    quarter = net_output(three_style_model, pixels, [0, 0.75, 0.25])
    assert np.abs(run(switcher, pixels).astype(int) - quarter.astype(int)).max() <= 1
    clock.seconds += 1.0
    assert (
        np.abs(run(switcher, pixels).astype(int) - net_output(three_style_model, pixels, [0, 0, 1]).astype(int)).max()
        <= 1
    )


def test_each_frame_is_labelled_with_the_style_or_mix_it_was_stylized_with(three_style_model: Path) -> None:
    pixels = np.zeros((24, 32, 3), dtype=np.uint8)
    mixed = load_styles([three_style_model], device="cpu", choice=StyleChoice(mix="udnie:0.3,candy:0.7"))
    assert mixed(Frame(pixels=pixels, captured_seconds=0.0, index=0)).style_label == "candy 70% + udnie 30%"
    assert (
        np.abs(run(mixed, pixels).astype(int) - net_output(three_style_model, pixels, [0.7, 0, 0.3]).astype(int)).max()
        <= 1
    )
    assert mixed.switch(+1) == "mosaic"
    assert mixed(Frame(pixels=pixels, captured_seconds=0.0, index=1)).style_label == "mosaic"
    picked = load_styles([three_style_model], device="cpu", choice=StyleChoice(style="udnie"))
    assert picked(Frame(pixels=pixels, captured_seconds=0.0, index=0)).style_label == "udnie"
    assert (
        np.abs(run(picked, pixels).astype(int) - net_output(three_style_model, pixels, [0, 0, 1]).astype(int)).max()
        <= 1
    )
    assert (
        np.abs(run(mixed, pixels).astype(int) - net_output(three_style_model, pixels, [0, 1, 0]).astype(int)).max() <= 1
    )


class KeyDuringInference(Backend):
    """The real net, and a key pressed (on the window's thread) while a frame is inside it."""

    name = "torch"

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.style_names = inner.style_names
        self.press: list[Callable[[], object]] = []  # each run once, in the middle of the next frame

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        self.inner.prepare(shape)

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        while self.press:
            self.press.pop()()
        return self.inner.run(images, style_weights)

    def _release(self) -> None:
        self.inner.close()


def test_a_key_pressed_while_a_frame_is_inferred_labels_the_next_frame_not_this_one(three_style_model: Path) -> None:
    """A frame's pixels and its label come from the same moment: the one it went into the net."""
    pixels = np.random.default_rng(1).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    ctx = resolve_context("cpu")
    backend = KeyDuringInference(open_backend(three_style_model, ctx))
    switcher = StyleSwitcher([FrameStylizer(backend, ctx)], ["three"], clock=Clock())
    backend.press.append(lambda: switcher.switch(+1))
    frame = switcher(Frame(pixels=pixels, captured_seconds=0.0, index=0))
    assert frame.style_label == "candy"
    assert np.abs(frame.stylized.astype(int) - net_output(three_style_model, pixels, [1, 0, 0]).astype(int)).max() <= 1  # type: ignore[union-attr]
    after = switcher(Frame(pixels=pixels, captured_seconds=0.0, index=1))
    assert after.style_label == "mosaic"
    assert np.abs(after.stylized.astype(int) - net_output(three_style_model, pixels, [0, 1, 0]).astype(int)).max() <= 1  # type: ignore[union-attr]


def test_the_stage_hands_on_a_new_frame_and_leaves_the_captured_one_as_it_was(tiny_model: Path) -> None:
    captured = Frame(pixels=np.zeros((24, 32, 3), dtype=np.uint8), captured_seconds=3.0, index=5, source_seconds=0.5)
    stylized = live([tiny_model], Clock())(captured)
    assert captured.stylized is None and captured.style_label == ""
    assert stylized.stylized is not None and stylized.stylized.shape == (24, 32, 3) and stylized.style_label == "tiny"
    assert (stylized.index, stylized.captured_seconds, stylized.source_seconds) == (5, 3.0, 0.5)


def test_a_live_run_given_no_model_runs_the_fast_student_on_a_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    name, reason = live_default_model("cpu")
    assert name == "mosaic-fast" and "CPU" in reason and "--model default" in reason
    student, teacher = load_model("mosaic-fast"), load_model("default")
    assert student.card.segments[0]["teacher"].startswith("default.safetensors")
    assert student.net.style_count == 1 and student.card.style_names == teacher.card.style_names
    # Without the student installed, the full net runs, and the line says why.
    monkeypatch.setattr("vidstyle.live.styles.bundled_models", lambda: {"default": default_model_path()})
    name, reason = live_default_model("cpu")
    assert name == "default" and "mosaic-fast" in reason and "not installed" in reason


def test_load_styles_given_no_model_logs_which_one_runs_and_why(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="vidstyle"):
        switcher = load_styles([None], device="cpu", max_side=32)
    assert switcher.names == ["mosaic-fast"]
    assert caplog.messages[0].startswith("model: mosaic-fast, the default's distilled student")
