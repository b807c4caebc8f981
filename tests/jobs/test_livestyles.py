"""The camera's style list: n/p switch between a multi-style model's styles, m fades."""

from pathlib import Path

import numpy as np
import torch

from conftest import net_output
from vidstyle.backends import open_backend
from vidstyle.context import resolve_context
from vidstyle.frames import Frame
from vidstyle.jobs.livestyles import LiveStylizer
from vidstyle.stylizer import FrameStylizer


class Clock:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def live(models: list[Path], clock: Clock) -> LiveStylizer:
    ctx = resolve_context("cpu")
    stylizers = [FrameStylizer(open_backend(p, ctx), ctx) for p in models]
    return LiveStylizer(stylizers, [p.stem for p in models], clock=clock)


def run(stylizer: LiveStylizer, pixels: np.ndarray) -> np.ndarray:
    frame = stylizer(Frame(pixels=pixels, captured_seconds=0.0, index=0))
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
    stylizer = live([three_style_model], clock)
    candy = net_output(three_style_model, pixels, [1, 0, 0])
    assert np.abs(run(stylizer, pixels).astype(int) - candy.astype(int)).max() <= 1
    assert stylizer.switch(+1) == "mosaic"
    assert np.abs(run(stylizer, pixels).astype(int) - net_output(three_style_model, pixels, [0, 1, 0]).astype(int)).max() <= 1

    assert stylizer.fade(+1) == "udnie"
    assert np.abs(run(stylizer, pixels).astype(int) - net_output(three_style_model, pixels, [0, 1, 0]).astype(int)).max() <= 1  # fade starts where it was
    clock.seconds += 0.25
    quarter = net_output(three_style_model, pixels, [0, 0.75, 0.25])
    assert np.abs(run(stylizer, pixels).astype(int) - quarter.astype(int)).max() <= 1
    clock.seconds += 1.0
    assert np.abs(run(stylizer, pixels).astype(int) - net_output(three_style_model, pixels, [0, 0, 1]).astype(int)).max() <= 1


def test_each_frame_is_labelled_with_the_style_or_mix_it_was_stylized_with(three_style_model: Path) -> None:
    from vidstyle.jobs.live import load_live_stylizer as live_stylizer
    from vidstyle.stylemix import StyleChoice

    pixels = np.zeros((24, 32, 3), dtype=np.uint8)
    mixed = live_stylizer([three_style_model], device="cpu", styles=StyleChoice(mix="udnie:0.3,candy:0.7"))
    assert mixed(Frame(pixels=pixels, captured_seconds=0.0, index=0)).style_label == "candy 70% + udnie 30%"
    assert mixed.switch(+1) == "mosaic"
    assert mixed(Frame(pixels=pixels, captured_seconds=0.0, index=1)).style_label == "mosaic"
    picked = live_stylizer([three_style_model], device="cpu", styles=StyleChoice(style="udnie"))
    assert picked(Frame(pixels=pixels, captured_seconds=0.0, index=0)).style_label == "udnie"
