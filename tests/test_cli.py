import re
import subprocess
import sys
from pathlib import Path

import pytest

from vidstyle.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_help_has_an_example(command: str, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(command, "--help")
    assert result.code == 0
    assert "example:" in result.out and f"vidstyle {command}" in result.out.split("example:")[1]


def test_help_does_not_import_torch() -> None:
    code = "import sys, vidstyle.cli; vidstyle.cli.build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_runtime_never_imports_training_or_export() -> None:
    """Dependencies point one way; only the CLI's command modules may reach over, lazily."""
    pattern = re.compile(
        r"^\s*(from|import)\s+(vidstyle\.)?(training|export|benchmarks)\b|from \.\.?(training|export)\b", re.M
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "vidstyle").rglob("*.py")
        if "commands" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []


def test_usage_errors_are_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    from conftest import assert_one_error_line

    assert_one_error_line(
        cli("stylize", "in.mp4", "-o", "out.mp4", "--batch-size", "0"), "--batch-size", "see vidstyle stylize --help"
    )
    assert_one_error_line(cli("nosuchcommand"), "invalid choice")


def test_every_option_help_shows_its_default_or_that_it_is_required() -> None:
    import argparse

    from vidstyle.cli import build_parser
    from vidstyle.commands.help_format import help_with_default

    missing = []
    for name, sub in build_parser().commands.items():
        for action in sub._actions:
            if (
                action.option_strings
                and action.help is not argparse.SUPPRESS
                and not isinstance(action, argparse._HelpAction)
            ):
                text = help_with_default(action).lower()
                if "default" not in text and "(required)" not in text:
                    missing.append(f"{name} {action.option_strings[-1]}")
    assert missing == []


def test_version_flag_and_attribute(cli) -> None:  # type: ignore[no-untyped-def]
    import vidstyle

    result = cli("--version")
    assert result.code == 0 and result.out.strip() == f"vidstyle {vidstyle.__version__}"
    assert vidstyle.__version__[0].isdigit()


def test_quiet_silences_codec_logs(tmp_path: Path, tiny_model: Path) -> None:
    """x265 prints its own info lines through FFmpeg's log; -q must silence them too."""
    from clips import make_clip

    src = make_clip(tmp_path / "in.mp4", frames=3)
    args = [
        "stylize",
        str(src),
        "-o",
        str(tmp_path / "out.mkv"),
        "--model",
        str(tiny_model),
        "--device",
        "cpu",
        "--codec",
        "libx265",
    ]
    loud = subprocess.run([sys.executable, "-m", "vidstyle", *args], capture_output=True, text=True, cwd=tmp_path)
    quiet = subprocess.run(
        [sys.executable, "-m", "vidstyle", "-q", "-y", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "wrote" in loud.stderr  # our own notes still show without -q
    assert quiet.stderr == ""


def test_quiet_leaves_pyav_logging_off(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Any av.logging level installs PyAV's Python log callback, which takes the GIL from FFmpeg's
    decoder threads: a frame-threaded decoder freed while the GIL is held can then hang."""
    import av.logging

    from clips import make_clip

    src = make_clip(tmp_path / "in.mp4", frames=3)
    assert cli("-q", "flicker", src, src).code == 0
    assert av.logging.get_level() is None
