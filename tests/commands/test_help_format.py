"""`--help` ends each option's line with its default; the one argparse internal this relies on
(HelpFormatter._get_help_string) still exists and still decides what an option's help reads."""

from __future__ import annotations

import argparse

from vidstyle.commands.help_format import DefaultsFormatter, help_with_default


def parser_with(*calls: tuple[tuple[str, ...], dict[str, object]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="p", formatter_class=DefaultsFormatter)
    for names, options in calls:
        parser.add_argument(*names, **options)  # type: ignore[arg-type]
    return parser


def help_text(parser: argparse.ArgumentParser) -> str:
    return " ".join(parser.format_help().split())  # argparse wraps to the terminal's width


def test_argparse_still_asks_the_formatter_for_each_options_help() -> None:
    # If Python renames or stops calling _get_help_string, DefaultsFormatter's override is silently
    # ignored and no default shows: this is the check that says so.
    assert callable(getattr(argparse.HelpFormatter, "_get_help_string", None))
    assert "_get_help_string" in vars(argparse.ArgumentDefaultsHelpFormatter)  # what the override copies
    text = help_text(parser_with((("--size",), {"type": int, "default": 7, "help": "how big"})))
    assert "how big (default: 7)" in text


def test_each_kind_of_option_ends_with_what_its_default_is() -> None:
    text = help_text(
        parser_with(
            (("--size",), {"type": int, "default": 7, "help": "how big"}),
            (("--name",), {"help": "a name"}),
            (("--fast",), {"action": "store_true", "help": "go fast"}),
            (("--color",), {"action": argparse.BooleanOptionalAction, "default": True, "help": "in colour"}),
            (("--data",), {"required": True, "help": "the data"}),
            (("--said",), {"default": 3, "help": "already says it (default 3)"}),
            (("--hidden",), {"default": argparse.SUPPRESS, "help": "not shown a default"}),
        )
    )
    for line in (
        "how big (default: 7)",
        "a name (default: none)",
        "go fast (default: off)",
        "in colour (default: --color)",
        "the data (required)",
        "already says it (default 3)",
    ):
        assert line in text, line
    assert text.endswith("--hidden HIDDEN not shown a default")


def test_positionals_keep_their_help_as_written() -> None:
    action = argparse.ArgumentParser().add_argument("input", help="the input")
    assert help_with_default(action) == "the input"
