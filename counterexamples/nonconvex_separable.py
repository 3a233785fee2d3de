r"""A smooth, separable, non-convex test function with Gaussian gradient noise.

.. math::

    f(x) = \sum_{i=1}^d \frac{x_i^2}{1 + x_i^2}, \qquad
    f(x, \xi) = f(x) + \sigma \langle \xi, x \rangle,\quad \xi \sim N(0, I_d),

so the oracle returns :math:`g = \nabla f(x) + \sigma \xi` (ξ_i = ``normal(seed, t, i)``), an
unbiased gradient of the sampled loss f(x, ξ), whose mean is f.

Facts (derived; checked by the conformance suite): with r(u) = u²/(1+u²),
r'(u) = 2u/(1+u²)², r''(u) = (2 - 6u²)/(1+u²)³.

* A1: f ≥ 0 = f*, attained only at x* = 0, the unique stationary point (r'(u) = 0 iff u = 0).
* A2: |r''| ≤ 2 (at u = 0), so ∇f is L-Lipschitz with L = 2 (tight).
* Non-convex: r'' < 0 for |u| > 1/√3; f → d as ||x||∞ → ∞ along every axis (not coercive).
* A3: E g = ∇f(x).
* A4: |r'| ≤ 3√3/8, so E||g||² = ||∇f||² + dσ² ≤ d (27/64 + σ²) = G².

Domain: unconstrained (the conformance suite samples the box [-5, 5]^d, recorded in
``meta["sample_box"]``); default x0 = (2, ..., 2), where r'(2) = 0.16.

Behaviour it must show: a stationary point is the global minimum, so any method covered by the
sufficient condition (e.g. α_t = α/√t, θ_t = 1 - 0.5/t, θ_1 > 0) drives min_t E||∇f(x_t)|| to 0
at the theorem's rate, while for constant-θ Adam the bound only reaches its floor ℓ·C'
(Corollary 2 of docs/derivations.md), of the order G√(1-θ) + Lαd, and the runs stall in a
neighbourhood whose size grows with σ.

Source: constructed for this project (the non-convex term u²/(1+u²) is the regulariser used in
non-convex logistic regression benchmarks, e.g. Reddi et al., "Stochastic Variance Reduction for
Nonconvex Optimization", ICML 2016, and Chen, Shen, Zou, Liu, JMLR 2022, experiments).

Examples
--------
>>> from counterexamples import get
>>> p = get("nonconvex-separable", d=4, sigma=0.5)
>>> p.constants["L"], round(p.constants["G"] ** 2, 6)
(2.0, 2.6875)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._base import Problem
from ._validate import integer, real, require
from .rng import normal

NAME = "nonconvex-separable"


@njit(cache=False)
def objective(x, params, data, g):
    """f(x) = sum x_i^2/(1+x_i^2); writes its gradient into g."""
    f = 0.0
    for i in range(x.shape[0]):
        u = x[i]
        q = 1.0 + u * u
        f += u * u / q
        g[i] = 2.0 * u / (q * q)
    return f


@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """g = grad f(x) + sigma xi_t, returns f(x) + sigma <xi_t, x>."""
    sigma = params[1]
    f = objective(x, params, data, g)
    if sigma != 0.0:
        for i in range(x.shape[0]):
            z = normal(seed, t, i)
            g[i] += sigma * z
            f += sigma * z * x[i]
    return f


# --- block oracles: many iterates at once (columns of X), the same noise for all --------------
# Column c gets exactly the arithmetic of ``grad`` / ``objective`` in the same order (the sum over
# coordinates first, the noise terms after), so results are bit for bit those of the per-iterate
# oracles; ξ_t is drawn once per coordinate for all columns and the column loops vectorize.

@njit(cache=False, error_model="numpy")
def objective_block(X, params, data, G, f):
    """``objective`` for every column of X (d, nc): ∇f into the columns of G, f into f (nc,),
    or not at all when f is empty."""
    d, nc = X.shape
    for c in range(f.shape[0]):
        f[c] = 0.0
    for j in range(d):
        for c in range(nc):
            u = X[j, c]
            q = 1.0 + u * u
            G[j, c] = 2.0 * u / (q * q)
        for c in range(f.shape[0]):
            u = X[j, c]
            f[c] += u * u / (1.0 + u * u)


@njit(cache=False, error_model="numpy")
def grad_block(X, t, seed, params, data, G, f):
    """``grad`` for every column of X: gradients into the columns of G, losses into f (nc,), or
    no losses when f is empty."""
    d, nc = X.shape
    sigma = params[1]
    objective_block(X, params, data, G, f)
    if sigma != 0.0:
        for j in range(d):
            sz = sigma * normal(seed, t, j)
            for c in range(nc):
                G[j, c] += sz
            for c in range(f.shape[0]):
                f[c] += sz * X[j, c]


def make(d: int = 10, sigma: float = 0.1):
    """Separable non-convex problem with Gaussian gradient noise.

    Parameters
    ----------
    d : int, default 10
        Dimension (>= 1).
    sigma : float, default 0.1
        Standard deviation of the gradient noise per coordinate (>= 0; 0 makes it deterministic).

    Returns
    -------
    Problem
        Unconstrained; x* = 0, f* = 0, L = 2, G = sqrt(d (27/64 + sigma²)), x0 = 2·1.
    """
    d = integer(d, "d", NAME)
    sigma = real(sigma, "sigma", NAME)
    require(d >= 1, f"d must be an integer >= 1 for {NAME}, got {d}")
    require(sigma >= 0, f"sigma must be >= 0 for {NAME} (it is a standard deviation), "
                        f"got {sigma:g}")
    G = math.sqrt(d * (27.0 / 64.0 + sigma * sigma))
    return Problem(
        name=NAME, title=f"Separable non-convex sum x^2/(1+x^2) (d={d}, sigma={sigma:g})",
        dim=d, grad=grad, objective=objective, grad_block=grad_block,
        objective_block=objective_block,
        params=np.array([float(d), sigma]), param_names=("d", "sigma"),
        x_star=0.0, f_star=0.0, x0=2.0,
        constants={"L": 2.0, "G": G, "G_coord": math.sqrt(27.0 / 64.0 + sigma * sigma),
                   **({"G_inf": 3.0 * math.sqrt(3.0) / 8.0} if sigma == 0 else {}), "f_star": 0.0},
        assumptions={"A1": True, "A2": True, "A3": True, "A4": True},
        stochastic=sigma > 0, online=False, convex=False,
        source="constructed for adamtheory; regulariser u^2/(1+u^2) as in non-convex logistic "
               "regression benchmarks (Reddi et al. ICML 2016; Chen et al. JMLR 2022)",
        expected=("Unique stationary point x*=0 is the global minimum: methods satisfying the "
                  "sufficient condition drive E||grad f(x_t)|| to 0; constant-theta Adam with "
                  "constant alpha stalls in a neighbourhood growing with sigma (the bound's floor: "
                  "Corollary 2 of docs/derivations.md)."),
        meta={"user_params": {"d": d, "sigma": sigma}, "f_star_kind": "exact",
              "sample_box": (-5.0, 5.0),
              "assumption_notes": {
                  "A1": "f >= 0, attained at x* = 0",
                  "A2": "|r''| <= 2 on R, so L = 2 (tight at x = 0)",
                  "A3": "E[g] = grad f (zero-mean Gaussian noise)",
                  "A4": "E||g||^2 <= d (27/64 + sigma^2) on all of R^d"}},
    )
