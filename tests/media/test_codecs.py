"""The one codec table: codec and container checked together, pixel formats, odd sizes, and the
audio an encoder is given."""

from pathlib import Path

import pytest

from vidstyle.errors import MediaError
from vidstyle.media.codecs import (
    audio_layout,
    audio_rate,
    check_encoder,
    choose_codec,
    choose_pix_fmt,
    even_size_needed,
)


def test_each_container_gets_its_default_and_a_named_codec_is_checked_against_it() -> None:
    assert choose_codec(Path("rec.webm"), None) == "libvpx-vp9"
    assert choose_codec(Path("out.mkv"), None) == choose_codec(Path("out.mov"), None) == "libx264"
    assert choose_codec(Path("out.mkv"), "ffv1") == "ffv1"
    with pytest.raises(
        MediaError,
        match=r"^a \.webm file cannot hold libx264 video; use libvpx-vp9 \(the default for \.webm\) or write \.mkv$",
    ):
        choose_codec(Path("rec.webm"), "libx264")
    # FFmpeg's Matroska muxer refuses HuffYUV: PyAV's add_stream raised ValueError after the model loaded.
    with pytest.raises(
        MediaError, match=r"^a \.mkv file cannot hold huffyuv video; use libx264 \(the default for \.mkv\)$"
    ):
        choose_codec(Path("x.mkv"), "huffyuv")
    with pytest.raises(MediaError, match="is not available"):
        choose_codec(Path("x.mkv"), "no_such_codec")
    assert check_encoder("libvpx-vp9") == "vp9"


def test_pixel_formats_and_which_sizes_are_padded() -> None:
    assert choose_pix_fmt("libx264", None) == "yuv420p"
    assert choose_pix_fmt("mjpeg", None) == "yuvj420p"  # MJPEG refuses limited-range yuv420p
    with pytest.raises(MediaError, match="cannot encode pixel format"):
        choose_pix_fmt("libx264", "rgb48le")
    assert even_size_needed("libx264", "yuv420p") == (True, True)
    assert even_size_needed("libx264", "yuv422p") == (True, False)
    assert even_size_needed("libx264", "yuv444p") == (False, False)
    assert even_size_needed("mjpeg", "yuvj420p") == (True, True)
    for codec in ("libvpx-vp9", "rawvideo", "ffv1"):  # they store odd sizes themselves
        assert even_size_needed(codec, "yuv420p") == (False, False)


def test_audio_is_given_a_rate_and_layout_its_encoder_takes() -> None:
    assert [audio_rate("libopus", rate) for rate in (44100, 22050, 96000, 16000, 48000)] == [
        48000,
        48000,
        48000,
        16000,
        48000,
    ]
    assert audio_rate("aac", 44100) == 44100
    assert audio_layout("libopus", "5.1", 48000) == "5.1"
    assert audio_layout("libopus", "5.1(side)", 48000) == "5.1"  # the same six speakers, as ffmpeg stores them
    assert audio_layout("aac", "5.1(side)", 48000) == "5.1(side)"
    assert audio_layout("aac", "mono", 48000) == "mono"
