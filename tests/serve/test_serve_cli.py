"""`vidstyle serve` refuses bad input with one line, before it binds or serves anything."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("aiortc")


def one_error(result: object, text: str) -> None:
    assert result.code != 0  # type: ignore[attr-defined]
    assert len(result.err.strip().splitlines()) == 1, result.err  # type: ignore[attr-defined]
    assert text in result.err  # type: ignore[attr-defined]
    assert "Traceback" not in result.err  # type: ignore[attr-defined]


def test_certfile_without_keyfile(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_error(cli("serve", "--certfile", tmp_path / "cert.pem"), "--certfile and --keyfile go together")


def test_missing_certificate_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_error(cli("serve", "--certfile", tmp_path / "cert.pem", "--keyfile", tmp_path / "key.pem"), "no such file")


def test_a_certificate_that_is_not_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("cert.pem", "key.pem"):
        (tmp_path / name).write_text("not a certificate\n")
    one_error(cli("serve", "--certfile", tmp_path / "cert.pem", "--keyfile", tmp_path / "key.pem"), "cannot use")


def test_port_out_of_range(cli) -> None:  # type: ignore[no-untyped-def]
    one_error(cli("serve", "--port", "70000"), "--port must be 0..65535")


def test_port_in_use(cli, tiny_model: Path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        one_error(
            cli("serve", "--model", tiny_model, "--device", "cpu", "--port", taken.getsockname()[1]),
            "cannot listen on 127.0.0.1",
        )


def test_a_camera_that_is_not_there_fails_at_start(tiny_model: Path) -> None:
    """Not a server whose every viewer gets a dead source: one line, before the model loads."""
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a camera 7")
    command = [
        sys.executable,
        "-m",
        "vidstyle",
        "serve",
        "--source",
        "7",
        "--port",
        "0",
        "--model",
        str(tiny_model),
        "--device",
        "cpu",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "vidstyle serve: error: cannot open camera source '7' (no such device, or no permission)"
    )
    assert result.stdout == ""
