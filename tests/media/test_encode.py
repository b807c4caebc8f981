"""VideoWriter from EncodeOptions alone: no probe of an input needed (the camera's case)."""

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from clips import frame_pixels, make_clip, read_video
from vidstyle.errors import MediaError
from vidstyle.frames import FrameBatch
from vidstyle.media.encode import VideoWriter
from vidstyle.media.options import EncodeOptions


def test_writes_given_pts_size_and_rotation(tmp_path: Path) -> None:
    options = EncodeOptions(
        width=33, height=20, time_base=Fraction(1, 1000), rate_fps=Fraction(30), rotation_degrees=90, preset="ultrafast"
    )
    writer = VideoWriter(tmp_path / "out.mp4", options)
    pixels = torch.from_numpy(np.stack([frame_pixels(i, 33, 20) for i in range(3)]))
    writer.write(FrameBatch(data=pixels, pts=(0, 40, 125), time_base=Fraction(1, 1000)))
    writer.close()
    frames, times, rotation = read_video(tmp_path / "out.mp4")
    assert writer.padded and frames[0].shape == (20, 34, 3)  # 4:2:0 needs an even width
    assert np.allclose(times, [0.0, 0.04, 0.125])
    assert rotation == 90 and writer.audio_action is None


# One swscale pass (scale and convert), or for an odd size in 4:2:0: scaled, padded to even, converted.
@pytest.mark.parametrize(("width", "height", "pix_fmt"), [(96, 64, "yuv444p"), (97, 63, "yuv420p")])
def test_net_size_frames_come_out_scaled_to_the_stream(tmp_path: Path, width: int, height: int, pix_fmt: str) -> None:
    options = EncodeOptions(
        width=width, height=height, time_base=Fraction(1, 25), crf=0, preset="ultrafast", pix_fmt=pix_fmt
    )
    writer = VideoWriter(tmp_path / "out.mkv", options)
    y, x = np.mgrid[0:32, 0:48]
    small = np.stack([x * 5, y * 7, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    writer.write(FrameBatch(data=torch.from_numpy(small)[None], pts=(0,), time_base=Fraction(1, 25)))
    writer.close()
    frames, _, _ = read_video(tmp_path / "out.mkv")
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(small).permute(2, 0, 1)[None].float(),
        size=(height, width),
        mode="bilinear",
        align_corners=False,
    )
    got = torch.from_numpy(frames[0][:height, :width]).permute(2, 0, 1)[None].float()
    assert frames[0].shape == (height + height % 2, width + width % 2, 3) and writer.padded == (pix_fmt == "yuv420p")
    assert float((got - expected).abs().mean()) < 3  # a smooth ramp scaled up: within rounding and YUV steps


def test_an_encoder_that_refuses_to_start_is_one_error_and_closes_what_it_opened(tmp_path: Path) -> None:
    """MPEG-4 Part 2 takes no time base finer than 1/65535; MPEG-TS input counts in 1/90000.
    The failed start used to end in AttributeError: 'VideoWriter' object has no attribute '_closed'."""
    src = make_clip(tmp_path / "in.mkv", frames=3, audio=True)
    options = EncodeOptions(width=64, height=48, time_base=Fraction(1, 90000), codec="mpeg4", crf=None, preset=None)
    before = _open_files()
    with pytest.raises(MediaError, match=r"^the mpeg4 encoder cannot start for 64x48 yuv420p video \(FFmpeg: "):
        VideoWriter(tmp_path / "out.mp4", options, carry_from=src)
    assert _open_files() == before  # the input opened for its audio is closed again


def _open_files() -> list[str]:
    return sorted(
        os.readlink(f"/proc/self/fd/{fd}")
        for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")
    )


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="positive size"):
        EncodeOptions(width=0, height=10, time_base=Fraction(1, 25))
