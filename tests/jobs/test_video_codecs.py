"""Codec and container checked together before any work, by every command that writes video
(stylize, camera's --record, batch), and odd sizes padded only for the encoders that need it."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest

from clips import make_clip, read_video
from conftest import assert_one_error_line


def stylize(cli, src: Path, out: Path, model: Path, *args: object):  # type: ignore[no-untyped-def]
    return cli("stylize", src, "-o", out, "--model", model, "--device", "cpu", "--max-side", "32", *args)


def codec_of(path: Path) -> str:
    with av.open(str(path)) as container:
        return str(container.streams.video[0].codec_context.name)


@pytest.mark.parametrize(
    ("output", "codec", "needle"),
    [
        # FFmpeg's muxer refuses it
        ("x.mkv", "huffyuv", "a .mkv file cannot hold huffyuv video; use libx264 (the default for .mkv)"),
        (
            "x.webm",
            "libx264",
            "a .webm file cannot hold libx264 video; use libvpx-vp9 (the default for .webm) or write .mkv",
        ),
    ],
)
def test_a_codec_the_container_cannot_hold_is_one_line_before_the_model_loads(  # type: ignore[no-untyped-def]
    output: str, codec: str, needle: str, tmp_path: Path, cli
) -> None:
    """huffyuv into .mkv was `ValueError: 'matroska' format does not support 'huffyuv' codec`."""
    src = make_clip(tmp_path / "in.mp4", frames=2)
    assert_one_error_line(
        stylize(cli, src, tmp_path / output, tmp_path / "never-read.safetensors", "--codec", codec), needle
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_mjpeg_into_mov_is_written(tmp_path: Path, tiny_model: Path, cli) -> None:
    """MJPEG takes full-range yuvj420p; given yuv420p its encoder refused to start, and the
    failed start ended in AttributeError: 'VideoWriter' object has no attribute '_closed'."""
    src = make_clip(tmp_path / "in.mp4", frames=3)
    result = stylize(cli, src, tmp_path / "x.mov", tiny_model, "--codec", "mjpeg")
    assert result.code == 0, result.err
    assert codec_of(tmp_path / "x.mov") == "mjpeg" and len(read_video(tmp_path / "x.mov")[0]) == 3


def test_nvenc_runs_or_is_refused_in_one_line_before_any_work(tmp_path: Path, tiny_model: Path, cli) -> None:
    """h264_nvenc is built into FFmpeg wheels, but needs an NVIDIA driver to start."""
    src = make_clip(tmp_path / "in.mp4", frames=3)
    result = stylize(cli, src, tmp_path / "x.mp4", tiny_model, "--codec", "h264_nvenc")
    if result.code == 0:
        assert codec_of(tmp_path / "x.mp4") == "h264"
    else:
        assert_one_error_line(result, "the h264_nvenc encoder cannot start here (FFmpeg: ")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


@pytest.mark.parametrize(
    ("output", "codec", "padded"), [("out.webm", None, False), ("out.mkv", "rawvideo", False), ("out.mp4", None, True)]
)
def test_odd_sizes_are_padded_only_for_encoders_that_need_it(  # type: ignore[no-untyped-def]
    output: str, codec: str | None, padded: bool, tmp_path: Path, tiny_model: Path, cli
) -> None:
    """VP9 and rawvideo store 33x21 as it is; H.264 4:2:0 needs 34x22, and the note says so."""
    src = make_clip(tmp_path / "in.mkv", frames=2, width=33, height=21, codec="ffv1", pix_fmt="yuv444p")
    result = stylize(cli, src, tmp_path / output, tiny_model, *(["--codec", codec] if codec else []))
    assert result.code == 0, result.err
    frames, _, _ = read_video(tmp_path / output)
    assert frames[0].shape == ((22, 34, 3) if padded else (21, 33, 3))


def test_camera_records_webm_with_a_codec_webm_holds(tmp_path: Path, tiny_model: Path, cli) -> None:
    """The recorder always took libx264: `ValueError: 'webm' format does not support 'libx264'`."""
    src = make_clip(tmp_path / "clip.mp4", frames=4, rate=20)
    result = cli(
        "camera",
        "--source",
        src,
        "--model",
        tiny_model,
        "--device",
        "cpu",
        "--max-side",
        "32",
        "--display",
        "off",
        "--no-realtime",
        "--record",
        tmp_path / "rec.webm",
    )
    assert result.code == 0, result.err
    assert codec_of(tmp_path / "rec.webm") == "vp9" and len(read_video(tmp_path / "rec.webm")[0]) == 4


def test_batch_checks_each_output_container_against_the_codec_before_ray(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # had it reached Ray, the line would say to install it
    (tmp_path / "in").mkdir()
    make_clip(tmp_path / "in" / "a.mp4", frames=2)
    make_clip(tmp_path / "in" / "b.webm", frames=2, codec="libvpx-vp9")
    result = cli(
        "batch", tmp_path / "in", "--output-dir", tmp_path / "out", "--model", tiny_model, "--codec", "libx264"
    )
    assert_one_error_line(result, "a .webm file cannot hold libx264 video")
    assert not (tmp_path / "out").exists()


def test_the_camera_recorder_encodes_webm_with_vp9_s_realtime_settings(tmp_path: Path) -> None:
    """VP9's default settings encode 480x270 at about 3 fps on two cores: a live recording into
    .webm would hold the camera back. The recorder's realtime settings run over ten times faster."""
    from fractions import Fraction

    import numpy as np
    import torch

    from vidstyle.frames import FrameBatch
    from vidstyle.live.outputs import Recorder
    from vidstyle.media.encode import VideoWriter
    from vidstyle.media.options import EncodeOptions

    rng = np.random.default_rng(0)
    batches = [
        FrameBatch(
            data=torch.from_numpy(rng.integers(0, 255, (1, 136, 240, 3), dtype=np.uint8)),
            pts=(33 * i,),
            time_base=Fraction(1, 1000),
        )
        for i in range(12)
    ]

    def seconds_to_encode(writer: VideoWriter) -> float:
        started = time.perf_counter()
        for batch in batches:
            writer.write(batch)
        writer.close()
        return time.perf_counter() - started

    recorder = Recorder(tmp_path / "rec.webm", 240, 136)
    live = seconds_to_encode(recorder.writer)
    recorder.close()
    default = seconds_to_encode(
        VideoWriter(
            tmp_path / "default.webm",
            EncodeOptions(width=240, height=136, time_base=Fraction(1, 1000), codec="libvpx-vp9", crf=31, preset=None),
        )
    )
    assert codec_of(tmp_path / "rec.webm") == "vp9"
    assert live * 4 < default, (live, default)
