r"""Karimireddy et al. (2019): least squares on which sign compression without error feedback fails.

.. math::

    f(x) = \tfrac12\big(\langle a_1, x\rangle^2 + \langle a_2, x\rangle^2\big),\qquad
    a_1 = (1, -1+\varepsilon),\ a_2 = (-1, 1+\varepsilon),\ 0 < \varepsilon < 1,

sampled one term at a time: at step t the oracle draws j ∈ {1, 2} uniformly
(j = 1 + ⌊2 · uniform(seed, t, 0)⌋) and returns f(x, ξ) = ⟨a_j, x⟩² with gradient
g = 2 ⟨a_j, x⟩ a_j, so E f(x, ξ) = f(x) and E g = ∇f(x) = H x, H = a_1 a_1ᵀ + a_2 a_2ᵀ.

Facts (derived; checked by the conformance suite and tests/test_ef_counterexamples.py):

* sign(a_1) = (1, -1) and sign(a_2) = (-1, 1) for 0 < ε < 1, so every sign(g) is ±(1, -1)
  (when ⟨a_j, x⟩ ≠ 0): a sign step never changes x_1 + x_2. From x_1 + x_2 ≠ 0 signSGD stays on
  the invariant line and cannot reach x* = 0; on the line f ≥ min_{x_1+x_2=c} f > 0.
* det[a_1; a_2] = 2ε ≠ 0, so H ≻ 0: f is strongly convex, x* = 0 is the unique minimiser, f* = 0.
* A2: H = [[2, -2], [-2, 2 + 2ε²]], so L = λ_max(H) = 2 + ε² + sqrt(ε⁴ + 4).
* A4 fails globally (E||g||² grows like ||x||²); it holds on bounded sets; no G is declared.

Behaviour it must show: signSGD (sign of the stochastic gradient, any step size) keeps
x_1 + x_2 = x0_1 + x0_2 exactly, up to float rounding, and f stays ≥ that line's minimum;
error feedback with the scaled sign compressor (||v||_1/d) sign(v) converges to x* = 0.

Source: S. P. Karimireddy, Q. Rebjock, S. U. Stich, M. Jaggi, "Error Feedback Fixes SignSGD and
other Gradient Compression Schemes", ICML 2019, Section 3 (counterexample to signSGD).

Examples
--------
>>> from counterexamples import get
>>> p = get("ef-least-squares", eps=0.5)
>>> p.x0, p.x_star
(array([1., 1.]), array([0., 0.]))
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._base import Problem
from ._validate import real, require
from .rng import uniform

NAME = "ef-least-squares"


@njit(cache=False)
def objective(x, params, data, g):
    """f = (<a1,x>^2 + <a2,x>^2)/2; writes H x into g."""
    e = params[0]
    z1 = x[0] + (-1.0 + e) * x[1]
    z2 = -x[0] + (1.0 + e) * x[1]
    g[0] = z1 - z2
    g[1] = (-1.0 + e) * z1 + (1.0 + e) * z2
    return 0.5 * (z1 * z1 + z2 * z2)


@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """One term j (uniform in {1, 2}): g = 2 <a_j,x> a_j, returns <a_j,x>^2."""
    e = params[0]
    if uniform(seed, t, 0) < 0.5:
        a0, a1 = 1.0, -1.0 + e
    else:
        a0, a1 = -1.0, 1.0 + e
    z = a0 * x[0] + a1 * x[1]
    g[0] = 2.0 * z * a0
    g[1] = 2.0 * z * a1
    return z * z


def line_minimum(c: float, eps: float) -> float:
    """min f over the invariant line x_1 + x_2 = c (a positive number for c != 0)."""
    u = np.array([1.0, -1.0]) / np.sqrt(2.0)
    x0 = np.array([c / 2.0, c / 2.0])
    H = _hessian(eps)
    s = -(u @ H @ x0) / (u @ H @ u)
    x = x0 + s * u
    return float(0.5 * x @ H @ x)


def _hessian(eps: float) -> np.ndarray:
    a1 = np.array([1.0, -1.0 + eps])
    a2 = np.array([-1.0, 1.0 + eps])
    return np.outer(a1, a1) + np.outer(a2, a2)


def make(eps: float = 0.5):
    """The signSGD counterexample of Karimireddy et al.

    Parameters
    ----------
    eps : float, default 0.5
        ε in a_1 = (1, -1+ε), a_2 = (-1, 1+ε); 0 < ε < 1.

    Returns
    -------
    Problem
        Unconstrained, d = 2, x* = 0, f* = 0, L = λ_max(H), x0 = (1, 1) (x_1 + x_2 = 2).
    """
    eps = real(eps, "eps", NAME)
    require(0.0 < eps < 1.0, f"eps must be in (0, 1) for {NAME} (so that sign(a_j) = "
                             f"±(1, -1)), got {eps:g}")
    L = float(np.linalg.eigvalsh(_hessian(eps))[-1])
    return Problem(
        name=NAME, title=f"Least squares where signSGD fails (eps={eps:g})",
        dim=2, grad=grad, objective=objective, params=np.array([eps]), param_names=("eps",),
        x_star=0.0, f_star=0.0, x0=1.0,
        constants={"L": L, "f_star": 0.0},
        assumptions={"A1": True, "A2": True, "A3": True, "A4": False},
        stochastic=True, online=False, convex=True,
        source="Karimireddy, Rebjock, Stich, Jaggi, Error Feedback Fixes SignSGD and other "
               "Gradient Compression Schemes, ICML 2019, Section 3",
        expected=("signSGD keeps x1 + x2 = const (2 from x0) and cannot reach x* = 0; error "
                  "feedback with the scaled sign compressor converges to x* = 0."),
        meta={"user_params": {"eps": eps}, "f_star_kind": "exact", "sample_box": (-2.0, 2.0),
              "invariant": "x1 + x2",
              "line_minimum": line_minimum(2.0, eps),
              "assumption_notes": {
                  "A1": "f >= 0 = f(0)",
                  "A2": "L = lambda_max(a1 a1^T + a2 a2^T)",
                  "A3": "j uniform in {1, 2}: E g = grad f",
                  "A4": "E||g||^2 grows like ||x||^2: bounded on bounded sets only"}},
    )
