"""VideoWriter from EncodeOptions alone: no probe of an input needed (the camera's case)."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from clips import frame_pixels, read_video
from vidstyle.errors import MediaError
from vidstyle.frames import FrameBatch
from vidstyle.media.encode import VideoWriter, check_encoder, choose_pix_fmt, even_size_needed
from vidstyle.media.options import EncodeOptions


def test_writes_given_pts_size_and_rotation(tmp_path: Path) -> None:
    options = EncodeOptions(width=33, height=20, time_base=Fraction(1, 1000), rate_fps=Fraction(30), rotation_degrees=90, preset="ultrafast")
    writer = VideoWriter(tmp_path / "out.mp4", options)
    pixels = torch.from_numpy(np.stack([frame_pixels(i, 33, 20) for i in range(3)]))
    writer.write(FrameBatch(data=pixels, pts=(0, 40, 125), time_base=Fraction(1, 1000)))
    writer.close()
    frames, times, rotation = read_video(tmp_path / "out.mp4")
    assert writer.padded and frames[0].shape == (20, 34, 3)  # 4:2:0 needs an even width
    assert np.allclose(times, [0.0, 0.04, 0.125])
    assert rotation == 90 and writer.audio_action is None


def test_codec_rules() -> None:
    assert even_size_needed("yuv420p") == (True, True)
    assert even_size_needed("yuv422p") == (True, False)
    assert even_size_needed("yuv444p") == (False, False)
    assert choose_pix_fmt("libx264", None) == "yuv420p"
    with pytest.raises(MediaError, match="cannot encode pixel format"):
        choose_pix_fmt("libx264", "rgb48le")
    with pytest.raises(MediaError, match="not available"):
        check_encoder("no_such_codec")


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="positive size"):
        EncodeOptions(width=0, height=10, time_base=Fraction(1, 25))
