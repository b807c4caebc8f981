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
from typing import NoReturn

from .errors import VidstyleError

# name -> (module in vidstyle.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train", "train a fast style network on a folder of images"),
    "gatys": ("gatys", "optimisation-based style transfer (Gatys et al.) for reference images or frames"),
    "image": ("image", "stylize an image, or a folder of images"),
    "stylize": ("stylize", "stylize a video file, keeping audio, timestamps and rotation"),
    "camera": ("camera", "stylize a live camera (or a file paced like one) with low latency"),
    "serve": ("serve", "live style transfer in the browser: a web page sends its webcam over WebRTC and shows it stylized"),
    "export": ("export", "export a model to ONNX or a TensorRT engine, checked against torch"),
    "flicker": ("flicker", "measure temporal flicker (warping error) of a stylized clip against its input"),
    "bench": ("bench", "measure fps per stage and end to end, and write JSON"),
}


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes are bad input too: one line on stderr, exit 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="vidstyle",
        description="Real-time video style transfer.",
        epilog="Run `vidstyle COMMAND --help` for each command's options and an example.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    # Also accepted after the subcommand; SUPPRESS keeps a later default from undoing an earlier -q.
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars or notes")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command = importlib.import_module(f"vidstyle.commands.{module}")
        sub_parser = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog="example:\n  " + "\n  ".join(command.EXAMPLES),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[quiet],
        )
        command.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def configure_logging(*, quiet: bool) -> None:
    """Our notes go to stderr as `vidstyle: ...`; other libraries' loggers are left alone."""
    log = logging.getLogger("vidstyle")
    log.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("vidstyle: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.ERROR if quiet else logging.INFO)
    log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(quiet=args.quiet)
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
