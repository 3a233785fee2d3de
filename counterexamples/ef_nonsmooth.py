r"""Karimireddy et al. (2019): a non-smooth problem on which sign gradient descent stalls.

.. math::

    f(x) = \varepsilon\,|x_1 + x_2| + |x_1 - x_2|,\qquad 0 < \varepsilon < 1,

full batch (deterministic). The oracle returns the subgradient
g = ε sgn(x_1 + x_2) (1, 1) + σ (1, -1) with σ = sgn(x_1 - x_2), except σ = +1 on the kink
x_1 = x_2 ≠ -x_2 (a valid subgradient of |x_1 - x_2| there), and g(0) = 0 at the optimum.
This is the subgradient selection of the counterexample: with sgn(0) = 0 on the kink the
subgradient ε(1, 1) would let a sign step leave the invariant line whenever an iterate lands
exactly on x_1 = x_2.

Facts (derived; checked by the conformance suite and tests/test_ef_counterexamples.py):

* Away from x* |σ| = 1 > ε, so sign(g) = σ (1, -1): a sign step
  never changes x_1 + x_2. From x_1 + x_2 = c ≠ 0, signGD stays on that line, where
  f ≥ ε |c| > 0 = f*; it ends oscillating around x_1 = x_2 with f → ε|c|.
* f ≥ 0 = f(0): x* = 0, f* = 0; f is convex (a sum of absolute values of linear forms).
* Non-smooth: A2 fails (no L declared). A4 holds: ||g||² ≤ 2(1 + ε²) = G².

Behaviour it must show: signGD (and sign-compressed gradient steps without error feedback)
stall at f ≈ ε |x0_1 + x0_2| on the invariant line; error feedback with the scaled sign
compressor (||v||_1/d) sign(v) and a decreasing step drives f towards 0.

Source: S. P. Karimireddy, Q. Rebjock, S. U. Stich, M. Jaggi, "Error Feedback Fixes SignSGD and
other Gradient Compression Schemes", ICML 2019, Section 3 (non-smooth counterexample).

Examples
--------
>>> from counterexamples import get
>>> p = get("ef-nonsmooth", eps=0.5)
>>> p.x0, round(p.constants["G"] ** 2, 6)
(array([1. , 0.5]), 2.5)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._base import Problem
from ._validate import real, require

NAME = "ef-nonsmooth"


@njit(cache=False)
def _sgn(u):
    return 1.0 if u > 0.0 else (-1.0 if u < 0.0 else 0.0)


@njit(cache=False)
def objective(x, params, data, g):
    """f = eps |x1 + x2| + |x1 - x2|; writes the subgradient of the module docstring into g."""
    e = params[0]
    sp = x[0] + x[1]
    sm = x[0] - x[1]
    a, b = _sgn(sp), _sgn(sm)
    if sm == 0.0 and sp != 0.0:     # on the kink x1 = x2 (not the optimum): sigma = +1
        b = 1.0
    g[0] = e * a + b
    g[1] = e * a - b
    return e * abs(sp) + abs(sm)


@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """Full batch: the subgradient of the objective (t and seed are unused)."""
    return objective(x, params, data, g)


def make(eps: float = 0.5):
    """The non-smooth signGD counterexample of Karimireddy et al.

    Parameters
    ----------
    eps : float, default 0.5
        Weight ε of |x_1 + x_2|; 0 < ε < 1.

    Returns
    -------
    Problem
        Unconstrained, d = 2, deterministic, x* = 0, f* = 0, no L (non-smooth),
        G = sqrt(2 (1 + ε²)), x0 = (1, 0.5) (x_1 + x_2 = 1.5, f(x0) = 1.5 ε + 0.5).
    """
    eps = real(eps, "eps", NAME)
    require(0.0 < eps < 1.0, f"eps must be in (0, 1) for {NAME} (so that sign(g) = ±(1, -1)), "
                             f"got {eps:g}")
    return Problem(
        name=NAME, title=f"Non-smooth eps|x1+x2| + |x1-x2| where signGD stalls (eps={eps:g})",
        dim=2, grad=grad, objective=objective, params=np.array([eps]), param_names=("eps",),
        x_star=0.0, f_star=0.0, x0=np.array([1.0, 0.5]),
        constants={"G": math.sqrt(2.0 * (1.0 + eps * eps)), "f_star": 0.0},
        assumptions={"A1": True, "A2": False, "A3": True, "A4": True},
        stochastic=False, online=False, convex=True,
        source="Karimireddy, Rebjock, Stich, Jaggi, Error Feedback Fixes SignSGD and other "
               "Gradient Compression Schemes, ICML 2019, Section 3",
        expected=("signGD keeps x1 + x2 = 1.5 and stalls at f >= 1.5 eps > 0; error feedback "
                  "with the scaled sign compressor drives f towards 0."),
        meta={"user_params": {"eps": eps}, "f_star_kind": "exact", "sample_box": (-2.0, 2.0),
              "invariant": "x1 + x2", "line_minimum": 1.5 * eps,
              "assumption_notes": {
                  "A1": "f >= 0 = f(0)",
                  "A2": "non-smooth (kinks on x1 = +-x2): no L",
                  "A3": "deterministic subgradient oracle",
                  "A4": "||g||^2 <= 2 (1 + eps^2)"}},
    )
