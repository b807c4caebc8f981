"""Write-to-temp-then-rename, so a failed run never leaves half a file or clobbers a good one;
and the output checks every command shares: never over an input, never over an existing file
unless asked."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import OutputExistsError, VidstyleError

PathLike = str | os.PathLike[str]
_TOKEN_BYTES = 4  # of the random part of a temp file's name


class Interrupted(Exception):
    """A run stopped early on purpose: what its temp file holds is a partial result."""


def check_output_path(path: PathLike, *, inputs: Iterable[PathLike | None] = (), overwrite: bool = True) -> Path:
    """Fail early, before any work, when the output cannot or must not be written.

    `inputs` are never written over, however the output is spelled (relative, `..`, a
    symlink, a hard link): files are compared by identity, not by name. An existing output
    is refused unless `overwrite`.
    """
    out = Path(path)
    parent = out.parent if str(out.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise VidstyleError(f"the output's folder {parent} is a file, not a folder: {out}")
    if not parent.is_dir():
        raise VidstyleError(f"output folder does not exist: {parent}")
    if out.is_dir():
        raise VidstyleError(f"output path is a folder, expected a file: {out}")
    check_not_an_input(out, inputs)
    if not overwrite and (out.exists() or out.is_symlink()):
        raise OutputExistsError(f"{out} already exists")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise VidstyleError(f"output folder is not writable: {parent}")
    return out


def check_not_an_input(out: PathLike, inputs: Iterable[PathLike | None]) -> None:
    """Refuse an output that is one of the inputs (os.path.samefile: same device and inode)."""
    if not os.path.exists(out):
        return  # a file that does not exist yet cannot be an input
    for candidate in inputs:
        if candidate is not None and str(candidate) and os.path.exists(candidate) and os.path.samefile(out, candidate):
            raise VidstyleError(f"output {out} is the input {candidate}; write to another file")


def partial_path_for(path: PathLike) -> Path:
    """Where an interrupted run keeps its partial file: the output itself when it does not
    exist yet, else a free `NAME.partial[-N].EXT` beside it, so a good file is never replaced."""
    out = Path(path)
    if not (out.exists() or out.is_symlink()):
        return out
    for n in range(1, 1000):
        candidate = out.with_name(f"{out.stem}.partial{'' if n == 1 else f'-{n}'}{out.suffix}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
    raise VidstyleError(f"no free name for a partial file beside {out}")


@contextlib.contextmanager
def atomic_output(path: PathLike, *, overwrite: bool = True, keep_partial: bool = False) -> Iterator[Path]:
    """Yield a hidden temp path beside `path`; rename it over `path` only on success.

    The output's checks are check_output_path's, made once by the caller before any work; this
    only writes. Without `overwrite` the rename never replaces a file, even one that appeared
    while the temp file was written: that file is kept and OutputExistsError says so.
    The temp name keeps the real suffix because PIL and FFmpeg pick the format from it.
    With keep_partial, an interruption (Ctrl-C, SIGTERM, a caller's stop: KeyboardInterrupt
    or Interrupted) keeps what was written at partial_path_for(path); an error never does,
    because a file cut by an error may not play. The writer must finalise it before re-raising.
    """
    out = Path(path)
    tmp = _create_beside(out)
    try:
        yield tmp
    except BaseException as exc:
        if (
            keep_partial
            and isinstance(exc, KeyboardInterrupt | Interrupted)
            and tmp.exists()
            and tmp.stat().st_size > 0
        ):
            _move_without_replacing(tmp, partial_path_for(out))
        else:
            tmp.unlink(missing_ok=True)
        raise
    try:
        if overwrite:
            _move_into_place(tmp, out)
        else:
            _move_new(tmp, out)
    finally:  # a rename that failed, or was interrupted, leaves no temp file either
        tmp.unlink(missing_ok=True)


class MadeOutputs:
    """The files and folders a run of several outputs creates, so that they can be taken back."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.folders: list[Path] = []

    def folder(self, path: PathLike) -> Path:
        """mkdir -p, remembering each level that did not exist."""
        folder = Path(path)
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for level in reversed(missing):
            level.mkdir()
            self.folders.append(level)
        return folder

    @contextlib.contextmanager
    def file(self, path: PathLike) -> Iterator[Path]:
        """`with made.file(path) as out:` write out; once written it is remembered when it was new (a
        replaced one, asked for with overwrite, is a finished file either way and stays). A write that
        fails is not remembered, so a file another program put there meanwhile is never taken back."""
        out = Path(path)
        new = not (out.exists() or out.is_symlink())
        yield out
        if new:
            self.files.append(out)


@contextlib.contextmanager
def made_outputs() -> Iterator[MadeOutputs]:
    """For commands that write many files one by one: an error, Ctrl-C or SIGTERM inside the
    block removes every file and folder the block created, so a failed run leaves nothing new."""
    made = MadeOutputs()
    try:
        yield made
    except BaseException:
        for file in reversed(made.files):
            file.unlink(missing_ok=True)
        for folder in reversed(made.folders):
            with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
                folder.rmdir()
        raise


def _create_beside(out: Path) -> Path:
    """A new, empty, hidden file beside `out`, created with mode 0666 so the kernel applies
    the umask exactly as for a plain open(). Reading the umask would mean setting it
    (os.umask), which races with any other thread creating files."""
    for _ in range(100):
        tmp = _temp_path(out, secrets.token_hex(_TOKEN_BYTES))
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise VidstyleError(f"output folder does not exist: {out.parent}") from None
        except PermissionError:
            raise VidstyleError(f"output folder is not writable: {out.parent}") from None
        except OSError as exc:
            raise VidstyleError(f"cannot write in {out.parent}: {exc.strerror}") from None
        return tmp
    raise VidstyleError(f"cannot create a temporary file beside {out}")


def _temp_path(out: Path, token: str) -> Path:
    return out.parent / f".{out.stem}.{token}.partial{out.suffix}"


def leftover_temp_files(path: PathLike, *, since: float) -> list[Path]:
    """Temp files atomic_output made for `path` that are still there and were written at or
    after `since` (a time.time()): what a process killed outright (SIGKILL, an out-of-memory
    kill) leaves behind, since it cannot remove them. Only names of exactly that pattern match."""
    out = Path(path)
    pattern = re.compile(
        re.escape(f".{out.stem}.") + f"[0-9a-f]{{{2 * _TOKEN_BYTES}}}" + re.escape(f".partial{out.suffix}")
    )
    found = []
    for candidate in out.parent.glob(f".{glob.escape(out.stem)}.*"):
        try:
            recent = candidate.stat().st_mtime >= since
        except OSError:
            continue
        if recent and pattern.fullmatch(candidate.name):
            found.append(candidate)
    return found


def _move_into_place(tmp: Path, out: Path) -> None:
    """Replacing a file keeps that file's permissions; a new one keeps the umask-derived mode."""
    if out.exists():
        os.chmod(tmp, out.stat().st_mode & 0o777)
    os.replace(tmp, out)


def _move_new(tmp: Path, out: Path) -> None:
    """Never over a file that appeared meanwhile: link() fails rather than replace. Where hard links
    are not supported, an O_EXCL placeholder claims the name first, and only that is replaced."""
    appeared = OutputExistsError(f"{out} appeared while it was being written; it was left as it was")
    try:
        os.link(tmp, out)
        return
    except FileExistsError:
        raise appeared from None
    except OSError:
        pass
    try:
        os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        raise appeared from None
    try:
        os.replace(tmp, out)
    except BaseException:
        out.unlink(missing_ok=True)  # our own placeholder
        raise


def _move_without_replacing(tmp: Path, target: Path) -> None:
    """link() fails rather than replace, so even a file created meanwhile is safe."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        os.link(tmp, partial_path_for(target))
    except OSError:  # a file system without hard links: check, then rename
        os.replace(tmp, partial_path_for(target))
        return
    tmp.unlink()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (loss-net weights run to hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
