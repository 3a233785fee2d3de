"""What a sweep's problem *is*, as data: its identity for the fingerprint and its metadata.

A problem is named in a sweep file either from the catalog (``"reddi-sec5-online"``) or as a
user's file (``"path/to/file.py:make"``). The fingerprint of a sweep must change whenever the
numbers it produces may change, so the problem enters it by *content*:

* a user file by the sha256 of its bytes (read before it is imported);
* a catalog problem by the package version and the sha256 of the source files of its factory
  module and of its oracles (``grad`` and ``objective``, which may live in a shared module).

:func:`problem_meta` is everything a plot needs from a problem (name, title, dimension, x*, f*,
the box, the assumptions and whether the theorem applies), as JSON-ready data: plotting reads it
from the results and never builds the problem again (results are inert data: reading them never
imports or runs anything they name).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math
from pathlib import Path

import numpy as np

#: Largest user problem file read for its checksum (a problem file is source code).
MAX_PROBLEM_FILE = 16 << 20


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_user_file(name: str) -> bool:
    """``"path/to/file.py[:attr]"`` (the loader's own rule, see counterexamples.registry)."""
    from counterexamples.registry import is_user_spec

    return is_user_spec(name)


def user_file_digest(name: str) -> str | None:
    """sha256 of the bytes of the user problem file named by ``name`` (None if unreadable)."""
    file_part = name if name.endswith(".py") else name.rpartition(":")[0]
    p = Path(file_part).expanduser()
    try:
        if p.stat().st_size > MAX_PROBLEM_FILE:
            return None
        return sha256(p.read_bytes())
    except OSError:
        return None


def _source_file(obj) -> str | None:
    obj = getattr(obj, "py_func", obj)  # a numba dispatcher: its Python function
    try:
        return inspect.getsourcefile(obj)
    except (TypeError, OSError):
        return None


def catalog_digest(name: str, problem) -> dict:
    """``{relative source file: sha256}`` of a catalog problem's factory module and oracles."""
    import importlib

    import counterexamples
    from counterexamples.registry import module_of

    root = Path(counterexamples.__file__).resolve().parent
    files = set()
    mod = importlib.import_module(module_of(name))
    files.add(getattr(mod, "__file__", None))
    for oracle in (problem.grad, problem.objective, getattr(problem, "grad1", None)):
        if oracle is not None:
            files.add(_source_file(oracle))
    out = {}
    for f in sorted(x for x in files if x):
        p = Path(f).resolve()
        try:
            key = str(p.relative_to(root))
        except ValueError:
            key = p.name
        try:
            out[key] = sha256(p.read_bytes())
        except OSError:
            out[key] = None
    return out


#: Parts of adamtheory that present results without computing them: not in :func:`code_digest`.
PRESENTATION = ("cli", "figures", "plotting", "torch", "flower", "demo.py", "__main__.py")


@functools.cache
def code_digest() -> str:
    """sha256 of the code that computes a sweep's numbers: every ``.py`` file of adamtheory but
    its :data:`PRESENTATION` parts, and every file of the counterexamples catalog (its data
    included), each as its relative path and bytes, in sorted order.

    Kept in a store's ``store.json``: a store written by other code (an edited checkout, an
    upgrade under the same version string) is not resumed into, so its chunks never mix with
    this code's. Reading a store does not compare it (results stay readable after an upgrade).
    """
    import adamtheory
    import counterexamples

    h = hashlib.sha256()
    roots = ((Path(adamtheory.__file__).parent, "*.py"),
             (Path(counterexamples.__file__).parent, "*"))
    for root, pattern in roots:
        for f in sorted(root.rglob(pattern)):
            rel = f.relative_to(root)
            if (not f.is_file() or "__pycache__" in rel.parts
                    or (root.name == "adamtheory" and rel.parts[0] in PRESENTATION)):
                continue
            h.update(f"{root.name}/{rel.as_posix()}\0".encode() + f.read_bytes() + b"\0")
    return h.hexdigest()


def problem_identity(name: str, problem, file_digest: str | None = None) -> dict:
    """The problem's part of the fingerprint (see the module docstring)."""
    from .. import __version__

    if is_user_file(name):
        return {"kind": "file", "name": name, "sha256": file_digest}
    return {"kind": "catalog", "name": name, "version": __version__,
            "sources": catalog_digest(name, problem)}


def _num(v):
    """A float for JSON: None for NaN, "inf"/"-inf" for infinities."""
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _vec(a):
    return None if a is None else [_num(x) for x in np.asarray(a, dtype=float).ravel()]


def problem_meta(problem, params: dict) -> dict:
    """What plots need from ``problem`` (built with ``params``), as JSON-ready data."""
    return {
        "params": {k: _num(v) for k, v in sorted(params.items())},
        "name": str(problem.name), "title": str(problem.title), "dim": int(problem.dim),
        "x_star": _vec(problem.x_star), "f_star": _num(problem.f_star),
        "lower": _vec(problem.lower), "upper": _vec(problem.upper),
        "bounded": bool(problem.bounded), "theorem_applies": bool(problem.theorem_applies),
        "assumptions": {str(k): bool(v) for k, v in sorted(problem.assumptions.items())},
        "stochastic": bool(problem.stochastic), "online": bool(problem.online),
        "convex": bool(problem.convex), "source": str(problem.source),
    }


def as_float(v) -> float:
    """Inverse of :func:`_num` for one stored number (None -> NaN)."""
    if v is None:
        return float("nan")
    if v == "inf":
        return float("inf")
    if v == "-inf":
        return float("-inf")
    return float(v)
