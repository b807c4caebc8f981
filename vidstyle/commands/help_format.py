"""How an option's line in `--help` ends: with its default, unless the help already says it."""

from __future__ import annotations

import argparse


def help_with_default(action: argparse.Action) -> str:
    """`action`'s help text, ending with its default, "(required)" or "(default: off)"."""
    text = action.help or ""
    if action.required and action.option_strings:
        return f"{text} (required)"
    if isinstance(action, argparse.BooleanOptionalAction):
        return f"{text} (default: {action.option_strings[0 if action.default else 1]})"
    if (
        "default" in text.lower()
        or "(required)" in text
        or not action.option_strings
        or action.default is argparse.SUPPRESS
        or action.nargs == 0
        and action.const is None
    ):
        return text
    if action.nargs == 0 and action.const is True and action.default is False:  # store_true
        return f"{text} (default: off)"
    shown = "none" if action.default is None else "%(default)s"
    return f"{text} (default: {shown})"


class DefaultsFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default (help_with_default)."""

    # argparse has no public hook for one option's help text: only a formatter class's name is
    # public API. _get_help_string is the method the standard library's own
    # ArgumentDefaultsHelpFormatter overrides, so it is the one overridden, here and nowhere
    # else; tests/commands/test_help_format.py fails if Python changes it.
    def _get_help_string(self, action: argparse.Action) -> str:
        return help_with_default(action)
