"""One name per concept across subcommands: the old spellings still kept parse to the same values
but are hidden, the 0.1 package's others are refused, -o is the output everywhere, and
docs/flags.md's flag table lists every option.
(That every option's help shows its default is tests/test_cli.py's.)"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from conftest import assert_one_error_line
from vidstyle.cli import build_parser, main


def subcommands() -> dict[str, argparse.ArgumentParser]:
    return build_parser().commands


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


# (new spelling argv, old spelling argv): both must parse to the same namespace.
SAME = [
    (
        ["gatys", "c.jpg", "s.jpg", "-o", "x.png", "--max-side", "64"],
        ["gatys", "c.jpg", "s.jpg", "--output", "x.png", "--max-side", "64"],
    ),
    (
        ["train", "--data", "d", "--style", "s.jpg", "-o", "m.safetensors"],
        ["train", "--data", "d", "--style", "s.jpg", "--output", "m.safetensors"],
    ),
]


@pytest.mark.parametrize(
    ("new", "old"), SAME, ids=[new[0] + "-" + "-".join(a for a in old if a.startswith("--")) for new, old in SAME]
)
def test_old_spellings_parse_the_same(new: list[str], old: list[str]) -> None:
    assert vars(parse(*new)) == vars(parse(*old))


def test_output_twice_or_missing_is_one_line(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    image = tmp_path / "in.png"
    from conftest import write_test_image

    write_test_image(image)
    assert_one_error_line(
        cli("image", image, tmp_path / "a.png", "-o", tmp_path / "b.png"), "unrecognized arguments", "a.png"
    )
    assert_one_error_line(cli("image", image), "-o/--output", "required")
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


def test_unknown_extra_arguments_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["stylize", "in.mp4", "-o", "out.mp4", "stray", "more"])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["vidstyle stylize: error: unrecognized arguments: stray more (see vidstyle stylize --help)"]


# The 0.1 package's spellings that are gone: each is a usage error now, not a quiet alias, and no
# prefix of a flag stands for it either (bench --out was an abbreviation of --output).
RETIRED = [
    ["bench", "--out", "b.json"],
    ["stylize", "in.mp4", "-o", "out.mp4", "--temporal", "0.5"],
    ["stylize", "in.mp4", "out.mp4"],
    ["image", "in.jpg", "out.jpg"],
    ["stylize", "in.mp4", "-o", "out.mp4", "--colour-convert", "device"],
    ["stylize", "in.mp4", "-o", "out.mp4", "--engine", "m.onnx"],
    ["camera", "--engine", "m.onnx"],
    ["gatys", "c.jpg", "s.jpg", "-o", "x.png", "--size", "64"],
    ["camera", "--max-frames", "5"],
    ["camera", "--display", "none"],
    ["camera", "--display", "window"],
    ["flicker", "a.mp4", "b.mp4", "--json", "f.json"],
    ["bench", "--batches", "1,2"],
    ["bench", "--precisions", "fp32"],
    ["bench", "--backends", "torch"],
    ["bench", "--train-steps", "3"],
]


@pytest.mark.parametrize(
    "argv",
    RETIRED,
    ids=[
        " ".join(a for a in argv if a.startswith("--") and a not in ("--display", "--output")) or argv[-1]
        for argv in RETIRED
    ],
)
def test_retired_spellings_are_one_usage_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vidstyle {argv[0]}: error: "), lines


def test_hidden_aliases_are_not_in_any_help() -> None:
    old = ["--batch ", "--colour-convert", "--engine"]
    for name, parser in subcommands().items():
        text = parser.format_help()
        assert not [o for o in old if o in text.replace("--batch-size", "")], name


def test_flag_table_lists_every_option() -> None:
    """docs/flags.md holds the full table; README's is a short one of the common flags."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "flags.md").read_text()
    table = page.split("## Flags", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    listed = {
        flag.strip() for row in rows for flag in row.split(" | ")[0].replace("`", "").replace("|", "").split(", ")
    }
    missing = {
        (name, option)
        for name, parser in subcommands().items()
        for action in parser._actions
        if action.help is not argparse.SUPPRESS and not isinstance(action, argparse._HelpAction)
        for option in action.option_strings
        if option.startswith("--") and option not in listed
    }
    assert not missing, f"options missing from docs/flags.md's flag table: {sorted(missing)}"


def test_overwrite_help_says_what_y_means_for_each_command() -> None:
    helps = {
        name: a.help or ""
        for name, parser in subcommands().items()
        for a in parser._actions
        if "-y" in a.option_strings
    }
    assert "models" not in helps and len(helps) == len(subcommands()) - 1  # models writes nothing, so it has no -y
    assert "skip" in helps["batch"] and "refuse" not in helps["batch"]  # batch resumes; it never refuses
    assert all("refuse" in text for name, text in helps.items() if name != "batch"), helps


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["image", "", "-o", "o.jpg"], "an argument"),
        (["export", "", "--format", "onnx"], "an argument"),
        (["train", "--data", "", "--style", "s.png", "-o", "m.safetensors"], "--data"),
        (["export", "m.safetensors", "--format", "onnx", "--output="], "--output"),  # the same, spelled with =
    ],
)
def test_an_empty_argument_is_one_line_not_the_working_folder(
    args: list[str], named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # "" would otherwise have meant this folder
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f'vidstyle {args[0]}: error: {named} is empty ("") (see vidstyle {args[0]} --help)'
    ]
    assert list(tmp_path.iterdir()) == []


def test_precision_auto_is_resolved_once_for_commands_that_run_a_net(monkeypatch: pytest.MonkeyPatch) -> None:
    from vidstyle import precision
    from vidstyle.commands.common import resolve_inference_precision

    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    monkeypatch.setattr(precision, "probe_seconds", lambda mode, **_: {"fp32": 0.2, "bf16": 0.1}[mode])
    args = parse("image", "in.jpg", "-o", "out.jpg", "--device", "cpu", "--precision", "auto")
    resolve_inference_precision(args)
    assert args.precision == "bf16"
    monkeypatch.setattr(precision, "probe_seconds", lambda mode, **_: {"fp32": 0.1, "bf16": 0.2}[mode])
    args = parse("stylize", "in.mp4", "-o", "out.mp4", "--device", "cpu", "--precision", "auto")
    resolve_inference_precision(args)
    assert args.precision == "fp32"
    train = parse("train", "--data", "d", "--style", "s.jpg", "-o", "m.safetensors")
    resolve_inference_precision(train)  # train decides its own auto, with a backward probe
    assert train.precision == "auto"


def test_image_runs_with_precision_auto(tmp_path: Path, tiny_model: Path) -> None:
    out = tmp_path / "out.png"
    sample = Path(__file__).parent.parent / "vidstyle" / "assets" / "sample.jpg"
    assert (
        main(
            [
                "-q",
                "image",
                str(sample),
                "-o",
                str(out),
                "--model",
                str(tiny_model),
                "--device",
                "cpu",
                "--precision",
                "auto",
                "--max-side",
                "32",
            ]
        )
        == 0
    )
    assert out.is_file()
