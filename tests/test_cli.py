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
    pattern = re.compile(r"^\s*(from|import)\s+(vidstyle\.)?(training|export|benchmarks)\b|from \.\.?(training|export)\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "vidstyle").rglob("*.py")
        if "commands" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []


def test_usage_errors_are_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    from conftest import assert_one_error_line

    assert_one_error_line(cli("stylize", "in.mp4", "out.mp4", "--batch", "0"), "--batch", "see vidstyle stylize --help")
    assert_one_error_line(cli("nosuchcommand"), "invalid choice")
