"""FrameBatch and Frame: validation, a repr that shows shapes not pixels, slicing."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from vidstyle.frames import Frame, FrameBatch


def batch(n: int = 4, height: int = 6, width: int = 8) -> FrameBatch:
    data = (
        torch.arange(n * height * width * 3, dtype=torch.int64)
        .remainder(256)
        .to(torch.uint8)
        .reshape(n, height, width, 3)
    )
    return FrameBatch(data=data, pts=tuple(range(0, 10 * n, 10)), time_base=Fraction(1, 100), first_index=20)


def test_repr_is_shape_only() -> None:
    text = repr(batch(n=4, height=600, width=800))
    assert text == "FrameBatch(4 x 800x600 rgb24, frames 20..23, time_base=1/100)"
    frame = Frame(pixels=np.zeros((480, 640, 3), np.uint8), captured_seconds=1.5, index=7)
    assert repr(frame) == "Frame(#7 640x480, not stylized)"
    stylized = frame.stylized_with(np.ones((480, 640, 3), np.uint8), "candy 70% + udnie 30%")
    assert repr(stylized) == "Frame(#7 640x480, stylized, candy 70% + udnie 30%)"


def test_a_live_frame_is_never_changed_once_made() -> None:
    """The capture thread, the stage and the display hold a frame in turn: the stage makes a new one."""
    frame = Frame(pixels=np.zeros((4, 6, 3), np.uint8), captured_seconds=1.5, index=7, source_seconds=0.25)
    stylized = frame.stylized_with(np.full((4, 6, 3), 9, np.uint8), "udnie")
    assert frame.stylized is None and frame.style_label == ""
    assert stylized is not frame and stylized.style_label == "udnie" and int(stylized.stylized.max()) == 9  # type: ignore[union-attr]
    assert (stylized.index, stylized.captured_seconds, stylized.source_seconds) == (
        7,
        1.5,
        0.25,
    ) and stylized.pixels is frame.pixels
    with pytest.raises(AttributeError):
        frame.style_label = "candy"  # type: ignore[misc]


def test_slice_keeps_pts_and_indices() -> None:
    whole = batch()
    part = whole[1:3]
    assert len(part) == 2 and part.first_index == 21
    assert part.pts == (10, 20) and part.pts_seconds == (0.1, 0.2)
    assert torch.equal(part.data, whole.data[1:3])
    assert len(whole[3:1]) == 0 and len(whole[:-1]) == 3
    with pytest.raises(TypeError, match="slice"):
        whole[0]  # type: ignore[index]


@pytest.mark.parametrize(
    "data,pts,needle",
    [
        (torch.zeros(2, 4, 4, 3), (0, 1), "uint8"),
        (torch.zeros(2, 4, 4, dtype=torch.uint8), (0, 1), r"\[N, H, W, 3\]"),
        (torch.zeros(2, 4, 4, 3, dtype=torch.uint8), (0,), "2 frames but 1 pts"),
    ],
)
def test_invalid_batches_say_what_is_wrong(data: torch.Tensor, pts: tuple[int, ...], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        FrameBatch(data=data, pts=pts, time_base=Fraction(1, 25))
