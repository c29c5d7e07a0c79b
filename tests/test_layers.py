"""The import graph of the library: no cycles, no upward imports, no import of the package root.

The layers are data -> method -> workload -> benchmark -> report; ``errors``, ``_version`` and
``privacy`` sit below them all and ``cli`` above. ``make lint`` checks the same with
import-linter; this test reads every ``import`` statement itself (function-local ones included),
so it needs nothing but the source.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import costing

PACKAGE = Path(costing.__file__).resolve().parent

#: Rank of each top-level part: a module may import only parts of the same or a lower rank.
RANKS = {"_version": 0, "errors": 0, "privacy": 1, "data": 2, "method": 3, "workload": 4,
         "benchmark": 5, "report": 6, "cli": 7}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The costing modules ``name`` imports (a ``from X import y`` counts X.y when that is a
    module, X otherwise)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in MODULES else base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _rank(module: str) -> int:
    return RANKS[module.split(".")[1]]


def test_every_part_of_the_package_has_a_layer():
    parts = {m.split(".")[1] for m in MODULES if m != "costing"}
    assert parts <= set(RANKS), f"add {sorted(parts - set(RANKS))} to the layers"


def test_no_module_imports_a_higher_layer():
    upward = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if m != "costing"
                    for t in targets if t != "costing" and _rank(t) > _rank(m))
    assert not upward, "\n".join(upward)


def test_no_module_imports_the_package_root_or_its_own_package():
    """``import costing`` (or ``from .. import x``) inside the package runs the whole public
    API's imports from a module that is itself one of them."""
    bad = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
                 if MODULES[t].name == "__init__.py" and m.startswith(t + "."))
    assert not bad, "\n".join(bad)


def test_the_import_graph_has_no_cycle():
    # a package's __init__ re-exporting its own modules is not a cycle
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in GRAPH.items()}
    cycles, state = [], {}

    def visit(v, stack):
        state[v] = "open"
        for w in sorted(edges[v]):
            if state.get(w) == "open":
                cycles.append(" -> ".join(stack[stack.index(w):] + [w]))
            elif w not in state:
                visit(w, stack + [w])
        state[v] = "done"

    for v in sorted(edges):
        if v not in state:
            visit(v, [v])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize(("source", "expected"), [
    ("from ..report.plots import x", {"costing.report.plots"}),
    ("from .. import report", {"costing.report"}),
    ("import costing", {"costing"}),
    ("def f():\n    from ..data.dataset import Dataset", {"costing.data.dataset"}),
])
def test_the_reader_of_imports_sees_every_form(tmp_path, source, expected):
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    assert _imports("costing.method.x", path) == expected
