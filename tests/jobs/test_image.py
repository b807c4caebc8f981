from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import assert_one_error_line, write_test_image


def test_image_keeps_size_and_max_side_only_limits_the_net(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = write_test_image(tmp_path / "in.png", 321, 241)
    assert cli("image", src, "-o", tmp_path / "full.png", "--model", tiny_model, "--device", "cpu").code == 0
    assert (
        cli(
            "image", src, "-o", tmp_path / "small.png", "--model", tiny_model, "--device", "cpu", "--max-side", "64"
        ).code
        == 0
    )
    full, small = np.asarray(Image.open(tmp_path / "full.png")), np.asarray(Image.open(tmp_path / "small.png"))
    assert full.shape == small.shape == (241, 321, 3)
    assert np.abs(full.astype(int) - small.astype(int)).mean() > 1  # it really ran at another size


def test_folder_into_folder_keeps_relative_paths(image_folder: Path, tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "styled"
    out.mkdir()
    result = cli("image", image_folder, "-o", out, "--model", tiny_model, "--device", "cpu")
    assert result.code == 0, result.err
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == sorted(p.relative_to(image_folder).as_posix() for p in image_folder.rglob("*.png"))


def test_image_bad_inputs(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert_one_error_line(
        cli("image", tmp_path / "missing.png", "-o", tmp_path / "o.png", "--model", tiny_model), "not found"
    )
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    assert_one_error_line(cli("image", text, "-o", tmp_path / "o.png", "--model", tiny_model), "not a readable image")
    src = write_test_image(tmp_path / "in.png")
    assert_one_error_line(
        cli("image", src, "-o", tmp_path / "nowhere" / "o.png", "--model", tiny_model), "output folder does not exist"
    )
    assert not (tmp_path / "o.png").exists()


def test_folder_skips_and_counts_unreadable_files_then_fails(  # type: ignore[no-untyped-def]
    image_folder: Path, tmp_path: Path, tiny_model: Path, cli
) -> None:
    (image_folder / "broken.png").write_text("not an image")
    (image_folder / "sub" / "empty.jpg").write_bytes(b"")
    out = tmp_path / "styled"
    out.mkdir()
    result = cli("image", image_folder, "-o", out, "--model", tiny_model, "--device", "cpu")
    assert_one_error_line(result, "skipped 2 unreadable file(s)", "the other 4 were written")
    assert sorted(p.name for p in out.rglob("*.png")) == ["img0.png", "img1.png", "img2.png", "img3.png"]


def test_api_errors_do_not_quote_cli_flags(tmp_path: Path, tiny_model: Path) -> None:
    import pytest

    from clips import make_clip
    from vidstyle.errors import VidstyleError
    from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, stylize_video

    src = make_clip(tmp_path / "in.mp4", frames=2)
    bad: list[Callable[[], object]] = [
        lambda: Runtime(batch=0),
        lambda: VideoOptions(temporal_blend=2.0),
        lambda: stylize_video(
            src, tmp_path / "out.mp4", VideoOptions(model=tiny_model, encode=Encoding(crf=99)), progress=False
        ),
        lambda: stylize_video(
            src, tmp_path / "out.mp4", VideoOptions(model=tiny_model, encode=Encoding(preset="bogus")), progress=False
        ),
    ]
    for attempt in bad:
        with pytest.raises(VidstyleError) as caught:
            attempt()
        assert "--" not in str(caught.value), caught.value


def test_folder_run_stopped_midway_takes_back_what_it_made(
    image_folder: Path, tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidstyle.jobs import image

    out = tmp_path / "styled"
    out.mkdir()
    (out / "keep.txt").write_text("the user's own file")
    real, calls = image.write_image_uint8, []

    def stop_on_the_fourth(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(Path(args[1]))
        if len(calls) == 4:
            raise KeyboardInterrupt  # what Ctrl-C or the CLI's SIGTERM handler raises
        return real(*args, **kwargs)

    monkeypatch.setattr(image, "write_image_uint8", stop_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        image.stylize_folder(image_folder, out, model=tiny_model, device="cpu")
    assert calls[2].parent == out / "sub"  # three files were written, one in a folder the run made
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_folder_with_a_folder_where_a_picture_goes_is_one_line_even_with_y(  # type: ignore[no-untyped-def]
    image_folder: Path, tmp_path: Path, tiny_model: Path, cli
) -> None:
    out = tmp_path / "styled"
    (out / "img0.png").mkdir(parents=True)
    result = cli("image", image_folder, "-o", out, "--model", tiny_model, "--device", "cpu", "-y")
    assert_one_error_line(result, "img0.png is a folder, where the picture for img0.png would go")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["img0.png"]


def test_folder_output_inside_its_input_is_refused(image_folder: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    inside = image_folder / "styled"
    inside.mkdir()
    before = sorted(image_folder.rglob("*"))
    assert_one_error_line(cli("image", image_folder, "-o", inside, "--model", tiny_model), "is inside the input folder")
    assert sorted(image_folder.rglob("*")) == before


def test_folder_into_a_new_folder_makes_it_but_not_its_parents(  # type: ignore[no-untyped-def]
    image_folder: Path, tmp_path: Path, tiny_model: Path, cli
) -> None:
    assert_one_error_line(
        cli("image", image_folder, "-o", tmp_path / "a" / "b", "--model", tiny_model),
        "output folder's parent does not exist",
    )
    assert not (tmp_path / "a").exists()
    assert cli("image", image_folder, "-o", tmp_path / "new", "--model", tiny_model, "--device", "cpu").code == 0
    assert sorted(p.relative_to(tmp_path / "new").as_posix() for p in (tmp_path / "new").rglob("*.png")) == [
        "img0.png",
        "img2.png",
        "sub/img1.png",
        "sub/img3.png",
    ]


def test_a_folder_of_only_unreadable_files_leaves_no_output_folder(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.jpg").write_text("not a picture")
    assert_one_error_line(
        cli("image", bad, "-o", tmp_path / "out", "--model", tiny_model), "none of the 1 image(s)", "could be read"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]


def test_a_16_bit_greyscale_png_is_scaled_not_clipped_to_white(tmp_path: Path, tiny_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """PIL's convert("RGB") clips 16-bit grey (mode I;16) at 255: 30000/65535 came out white."""
    ramp = np.linspace(0, 65535, 48 * 40).reshape(40, 48).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    Image.fromarray(np.round(ramp / 257).astype(np.uint8)).save(tmp_path / "eight.png")  # the same picture in 8 bits
    assert Image.open(tmp_path / "deep.png").mode == "I;16"
    for name in ("deep", "eight"):
        assert (
            cli(
                "image",
                tmp_path / f"{name}.png",
                "-o",
                tmp_path / f"{name}-out.png",
                "--model",
                tiny_model,
                "--device",
                "cpu",
            ).code
            == 0
        )
    deep, eight = (np.asarray(Image.open(tmp_path / f"{name}-out.png")) for name in ("deep", "eight"))
    assert np.abs(deep.astype(int) - eight.astype(int)).max() <= 1


def _image_notes(capsys: pytest.CaptureFixture[str], *args: object) -> list[str]:
    from vidstyle.cli import main

    assert main(["image", *map(str, args), "--device", "cpu"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("vidstyle: model "), lines  # the run's first line comes first
    return [line for line in lines[1:] if line.startswith("vidstyle:") and not line.startswith("vidstyle: wrote")]


def test_dropped_transparency_and_animation_frames_are_noted(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "opaque.png")  # an alpha channel that hides nothing: no note
    rgba[:12, :, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "clear.png")
    frames = [Image.fromarray(np.full((24, 32, 3), 60 * i, np.uint8)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    model = ["--model", tiny_model]
    assert _image_notes(capsys, tmp_path / "opaque.png", "-o", tmp_path / "o1.png", *model) == []
    assert _image_notes(capsys, tmp_path / "clear.png", "-o", tmp_path / "o2.png", *model) == [
        "vidstyle: clear.png: dropped its transparency (the output is opaque)"
    ]
    assert _image_notes(capsys, tmp_path / "anim.gif", "-o", tmp_path / "o3.png", *model) == [
        "vidstyle: anim.gif: dropped frames 2 to 3 of 3 (only the first is stylized)"
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        Image.fromarray(rgba).save(folder / name)
    assert _image_notes(capsys, folder, "-o", tmp_path / "styled", *model) == [
        f"vidstyle: 2 image(s) lost what an RGB picture cannot hold, first {folder / 'a.png'}: "
        "its transparency (the output is opaque)"
    ]
