"""vidstyle models: a listing, so its options are only what a listing needs."""

from __future__ import annotations

from conftest import assert_one_error_line


def test_models_offers_no_overwrite_flag(cli) -> None:  # type: ignore[no-untyped-def]
    help_text = cli("models", "--help").out
    assert "--quiet" in help_text and "-y" not in help_text and "--overwrite" not in help_text
    assert_one_error_line(cli("models", "-y"), "unrecognized arguments: -y")


def test_models_lists_every_bundled_model(cli) -> None:  # type: ignore[no-untyped-def]
    from vidstyle.modelfile import bundled_models

    result = cli("models")
    assert result.code == 0
    names = [line.split()[0] for line in result.out.splitlines()[1:]]
    assert names == list(bundled_models()) and "default" in names


def test_commands_that_write_files_keep_y(cli) -> None:  # type: ignore[no-untyped-def]
    for command in ("stylize", "image", "export", "import", "train"):
        assert "-y, --overwrite" in cli(command, "--help").out, command
