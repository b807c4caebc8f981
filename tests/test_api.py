"""The Python API: stylize_image takes a path, a PIL image, a numpy array or a tensor and gives
back the same kind; GatysResult.save writes its image; progress suits where stderr goes."""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import write_test_image
from vidstyle import stylize_image


def test_stylize_image_returns_the_kind_it_was_given(tmp_path: Path, tiny_model: Path) -> None:
    path = write_test_image(tmp_path / "in.png", 40, 30)
    from_path = stylize_image(path, model=tiny_model, device="cpu")
    from_pil = stylize_image(Image.open(path), model=tiny_model, device="cpu")
    from_numpy = stylize_image(np.asarray(Image.open(path)), model=tiny_model, device="cpu")
    assert isinstance(from_path, torch.Tensor) and from_path.shape == (30, 40, 3)
    assert isinstance(from_pil, Image.Image) and from_pil.size == (40, 30) and from_pil.mode == "RGB"
    assert isinstance(from_numpy, np.ndarray) and from_numpy.dtype == np.uint8
    assert np.array_equal(np.asarray(from_pil), from_numpy) and np.array_equal(from_numpy, from_path.numpy())


def test_stylize_image_rejects_other_arrays_without_cli_words(tiny_model: Path) -> None:
    with pytest.raises(ValueError, match="expected a uint8 RGB image") as caught:
        stylize_image(np.zeros((8, 8), np.float32), model=tiny_model, device="cpu")
    assert "--" not in str(caught.value)


def test_gatys_result_save(tmp_path: Path) -> None:
    from vidstyle.training.gatys import GatysResult

    result = GatysResult(image=torch.rand(1, 3, 12, 16), history=[])
    written = result.save(tmp_path / "g.png")
    assert written == tmp_path / "g.png" and Image.open(written).size == (16, 12)


def test_progress_is_plain_lines_when_stderr_is_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from vidstyle.progress import LOG_INTERVAL_SECONDS, progress_bar

    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    bar = progress_bar(range(3), enabled=True, total=3, unit="image", desc="photos")
    assert list(bar) == [0, 1, 2] and bar.mininterval == LOG_INTERVAL_SECONDS >= 2
    text = captured.getvalue()
    assert "\r" not in text and text.endswith("\n") and "3/3" in text.splitlines()[-1]
