"""The counterexample catalog: named problems with their oracles, constants and sources.

>>> import counterexamples as cx
>>> cx.names()[:3]
['reddi-thm1', 'reddi-thm2', 'reddi-thm3']
>>> p = cx.get("reddi-thm1", C=3)
>>> p.x_star, p.constants["L"]
(array([-1.]), 0.0)

``get`` also accepts a user's problem file, ``"path/to/file.py:name"`` (``name`` a factory
returning a :class:`Problem`, or a :class:`Problem` object; ``"path/to/file.py"`` alone means
``name = make``). See docs/user_problems.md. Every problem must pass
:func:`counterexamples.conformance.check_problem`.
"""

from __future__ import annotations

from ._base import ASSUMPTIONS, Problem
from ._data import read_verified_lines
from .errors import (
    ProblemError,
    ProblemFileError,
    ProblemParameterError,
    UnknownProblemError,
)
from .registry import catalog, get, load_user_problem, names

__all__ = [
    "ASSUMPTIONS", "Problem", "read_verified_lines", "ProblemError", "ProblemFileError", "ProblemParameterError",
    "UnknownProblemError", "catalog", "get", "load_user_problem", "names", "check_problem",
]


def check_problem(problem, **kwargs):
    """Run the conformance suite (see :func:`counterexamples.conformance.check_problem`)."""
    from .conformance import check_problem as _check

    return _check(problem, **kwargs)
