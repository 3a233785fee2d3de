"""The architecture rules of the installed packages (adamtheory, counterexamples, proofs_check):

1. no import cycle between modules, function-level imports included;
2. no module takes a private name (``_x``) from another module, by ``from m import _x`` or by
   ``m._x`` on an imported module;
3. a private module (``_x.py``) is imported only inside its own package.

The import graph is grimp's (the library import-linter builds on), which reads every import
statement of a module, those inside functions included. Each rule is also run on a planted
package that breaks it, so the checks can fail.
"""

from __future__ import annotations

import ast
import importlib.util
import textwrap
from pathlib import Path

import numpy as np
import pytest

grimp = pytest.importorskip("grimp")

PACKAGES = ("adamtheory", "counterexamples", "proofs_check")


def _graph(*packages):
    return grimp.build_graph(*packages, cache_dir=None)


def _where(graph, importer, imported) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    lines = ",".join(str(d["line_number"]) for d in details) or "?"
    return f"{_path(importer)}:{lines}"


def _file(module: str) -> Path | None:
    """The source file of ``module``, found without importing it (only its top package's
    location is looked up)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest)
    for f in (base / "__init__.py", base.with_suffix(".py")):
        if f.is_file():
            return f
    return None


def _path(module: str) -> str:
    f = _file(module)
    if f is None:
        return module
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        try:
            return str(f.relative_to(root))
        except ValueError:
            continue
    return str(f)


def import_cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (each one holds a cycle)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    mods = sorted(graph.modules)
    index = {m: i for i, m in enumerate(mods)}
    rows, cols = [], []
    for m in mods:
        for n in graph.find_modules_directly_imported_by(m):
            if n in index and n != m:
                rows.append(index[m])
                cols.append(index[n])
    adj = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(mods), len(mods)))
    n, labels = connected_components(adj, directed=True, connection="strong")
    comps = [[mods[i] for i in np.flatnonzero(labels == k)] for k in range(n)]
    return sorted(c for c in comps if len(c) > 1)


def describe_cycle(graph, component: list[str]) -> str:
    """One cycle inside a strongly connected component, with file:line of each import."""
    comp = set(component)
    start = component[0]
    path, seen, node = [start], {start}, start
    while True:
        nxt = sorted(n for n in graph.find_modules_directly_imported_by(node) if n in comp)
        back = [n for n in nxt if n in seen]
        node = back[0] if back else nxt[0]
        if node in seen:
            cycle = path[path.index(node):] + [node]
            return " -> ".join(f"{a} ({_where(graph, a, b)})" for a, b in zip(cycle, cycle[1:]))
        path.append(node)
        seen.add(node)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_name_imports(graph) -> list[str]:
    """``from m import _x`` (``_x`` not a module) and ``alias._x`` on an imported module."""
    out = []
    for module in sorted(graph.modules):
        f = _file(module)
        if f is None:
            continue
        tree = ast.parse(f.read_text(), str(f))
        is_pkg = f.name == "__init__.py"
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                src = _resolve(module, is_pkg, node)
                for a in node.names:
                    full = f"{src}.{a.name}"
                    if full in graph.modules:
                        aliases[a.asname or a.name] = full
                    elif _is_private(a.name) and src != module:
                        out.append(f"{_path(module)}:{node.lineno}: from {src} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname and a.name in graph.modules:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and _is_private(node.attr)
                    and f"{aliases[node.value.id]}.{node.attr}" not in graph.modules):
                out.append(f"{_path(module)}:{node.lineno}: {aliases[node.value.id]}."
                           f"{node.attr}")
    return out


def private_module_imports(graph) -> list[str]:
    """Imports of a private module ``p._m`` (or anything below it) from outside package ``p``."""
    out = []
    for imported in sorted(graph.modules):
        parts = imported.split(".")
        k = next((i for i, p in enumerate(parts) if _is_private(p)), None)
        if k is None:
            continue
        owner = ".".join(parts[:k])            # the package the private module belongs to
        for importer in sorted(graph.find_modules_that_directly_import(imported)):
            if not (importer == owner or importer.startswith(owner + ".")):
                out.append(f"{_where(graph, importer, imported)}: {importer} imports {imported}")
    return out


@pytest.fixture(scope="module")
def graph():
    return _graph(*PACKAGES)


def test_no_import_cycle(graph):
    cycles = [describe_cycle(graph, c) for c in import_cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_private_name_taken_from_another_module(graph):
    found = private_name_imports(graph)
    assert not found, "private names taken from another module:\n" + "\n".join(found)


def test_private_modules_imported_only_inside_their_package(graph):
    found = private_module_imports(graph)
    assert not found, "private modules imported from outside their package:\n" + "\n".join(found)


def test_the_checks_catch_planted_violations(tmp_path, monkeypatch):
    """A package with a function-level import cycle, a private name taken across modules and
    a private module imported from another package: each rule reports it."""
    root = tmp_path / "plantedpkg"
    (root / "inner").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from .b import g\n\ndef f():\n    return g()\n",
        "b.py": "def g():\n    from .a import f   # function-level: still a cycle\n    return f\n",
        "c.py": "from .d import _helper\nfrom . import d as dd\n\nx = dd._other\n",
        "d.py": "def _helper():\n    return 1\n\n_other = 2\n",
        "inner/__init__.py": "",
        "inner/_hidden.py": "value = 1\n",
        "inner/ok.py": "from ._hidden import value\n",
        "outside.py": "from .inner._hidden import value\n",
    }
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    g = _graph("plantedpkg")
    assert import_cycles(g) == [["plantedpkg.a", "plantedpkg.b"]]
    assert "plantedpkg.b" in describe_cycle(g, ["plantedpkg.a", "plantedpkg.b"])
    names = private_name_imports(g)
    assert any("import _helper" in s for s in names) and any("d._other" in s for s in names)
    assert len(names) == 2
    mods = private_module_imports(g)
    assert len(mods) == 1 and "plantedpkg.outside imports plantedpkg.inner._hidden" in mods[0]
