"""The `vidstyle` command: thin argument parsing over library functions.

Subcommands live in vidstyle.commands; each is imported only when it runs, so
`vidstyle --help` stays fast and the runtime never loads training code it does not need.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from .commands.common import resolve_inference_precision, resolve_live_model
from .commands.help_format import DefaultsFormatter
from .errors import OutputExistsError, VidstyleError

# name -> (module in vidstyle.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train", "train a fast style network on a folder of images"),
    "gatys": ("gatys", "optimisation-based style transfer (Gatys et al.) for reference images or frames"),
    "image": ("image", "stylize an image, or a folder of images"),
    "stylize": ("stylize", "stylize a video file, keeping audio, timestamps and rotation"),
    "batch": ("batch", "stylize many video files on a Ray cluster, or with Ray on this machine"),
    "camera": ("camera", "stylize a live camera (or a file paced like one) with low latency"),
    "serve": (
        "serve",
        "live style transfer in the browser: a web page sends its webcam over WebRTC and shows it stylized",
    ),
    "export": ("export", "export a model to ONNX or a TensorRT engine, checked against torch"),
    "import": ("import_model", "convert a pytorch/examples fast_neural_style model (.pth) into a vidstyle model"),
    "flicker": ("flicker", "measure temporal flicker (warping error) of a stylized clip against its input"),
    "bench": ("bench", "measure fps per stage and end to end, and write JSON"),
    "models": ("models", "list the bundled models with their styles and how they were trained"),
}


class Terminated(KeyboardInterrupt):
    """SIGTERM, or SIGHUP (the terminal closed), handled as Ctrl-C is: the same clean-up,
    nothing left behind; the exit status is 128 + the signal's number, as the shell reports."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


# The signals a command is stopped by besides Ctrl-C; SIGHUP does not exist on Windows.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def os_error_line(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason}: {exc.filename}" if isinstance(exc.filename, str) and len(exc.filename) < 300 else reason


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes are bad input too: one line on stderr, exit 2, no usage dump. No abbreviated
    options either: a prefix that argparse would take for a longer flag (bench --out for --output) kept
    retired spellings alive, and would make adding a flag silently change what an old command means."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class CommandParser(OneLineParser):
    """The `vidstyle` parser, which keeps its subcommands' parsers by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="vidstyle",
        description="Real-time video style transfer.",
        epilog="Run `vidstyle COMMAND --help` for each command's options and an example.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, notes or codec logs")
    parser.add_argument("--version", action="version", version=f"vidstyle {__version__}")
    parser.add_argument(
        "-y", "--overwrite", action="store_true", help="replace outputs that exist (default: refuse, as ffmpeg does)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)
    for name, (module, help_text) in COMMANDS.items():
        command = importlib.import_module(f"vidstyle.commands.{module}")
        # Also accepted after the subcommand; SUPPRESS keeps a later default from undoing an
        # earlier -q. One parent per command: argparse shares a parent's actions, and a command
        # may say what -y means for it (batch skips what exists rather than refusing).
        quiet = OneLineParser(add_help=False)
        quiet.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=argparse.SUPPRESS,
            help="no progress bars, notes or codec logs (default: off)",
        )
        if getattr(command, "OVERWRITE_HELP", "") is not None:  # None: the command writes no file
            quiet.add_argument(
                "-y",
                "--overwrite",
                action="store_true",
                default=argparse.SUPPRESS,
                help=getattr(command, "OVERWRITE_HELP", "replace outputs that exist (default: refuse)"),
            )
        sub_parser = parser.commands[name] = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog="example:\n  " + "\n  ".join(command.EXAMPLES),
            formatter_class=DefaultsFormatter,
            parents=[quiet],
        )
        command.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def configure_logging(*, quiet: bool) -> None:
    """Our notes go to stderr as `vidstyle: ...`; other libraries' loggers are left alone,
    except that -q also silences the codecs' own lines (x265's info, libvpx's warnings)."""
    from .media.options import quiet_codec_logs

    quiet_codec_logs(quiet)
    log = logging.getLogger("vidstyle")
    log.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("vidstyle: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.ERROR if quiet else logging.INFO)
    log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    tokens = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(tokens)
    # The command's own parser, so a usage line names the command whose --help lists its options.
    command_parser = parser.commands[args.command]
    # Path("") is the working folder: an empty path, "" or --opt=, would quietly mean "here".
    for at, token in enumerate(tokens):
        if token == "" or (token.startswith("--") and token.endswith("=")):
            named = token[:-1] if token else tokens[at - 1] if at and tokens[at - 1].startswith("-") else "an argument"
            command_parser.error(f'{named} is empty ("")')
    if extra:
        command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    configure_logging(quiet=args.quiet)
    command = importlib.import_module(f"vidstyle.commands.{args._module}")
    # Python handles signals on the main thread only; an embedding caller's thread keeps its own.
    on_main = threading.current_thread() is threading.main_thread()
    previous = {signum: signal.signal(signum, _raise_terminated) for signum in STOP_SIGNALS} if on_main else {}
    try:
        if hasattr(command, "check_inputs"):
            command.check_inputs(args)
        resolve_live_model(args)
        resolve_inference_precision(args)
        return int(command.run(args) or 0)
    except OutputExistsError as exc:
        print(f"vidstyle {args.command}: error: {exc}; pass -y (--overwrite) to replace it", file=sys.stderr)
        return exc.exit_code
    except VidstyleError as exc:
        print(f"vidstyle {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a full disk, a read-only folder, a device gone: the machine, not a bug
        print(f"vidstyle {args.command}: error: {os_error_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        signum = int(exc.signum if isinstance(exc, Terminated) else signal.SIGINT)
        said = {int(signal.SIGINT): "interrupted", int(signal.SIGTERM): "terminated"}.get(
            signum, f"terminated ({signal.Signals(signum).name})"
        )
        print(f"vidstyle {args.command}: {said}", file=sys.stderr)
        return 128 + signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_cli() -> NoReturn:
    """The console script: main(), then exit without waiting on worker threads still busy.

    After Ctrl-C or SIGTERM a decode or inference thread may still be inside a torch or FFmpeg
    call; interpreter shutdown would then abort the process (std::terminate) with a core-dump
    status instead of 130/143. Outputs are already cleaned up when main() returns.
    """
    code = main()
    if (
        any(t.is_alive() and t is not threading.main_thread() and not t.daemon for t in threading.enumerate())
        or code >= 128
    ):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run_cli()
