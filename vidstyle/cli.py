"""The `vidstyle` command: thin argument parsing over library functions.

Subcommands live in vidstyle.commands; each is imported only when it runs, so
`vidstyle --help` stays fast and the runtime never loads training code it does not need.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .errors import VidstyleError

# name -> (module in vidstyle.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train", "train a fast style network on a folder of images"),
    "gatys": ("gatys", "optimisation-based style transfer (Gatys et al.) for reference images or frames"),
    "image": ("image", "stylize an image, or a folder of images"),
    "stylize": ("stylize", "stylize a video file, keeping audio, timestamps and rotation"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidstyle",
        description="Real-time video style transfer.",
        epilog="Run `vidstyle COMMAND --help` for each command's options and an example.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command = importlib.import_module(f"vidstyle.commands.{module}")
        sub_parser = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog="example:\n  " + "\n  ".join(command.EXAMPLES),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR if args.quiet else logging.INFO, format="vidstyle: %(message)s", stream=sys.stderr)
    command = importlib.import_module(f"vidstyle.commands.{args._module}")
    try:
        return int(command.run(args) or 0)
    except VidstyleError as exc:
        print(f"vidstyle {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"vidstyle {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
