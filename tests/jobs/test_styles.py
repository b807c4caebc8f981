"""--style, --style-mix and --style-schedule on image, stylize, camera and the Python API."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clips import make_clip, read_video
from conftest import THREE_STYLES, CliResult, assert_one_error_line, net_output, write_test_image
from vidstyle import load_model
from vidstyle.jobs.image import stylize_image


def test_image_style_by_name_index_and_mix_match_the_net(tmp_path: Path, three_style_model: Path) -> None:
    pixels = np.array(Image.open(write_test_image(tmp_path / "in.png", 40, 32)).convert("RGB"))
    by_name = stylize_image(pixels, model=three_style_model, device="cpu", style="udnie")
    by_index = stylize_image(pixels, model=three_style_model, device="cpu", style=2)
    mixed = stylize_image(pixels, model=three_style_model, device="cpu", style_mix="candy:3,mosaic:1")
    default = stylize_image(pixels, model=three_style_model, device="cpu")
    assert np.array_equal(by_name, by_index)
    assert np.abs(by_name.astype(int) - net_output(three_style_model, pixels, [0, 0, 1]).astype(int)).max() <= 1
    assert np.abs(mixed.astype(int) - net_output(three_style_model, pixels, [0.75, 0.25, 0]).astype(int)).max() <= 1
    assert np.abs(default.astype(int) - net_output(three_style_model, pixels, [1, 0, 0]).astype(int)).max() <= 1
    assert np.abs(by_name.astype(int) - default.astype(int)).mean() > 5  # the styles really differ


def test_style_schedule_moves_from_one_style_to_the_next_over_time(  # type: ignore[no-untyped-def]
    tmp_path: Path, three_style_model: Path, cli
) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=24, rate=12, width=48, height=32)
    outputs = {}
    for name, flags in (
        ("candy", ["--style", "candy"]),
        ("udnie", ["--style", "udnie"]),
        ("plan", ["--style-schedule", "0s:candy,1s:udnie"]),
    ):
        out = tmp_path / f"{name}.mkv"
        result = cli(
            "stylize", clip, "-o", out, "--model", three_style_model, "--device", "cpu", "--codec", "ffv1", *flags
        )
        assert result.code == 0, result.err
        outputs[name] = read_video(out)[0]
    plan, candy, udnie = outputs["plan"], outputs["candy"], outputs["udnie"]
    assert len(plan) == 24
    assert np.array_equal(plan[0], candy[0])  # 0 s: all candy
    assert all(np.array_equal(plan[i], udnie[i]) for i in range(12, 24))  # from 1 s: all udnie
    middle = plan[6]  # 0.5 s: half way, like neither
    assert not np.array_equal(middle, candy[6]) and not np.array_equal(middle, udnie[6])


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--style", "starry"], "no style 'starry' in this model; its styles are 0:candy, 1:mosaic, 2:udnie"),
        (["--style", "7"], "its styles are 0:candy"),
        (["--style-mix", "candy:-1,mosaic:1"], "must be finite and >= 0"),
        (["--style-mix", "candy:0,mosaic:0"], "all zero"),
        (["--style-mix", "candy"], "not NAME:WEIGHT"),
    ],
)
def test_bad_style_arguments_give_one_line_naming_the_styles(  # type: ignore[no-untyped-def]
    tmp_path: Path, three_style_model: Path, cli, flags: list[str], needle: str
) -> None:
    image = write_test_image(tmp_path / "in.png")
    result = cli("image", image, "-o", tmp_path / "out.png", "--model", three_style_model, "--device", "cpu", *flags)
    assert_one_error_line(result, needle)
    assert not (tmp_path / "out.png").exists()
    clip = make_clip(tmp_path / "in.mp4", frames=4)
    result = cli("stylize", clip, "-o", tmp_path / "out.mp4", "--model", three_style_model, "--device", "cpu", *flags)
    assert_one_error_line(result, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "in.png"]


NOT_A_TIME = " is not a time of 0 or more seconds"


@pytest.mark.parametrize(
    ("plan", "needles"),
    [
        ("0s:candy,2s:starry", ("no style 'starry'", ", ".join(f"{i}:{n}" for i, n in enumerate(THREE_STYLES)))),
        # nan and inf parse as floats; run, they gave an all-black video with exit 0.
        ("nans:candy,1s:mosaic", ("style schedule time 'nans'" + NOT_A_TIME,)),
        ("0s:candy,infs:mosaic", ("style schedule time 'infs'" + NOT_A_TIME,)),
    ],
)
def test_a_bad_schedule_is_one_line_before_any_output(  # type: ignore[no-untyped-def]
    plan: str, needles: tuple[str, ...], tmp_path: Path, three_style_model: Path, cli
) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=4)
    out = tmp_path / "out.mp4"
    result = cli("stylize", clip, "-o", out, "--model", three_style_model, "--device", "cpu", "--style-schedule", plan)
    assert_one_error_line(result, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_style_and_style_mix_together_are_refused_by_the_parser(tmp_path: Path, three_style_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "image",
        write_test_image(tmp_path / "in.png"),
        "-o",
        tmp_path / "o.png",
        "--model",
        three_style_model,
        "--style",
        "candy",
        "--style-mix",
        "candy:1",
    )
    assert result.code == 2 and "not allowed with argument" in result.err


def test_camera_starts_on_the_chosen_style(tmp_path: Path, three_style_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = make_clip(tmp_path / "cam.mp4", frames=6, width=48, height=32, rate=5)
    record = tmp_path / "rec.mp4"

    def camera(*args: object) -> CliResult:
        return cli(
            "camera",
            "--source",
            src,
            "--display",
            "off",
            "--frames",
            "3",
            "--model",
            three_style_model,
            "--device",
            "cpu",
            *args,
        )

    result = camera("--realtime", "--style", "udnie", "--record", record)
    assert result.code == 0, result.err
    assert read_video(record)[0]
    bad = camera("--style", "starry", "--record", tmp_path / "rec2.mp4")
    assert_one_error_line(bad, "no style 'starry'")


def test_an_exported_multi_style_model_takes_the_same_style_names(tmp_path: Path, three_style_model: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.export.onnx import export_onnx

    onnx_path = tmp_path / "three.onnx"
    export_onnx(load_model(three_style_model), onnx_path)
    clip = make_clip(tmp_path / "in.mp4", frames=3, width=48, height=32)
    frames = {}
    for model in (three_style_model, onnx_path):
        out = tmp_path / f"{model.suffix[1:]}.mkv"
        result = cli(
            "stylize", clip, "-o", out, "--model", model, "--device", "cpu", "--codec", "ffv1", "--style", "mosaic"
        )
        assert result.code == 0, result.err
        frames[model.suffix] = read_video(out)[0]
    assert np.abs(frames[".onnx"][0].astype(int) - frames[".safetensors"][0].astype(int)).max() <= 2
    bad = cli("stylize", clip, "-o", tmp_path / "bad.mp4", "--model", onnx_path, "--device", "cpu", "--style", "starry")
    assert_one_error_line(bad, "its styles are 0:candy, 1:mosaic, 2:udnie")
