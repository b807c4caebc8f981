"""Write-to-temp-then-rename, so a failed run never leaves half a file or clobbers a good one."""

from __future__ import annotations

import contextlib
import os
import tempfile
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
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".partial{out.suffix}", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
    except BaseException:
        if keep_on_error and tmp.exists() and tmp.stat().st_size > 0:
            os.chmod(tmp, _final_mode(out))
            os.replace(tmp, out)
        else:
            tmp.unlink(missing_ok=True)
        raise
    else:
        os.chmod(tmp, _final_mode(out))
        os.replace(tmp, out)


def _final_mode(out: Path) -> int:
    """mkstemp makes 0600 files; give the result the mode a plain open() would (or the old file's)."""
    if out.exists():
        return out.stat().st_mode & 0o777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
