"""The layer rules of ARCHITECTURE.md, checked on the import graph of src/ built with `ast`.

Every import counts: at the top of a module, inside a function, under `if TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "sarcoform"
CORE = ("model", "io", "solving", "report")
# layer → the layers it must not import (README / ARCHITECTURE.md)
FORBIDDEN = {
    "model": {"io", "solving", "report", "batch", "cli", "check", "sarcoform"},
    "io": {"solving", "report", "batch", "cli", "check", "sarcoform"},
    "solving": {"io", "report", "batch", "cli", "check", "sarcoform"},
    "report": {"batch", "cli", "check", "sarcoform"},
    "batch": {"cli", "check", "sarcoform"},
}


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Module → the modules of the package it imports (anywhere in its body)."""
    files = {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                origin = ".".join([*base, *(node.module or "").split(".")]).strip(".")
                for alias in node.names:
                    sub = f"{origin}.{alias.name}"
                    targets.add(sub if sub in files else origin)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def back_arrows(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{source} imports {target}"
        for source, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer(target) in FORBIDDEN.get(layer(source), set())
    ]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH = import_graph()


def test_the_graph_sees_every_kind_of_import() -> None:
    """Guard: the graph holds lazy (function-level) and relative imports, so the rules below
    judge real edges (a graph that missed them would pass every rule)."""
    assert len(GRAPH) > 40
    assert "sarcoform.io" in GRAPH["sarcoform.batch.inputs"]  # top-level `from ..io import`
    assert "sarcoform.solving.practical" in GRAPH["sarcoform.solving.compile"]  # inside a function
    assert "sarcoform.batch.entry" in GRAPH["sarcoform"]  # under TYPE_CHECKING


@pytest.mark.parametrize("source", sorted(FORBIDDEN))
def test_no_layer_imports_what_it_must_not(source: str) -> None:
    bad = [line for line in back_arrows(GRAPH) if layer(line.split()[0]) == source]
    assert not bad, "\n".join(bad)


def test_the_core_never_imports_the_batch_feature() -> None:
    bad = [
        f"{s} imports {t}" for s, ts in GRAPH.items() for t in ts if layer(s) in CORE and layer(t) == "batch"
    ]
    assert not bad, "\n".join(bad)


def test_no_module_sits_on_a_cycle() -> None:
    found = cycles(GRAPH)
    assert not found, found


def test_the_checks_catch_a_bad_import(tmp_path: Path) -> None:
    """The same checks over a copy of the package with one bad import added fail."""
    import shutil

    shutil.copytree(SRC / PACKAGE, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    units = tmp_path / PACKAGE / "model" / "units.py"
    units.write_text(units.read_text() + "\n\ndef _late() -> None:\n    from ..io import load_brief\n")
    graph = import_graph(tmp_path)
    assert "sarcoform.model.units imports sarcoform.io" in back_arrows(graph)
    assert any("sarcoform.model.units" in c for c in cycles(graph))
