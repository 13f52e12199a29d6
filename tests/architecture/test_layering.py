"""The layers point one way (stacks -> components -> domain) and no module imports itself in a circle.

Imports are read from the source (ast), TYPE_CHECKING blocks included: a type-only import is still a
dependency the reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "components", "stacks", "policy", "examples", "bootstrap")
# Lower layers never import the ones above them. The policy pack is published on its own: it imports
# nothing of the program.
FORBIDDEN = {
    "domain": ("components", "stacks", "policy", "examples"),
    "components": ("stacks", "policy", "examples"),
    "policy": ("domain", "components", "stacks", "examples"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imported_modules(name: str, path: Path) -> set[str]:
    """Absolute names a file imports (relative imports resolved): `from a import b` gives a.b, which is the
    module a.b, or the name b of module a (import_graph keeps the longest prefix that is a module)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out |= {f"{base}.{alias.name}" for alias in node.names}
    return out


def import_graph() -> dict[str, set[str]]:
    modules = sources()
    graph = {}
    for name, path in modules.items():
        deps = set()
        for target in imported_modules(name, path):
            # The innermost of our modules the import names (a.b.C -> a.b when a.b is a module).
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                deps.add(target)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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


def test_the_graph_sees_the_program():
    graph = import_graph()
    assert "domain.settings.platform" in graph and "stacks.plan" in graph
    assert "domain.settings.platform" in graph["domain.settings.loader"]
    assert "components.helm" in graph["components.gpu.operator"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_points_upward(layer):
    graph = import_graph()
    upward = sorted(f"{m} imports {d}" for m, deps in graph.items() if m.split(".")[0] == layer
                    for d in deps if d.split(".")[0] in FORBIDDEN[layer])
    assert not upward, "\n".join(upward)


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("from .base import X\nfrom . import other\nfrom ..top import Y\n")
    assert imported_modules("a.pkg.mod", pkg / "mod.py") == {"a.pkg.base.X", "a.pkg.other", "a.top.Y"}
