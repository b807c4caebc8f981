"""Where a bench's JSON goes and what it prints once written."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidstyle.atomic import atomic_output


def default_output(result: dict[str, Any]) -> Path:
    """benchmarks/results/ when run from a clone (the folder is there), else the current folder:
    a bench never makes folders of its own."""
    name = f"{result['environment']['device']['type']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    results = Path("benchmarks/results")
    return results / name if results.is_dir() else Path(f"bench-{name}")


def write(
    result: dict[str, Any], out: str | None, *, summary: Callable[[dict[str, Any]], list[str]] | None = None
) -> int:
    path = Path(out) if out else default_output(result)
    with atomic_output(path) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {path}")
    from .report import summary_lines

    for line in (summary or summary_lines)(result):
        print(line)
    return 0
