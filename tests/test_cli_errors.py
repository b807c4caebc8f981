"""Bad or unusual inputs end in one stderr line, a nonzero exit and nothing left on disk:
output suffix versus codec, audio the container cannot hold, tiny sizes, encoder options,
a full disk, training numbers, ONNX opsets."""

import errno
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from clips import make_clip, read_video
from conftest import assert_one_error_line, write_test_image


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _streams(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name) for s in container.streams]


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("out.gif", "GIF output is not supported"),
        ("out.jpg", "vidstyle image"),
        ("out.PNG", "vidstyle image"),
        ("out.xyz", "unknown video suffix"),
    ],
)
def test_output_suffix_that_is_no_video_is_one_line(  # type: ignore[no-untyped-def]
    name: str, needle: str, tmp_path: Path, tiny_model: Path, cli
) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=4, audio=True)
    assert_one_error_line(cli("stylize", src, "-o", tmp_path / name, "--model", tiny_model, "--device", "cpu"), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_webm_gets_vp9_and_opus_when_no_codec_is_named(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=4, audio=True)
    result = cli("stylize", src, "-o", tmp_path / "out.webm", "--model", tiny_model, "--device", "cpu")
    assert result.code == 0, result.err
    assert _streams(tmp_path / "out.webm") == [("video", "vp9"), ("audio", "opus")]
    assert len(read_video(tmp_path / "out.webm")[0]) == 4


@pytest.mark.parametrize(("suffix", "codec"), [(".mp4", "ffv1"), (".webm", "libx264")])
def test_codec_the_container_cannot_hold_is_one_line(  # type: ignore[no-untyped-def]
    suffix: str, codec: str, tmp_path: Path, tiny_model: Path, cli
) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=4)
    out = tmp_path / f"out{suffix}"
    assert_one_error_line(
        cli("stylize", src, "-o", out, "--model", tiny_model, "--codec", codec), f"cannot hold {codec}"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_pcm_audio_into_mp4_is_reencoded_to_aac(tmp_path: Path, tiny_model: Path) -> None:
    from vidstyle.jobs.video import Runtime, VideoOptions, stylize_video

    src = make_clip(tmp_path / "in.mkv", frames=6, audio=True, audio_codec="pcm_s16le")
    result = stylize_video(
        src, tmp_path / "out.mp4", VideoOptions(model=tiny_model, runtime=Runtime(device="cpu")), progress=False
    )
    assert _streams(tmp_path / "out.mp4") == [("video", "h264"), ("audio", "aac")]
    assert "re-encoded pcm_s16le -> aac" in result.audio


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--preset", "bogus"], "unknown preset 'bogus' for libx264"),
        (["--crf", "99"], "crf 99 is out of range for libx264: 0 to 51"),
        (["--crf", "-1"], "out of range for libx264"),
        (["--codec", "libx265", "--crf", "99"], "crf 99 is out of range for libx265"),
        (["--codec", "libvpx-vp9", "--crf", "99"], "crf 99 is out of range for libvpx-vp9: 0 to 63"),
        (["--codec", "libvpx-vp9", "--preset", "fast"], "libvpx-vp9 takes no preset"),
        (["--codec", "ffv1", "--crf", "10"], "ffv1 takes no crf"),
    ],
)
def test_encoder_options_are_checked_against_the_codec(  # type: ignore[no-untyped-def]
    options: list[str], needle: str, tmp_path: Path, tiny_model: Path, cli
) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=4)
    suffix = ".webm" if "libvpx-vp9" in options else ".mkv"
    assert_one_error_line(cli("stylize", src, "-o", tmp_path / f"out{suffix}", "--model", tiny_model, *options), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


@pytest.mark.parametrize("max_side", [1, 2, 3, 4, 5, 8])
def test_tiny_max_side_is_padded_up_to_the_net_minimum(max_side: int, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mp4", frames=3, width=64, height=48)
    result = cli(
        "stylize", src, "-o", tmp_path / "out.mp4", "--model", tiny_model, "--device", "cpu", "--max-side", max_side
    )
    assert result.code == 0, result.err
    frames, _, _ = read_video(tmp_path / "out.mp4")
    assert len(frames) == 3 and frames[0].shape == (48, 64, 3)


def test_two_by_two_video_and_one_pixel_image(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "in.mkv", frames=3, width=2, height=2, codec="ffv1", pix_fmt="bgr0")
    assert (
        cli(
            "stylize", src, "-o", tmp_path / "out.mkv", "--model", tiny_model, "--device", "cpu", "--codec", "ffv1"
        ).code
        == 0
    )
    frames, _, _ = read_video(tmp_path / "out.mkv")
    assert len(frames) == 3 and frames[0].shape == (2, 2, 3)
    pixel = write_test_image(tmp_path / "one.png", 1, 1)
    assert cli("image", pixel, "-o", tmp_path / "styled.png", "--model", tiny_model, "--device", "cpu").code == 0
    assert np.asarray(Image.open(tmp_path / "styled.png")).shape == (1, 1, 3)


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path, tiny_model: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.media.encode import VideoWriter

    def no_space(self: VideoWriter, batch: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(VideoWriter, "write", no_space)
    src = make_clip(tmp_path / "in.mp4", frames=4, audio=True)
    assert_one_error_line(
        cli("stylize", src, "-o", tmp_path / "out.mp4", "--model", tiny_model, "--device", "cpu"),
        "No space left on device",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_read_only_output_folder_is_one_line(tmp_path: Path, tiny_model: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Root writes anywhere, so the folder's refusal is stood in for where the kernel says it."""
    import os

    src = write_test_image(tmp_path / "in.png")
    folder = tmp_path / "ro"
    folder.mkdir()
    real_open = os.open

    def refuse(path, flags, mode=0o777, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(folder)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert_one_error_line(
        cli("image", src, "-o", folder / "out.png", "--model", tiny_model, "--device", "cpu"),
        f"output folder is not writable: {folder}",
    )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        (["--image-size", "8"], "image size must be at least 16"),
        (["--lr", "nan"], "learning rate must be a positive finite number"),
        (["--lr", "-1"], "positive finite"),
    ],
)
def test_train_refuses_numbers_that_cannot_train(  # type: ignore[no-untyped-def]
    option: list[str], needle: str, image_folder: Path, tmp_path: Path, cli
) -> None:
    style = write_test_image(tmp_path / "style.png", pattern=True)
    out = tmp_path / "m.safetensors"
    assert_one_error_line(
        cli("train", "--data", image_folder, "--style", style, "--output", out, "--loss-net", "vgg19-random", *option),
        needle,
    )
    assert not out.exists() and not (tmp_path / "m-run").exists()


@pytest.mark.slow
def test_train_resume_with_another_width_is_one_line(image_folder: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    style = write_test_image(tmp_path / "style.png", pattern=True)
    common = [
        "--data",
        image_folder,
        "--style",
        style,
        "--loss-net",
        "vgg19-random",
        "--device",
        "cpu",
        "--image-size",
        "32",
        "--batch-size",
        "1",
        "--style-size",
        "32",
    ]
    first = cli(
        "train",
        *common,
        "--output",
        tmp_path / "a.safetensors",
        "--steps",
        "1",
        "--width",
        "0.25",
        "--checkpoint-every",
        "1",
    )
    assert first.code == 0, first.err
    ckpt = tmp_path / "a-run" / "last.pt"
    result = cli(
        "train", *common, "--output", tmp_path / "b.safetensors", "--steps", "2", "--width", "0.5", "--resume", ckpt
    )
    assert_one_error_line(result, "trained at width 0.25, not 0.5")
    assert not (tmp_path / "b.safetensors").exists()


def test_export_refuses_an_opset_it_cannot_write(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "m.onnx"
    assert_one_error_line(
        cli("export", tiny_model, "--format", "onnx", "--opset", "99", "--output", out), "opset 99 is not supported"
    )
    assert_one_error_line(
        cli("export", tiny_model, "--format", "onnx", "--opset", "16", "--output", out), "opset 16 is not supported"
    )
    assert list(tmp_path.iterdir()) == []


def test_export_int8_needs_onnx_and_photos(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "m.onnx"
    assert_one_error_line(
        cli("export", tiny_model, "--format", "onnx", "--int8", "--output", out),
        "--int8 needs --format onnx and --calibrate",
    )
    assert_one_error_line(
        cli("export", tiny_model, "--format", "onnx", "--int8", "--fp16", "--calibrate", tmp_path, "--output", out),
        "does not combine with --fp16",
    )
    assert_one_error_line(
        cli("export", tiny_model, "--format", "onnx", "--int8", "--calibrate", tmp_path, "--output", out),
        "int8 calibration needs at least 20 photos",
    )
    assert list(tmp_path.iterdir()) == []


def test_export_reports_the_opset_written(exported_onnx) -> None:  # type: ignore[no-untyped-def]
    import onnx

    from vidstyle.export.onnx import written_opset

    path, report = exported_onnx
    assert report.opset == written_opset(onnx.load(str(path))) == 18


def test_a_file_or_folder_where_the_other_is_needed_is_named_as_what_it_is(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model: Path, cli
) -> None:
    """These said "output folder does not exist: in.mp4", "model file not found: mdl" and
    "training data folder not found: still.png": a file or folder that exists, called missing."""
    src = make_clip(tmp_path / "in.mp4", frames=2)
    still = write_test_image(tmp_path / "still.png")
    (tmp_path / "mdl").mkdir()
    (tmp_path / "mdl.onnx").mkdir()
    cases = [
        (
            ("stylize", src, "-o", tmp_path / "in.mp4" / "x.mp4", "--model", tiny_model),
            f"the output's folder {src} is a file, not a folder",
        ),
        (
            ("image", still, "-o", tmp_path / "o.png", "--model", tmp_path / "mdl"),
            f"the model {tmp_path / 'mdl'} is a folder; give a model file (.safetensors)",
        ),
        (
            ("batch", src, "--output-dir", tmp_path / "out", "--model", tmp_path / "mdl.onnx"),
            "is a folder; give a model file (.onnx)",
        ),
        (
            ("train", "--data", still, "--style", still, "-o", tmp_path / "m.safetensors"),
            f"training data must be a folder of images; {still} is a file",
        ),
    ]
    for args, needle in cases:
        assert_one_error_line(cli(*args), needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "mdl", "mdl.onnx", "still.png"]
