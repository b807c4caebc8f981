"""Write-to-temp-then-rename, so a failed run never leaves half a file or clobbers a good one."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .errors import VidstyleError


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when the output cannot possibly be written."""
    out = Path(path)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise VidstyleError(f"output folder does not exist: {parent}")
    if out.is_dir():
        raise VidstyleError(f"output path is a folder, expected a file: {out}")
    return out


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, keep_on_error: bool = False) -> Iterator[Path]:
    """Yield a hidden temp path beside `path`; rename it over `path` only on success.

    The temp name keeps the real suffix because PIL and FFmpeg pick the format from it.
    With keep_on_error the partial file is still renamed into place (used by
    `stylize --keep-partial`, whose writer finalises a playable file before re-raising).
    """
    out = check_output_path(path)
    tmp = _create_beside(out)
    try:
        yield tmp
    except BaseException:
        if keep_on_error and tmp.exists() and tmp.stat().st_size > 0:
            _move_into_place(tmp, out)
        else:
            tmp.unlink(missing_ok=True)
        raise
    else:
        _move_into_place(tmp, out)


def _create_beside(out: Path) -> Path:
    """A new, empty, hidden file beside `out`, created with mode 0666 so the kernel applies
    the umask exactly as for a plain open(). Reading the umask would mean setting it
    (os.umask), which races with any other thread creating files."""
    for _ in range(100):
        tmp = out.parent / f".{out.stem}.{secrets.token_hex(4)}.partial{out.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise VidstyleError(f"cannot create a temporary file beside {out}")


def _move_into_place(tmp: Path, out: Path) -> None:
    """Replacing a file keeps that file's permissions; a new one keeps the umask-derived mode."""
    if out.exists():
        os.chmod(tmp, out.stat().st_mode & 0o777)
    os.replace(tmp, out)
