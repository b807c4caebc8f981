"""Copy tensorrt-stubs into .stubs/ with its few syntax errors fixed, for mypy.

tensorrt-stubs 10.13 installs `tensorrt/` without a py.typed marker (so mypy ignores it in
site-packages) and has parameters named `in` and a default before a non-default argument,
which stop mypy at a syntax error. The copy fixes only those; every API name and
signature mypy checks against is the stubs' own.
"""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
from pathlib import Path


def main(target: str = ".stubs") -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    out = Path(target)
    if not (site / "tensorrt_bindings").is_dir():
        print("tensorrt-stubs is not installed (pip install --no-deps tensorrt-stubs)", file=sys.stderr)
        return 1
    shutil.rmtree(out, ignore_errors=True)
    for package in ("tensorrt", "tensorrt_bindings"):
        shutil.copytree(site / package, out / package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    for stub in out.rglob("*.pyi"):
        text = stub.read_text()
        text = re.sub(r"(\(|, )in: ", r"\1in_: ", text)
        text = re.sub(r"channel_axis: int\)", "channel_axis: int = ...)", text)
        stub.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
