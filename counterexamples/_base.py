"""The problem contract shared by every catalog entry and by users' own problems.

A :class:`Problem` is data plus compiled oracles. The engine calls the oracles from inside its
numba kernels, so they must be ``numba.njit`` functions with exactly these signatures:

``grad(x, t, seed, params, data, g) -> float``
    The stochastic / online oracle at step ``t`` (1-based, int64) of the run with ``seed``
    (int64): writes g_t = ∇f(x, ξ_t) (or ∇f_t(x) for online problems) into ``g`` (float64[::1],
    length ``dim``) and returns the loss f(x, ξ_t). ``x`` is float64[::1] of length ``dim``,
    ``params`` float64[::1] (the problem's parameters, in the order of ``param_names``), ``data``
    float64[:, ::1] (a dataset; a (1, 1) dummy when unused). Random samples come from
    :func:`counterexamples.rng.uniform` / ``normal`` with counters (seed, t, k), so that
    configurations with the same seed see the same samples.

``objective(x, params, data, g) -> float``
    The deterministic objective f(x) (the expectation over ξ; for a periodic online problem the
    mean over one period): writes ∇f(x) into ``g`` and returns f(x). Metrics (f - f*, gradient
    norms) are computed from it.

``grad1(x, t, seed, params) -> (loss, g)`` (optional, ``dim == 1`` only)
    A scalar form of ``grad`` for one-dimensional problems without data; the engine uses it for
    its fast path.

``grad_block(X, t, seed, params, data, G, f)`` and ``objective_block(X, params, data, G, f)``
(optional, together)
    Block forms for many iterates at once: ``X`` is float64[:, ::1] of shape (dim, nc), one
    iterate per column (all columns share ``seed`` and ``params``, hence the step's samples).
    ``grad_block`` writes column c of ``G`` and ``f[c]`` exactly as ``grad(X[:, c], ...)`` would
    (bit for bit: same operations in the same order); ``objective_block`` writes what
    ``objective`` computes for each column. Both skip the values when ``f`` has length 0 (the
    engine needs the losses only for the regret, and only ∇f for the per-step metrics).
    Written with the loop over columns innermost, they let the engine draw each step's samples
    once per block of configurations and vectorize the arithmetic over configurations.

The box domain is ``[lower, upper]`` (±inf for an unconstrained coordinate); the engine projects
onto it after every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ASSUMPTIONS = {
    "A1": "f bounded below by f*",
    "A2": "grad f is L-Lipschitz",
    "A3": "stochastic gradient is unbiased",
    "A4": "bounded second moment E||g||^2 <= G^2",
}

_NO_DATA = np.zeros((1, 1))


@dataclass(frozen=True, eq=False)
class Problem:
    """One optimization problem with its oracles, domain, optimum, constants and provenance."""

    name: str
    title: str
    dim: int
    grad: Callable
    objective: Callable
    params: np.ndarray
    param_names: tuple[str, ...] = ()
    data: np.ndarray = field(default_factory=lambda: _NO_DATA)
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    x_star: np.ndarray | None = None
    f_star: float | None = None
    x0: np.ndarray | None = None
    constants: dict[str, float] = field(default_factory=dict)
    assumptions: dict[str, bool] = field(default_factory=dict)
    stochastic: bool = False
    online: bool = False
    convex: bool = False
    source: str = ""
    expected: str = ""
    grad1: Callable | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    grad_block: Callable | None = None
    objective_block: Callable | None = None

    def __post_init__(self):
        lo = np.full(self.dim, -np.inf) if self.lower is None else np.asarray(self.lower, float)
        hi = np.full(self.dim, np.inf) if self.upper is None else np.asarray(self.upper, float)
        object.__setattr__(self, "lower", np.broadcast_to(lo, (self.dim,)).astype(np.float64))
        object.__setattr__(self, "upper", np.broadcast_to(hi, (self.dim,)).astype(np.float64))
        object.__setattr__(self, "params", np.ascontiguousarray(self.params, dtype=np.float64))
        object.__setattr__(self, "data", np.ascontiguousarray(self.data, dtype=np.float64))
        for name in ("x_star", "x0"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(
                    self, name, np.broadcast_to(np.asarray(v, float), (self.dim,)).copy()
                )

    @property
    def theorem_applies(self) -> bool:
        """The Generic Adam theorem covers this problem: (A1)-(A4) all hold and the domain is
        all of R^d (the theorem has no projection step; a linear f bounded below only on a box,
        as in Reddi's examples, has no stationary point to converge to)."""
        return (all(self.assumptions.get(a, False) for a in ASSUMPTIONS)
                and bool(np.all(np.isinf(self.lower)) and np.all(np.isinf(self.upper))))

    @property
    def bounded(self) -> bool:
        return bool(np.all(np.isfinite(self.lower)) and np.all(np.isfinite(self.upper)))

    def project(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.lower, self.upper)

    def describe(self) -> str:
        """A short human description: title, parameters, assumptions, source."""
        ps = ", ".join(f"{k}={v:g}" for k, v in zip(self.param_names, self.params))
        held = " ".join(f"{k}{'+' if v else '-'}" for k, v in sorted(self.assumptions.items()))
        return f"{self.title} [{ps}] d={self.dim} assumptions: {held}; source: {self.source}"
