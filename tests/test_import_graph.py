"""The import graph of the repository's packages has no circles, no module imports another's
private (_underscored) names, and vidstyle/ never imports training/, export/ or benchmarks/
except lazily from a command. Every import counts: at module
level, under TYPE_CHECKING and inside functions (a lazy import still ties two modules together)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The installed names: training/ is vidstyle.training, and so on (pyproject.toml's package-dir).
PACKAGES = {
    "vidstyle": "vidstyle",
    "training": "vidstyle.training",
    "export": "vidstyle.export",
    "benchmarks": "vidstyle.benchmarks",
}


def modules() -> dict[str, Path]:
    found = {}
    for folder, name in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            dotted = ".".join((name, *parts))
            found[dotted.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the repository modules it imports."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
                base = ".".join(p for p in (base, node.module or "") if p)
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in known:
                    target = target.rpartition(".")[0]
                # a package's own __init__ is no circle
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while (top := stack.pop()) != node:
                component.add(top)
            if component:
                found.append(frozenset(component | {node}))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_finder_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    graph = import_graph()
    assert graph["vidstyle.jobs.flicker"] >= {"vidstyle.temporal", "vidstyle.media.decode"}  # the graph is read at all
    assert [sorted(c) for c in circles(graph)] == []


def test_the_runtime_imports_no_training_export_or_benchmark_code_except_from_commands() -> None:
    graph = import_graph()
    over = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("vidstyle.")
        and not name.startswith(("vidstyle.commands.", *(f"{p}." for p in PACKAGES.values() if p != "vidstyle")))
        for target in targets
        if target.startswith(("vidstyle.training", "vidstyle.export", "vidstyle.benchmarks"))
    }
    assert sorted(over) == []


def test_no_module_imports_another_modules_private_names() -> None:
    private = sorted(
        f"{path.relative_to(ROOT)}: {node.module} {alias.name}"
        for path in modules().values()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    )
    assert private == []
