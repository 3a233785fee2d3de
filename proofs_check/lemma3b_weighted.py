r"""Lemma 3' (weighted log-sum in expectation, any non-negative weights). For adapted gradients
g_t ∈ R^d with E_t||g_t||² ≤ G² and E_t g_{t,k}² ≤ G_c² (every k), θ_t non-decreasing with
θ_1 > 0, v_0 = ε, deterministic weights u_t ≥ 0 (not necessarily monotone) and u_{T+1} := 0:

.. math::

    \mathbb E\sum_{t\le T} u_t\sum_k X_{t,k} \le \sum_{t\le T}(u_t-u_{t+1})^+\Lambda_t
    + d\sum_{t<T}(u_{t+1}-u_t)^+ L_t + d\sum_{t\le T}u_t(-\log\theta_t),

Λ_t = d log(Π_t + (1-Π_t) min(G²/d, G_c²)/ε), Π_t = Π_{j≤t} θ_j, L_t = -log Π_t. With a burn-in
t_b: E Σ_t u_t Σ_k X_{t,k} ≤ d Σ_{t<t_b} u_t + (the right side for u_t 1[t ≥ t_b]) (X ≤ 1).

Proof: X_{t,k} ≤ (ℓ_{t,k} - ℓ_{t-1,k}) - log θ_t (ℓ = log v); Abel with deterministic
coefficients u_T and u_t - u_{t+1} of U_t = Σ_k E(ℓ_{t,k} - ℓ_0). Upper bound (positive
coefficients): Jensen and concavity, with E v_{t,k} ≤ εΠ_t + (1-Π_t) G_c² and
Σ_k E v_{t,k} ≤ dεΠ_t + (1-Π_t) G² (v_t a convex combination of ε, g_1², ..., g_t²), so
U_t ≤ Λ_t. Lower bound (negative coefficients): v_{t,k} ≥ Π_t ε pathwise, so U_t ≥ -d L_t.
Lemma 3 (3c) is the case u = a (non-increasing: no negative coefficient) with the cruder
Λ_t ≤ Λ and -log θ_t ≤ ω_t/θ_1. Implementation under test: :func:`adamtheory.theorem.log_sum_bound`.

Used in: Theorem 2, step 3 (every X-term's coefficient u_t goes through this lemma).

Method: property with exact expectations over trees of adapted laws (the generator of
:mod:`proofs_check.lemma3_expectation`; the drawn χ_t, not monotone, as the weights), G² and G_c²
the largest conditional moments over the nodes; then Nelder-Mead. Mutants: the negative-variation
term dropped; -log θ_t dropped; G_c² replaced by G_c²/d.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np

from adamtheory.theorem import capped_log_moment, log_sum_bound

from ._result import PROPERTY, LemmaResult
from ._search import Mutant, lemma_result, refute
from .lemma3_expectation import case, decode, deterministic, encode

LEMMA = "L3' weighted log-sum, any weights"
STATEMENT = ("E Σ_t u_t Σ_k X_{t,k} ≤ Σ (u_t-u_{t+1})⁺ Λ_t + d Σ (u_{t+1}-u_t)⁺ L_t "
             "+ d Σ u_t (-log θ_t), u_t ≥ 0 deterministic")


def exact(c):
    """Exact E Σ_t u_t Σ_k X_{t,k} (u = χ) over the tree, E X per step, G², G_c²."""
    theta, u, eps = np.asarray(c["theta"], float), np.asarray(c["chi"], float), float(c["eps"])
    d = c["g"][0].shape[-1]
    v, P = np.full((1, d), eps), np.ones(1)
    EX, G2, Gc2 = [], 0.0, 0.0
    for t, (g, p) in enumerate(zip(c["g"], c["p"])):
        g2 = g * g
        G2 = max(G2, float(np.max(np.sum(p * g2.sum(-1), axis=1))))
        Gc2 = max(Gc2, float(np.max(np.sum(p[..., None] * g2, axis=1))))
        om = 1.0 - theta[t]
        vn = theta[t] * v[:, None, :] + om * g2
        EX.append(float(np.sum(P[:, None] * p * (om * g2 / vn).sum(-1))))
        P, v = (P[:, None] * p).ravel(), vn.reshape(-1, d)
    EX = np.array(EX)
    return EX, G2, Gc2, d, u


def _claim(neg=True, logth=True, coord_div=1.0):
    def pairs_f(c):
        EX, G2, Gc2, d, u = exact(c)
        theta, eps = np.asarray(c["theta"], float), float(c["eps"])
        Lc = -np.cumsum(np.log(theta))
        Gm2 = min(G2 / d, Gc2 / coord_div)
        Lam = capped_log_moment(Lc, Gm2 / eps, d)
        nl = -np.log(theta) if logth else np.zeros(theta.size)
        out = []
        for tb in sorted({1, min(2, theta.size)}):
            ub = np.where(np.arange(theta.size) < tb - 1, 0.0, u)
            F = log_sum_bound(ub, Lam, Lc if neg else np.zeros_like(Lc), nl, d)
            burn = d * float(np.sum(u[: tb - 1]))
            # float rounding: Λ_t is a log of a number that may be within ω_t of 1, and it nearly
            # cancels d(-log θ_t) when G_c² ≪ ε; allow a few ulps of each term's magnitude (at
            # least 1: the log's argument), summed with the weights
            mag = float(np.sum(u * d * (1.0 + np.abs(Lam) + Lc + np.abs(nl))))
            out.append((float(u @ EX), burn + float(F[-1]) + 64 * np.finfo(float).eps * mag,
                        float(np.sum(u)) * d))
        return out
    return pairs_f


pairs = _claim()

MUTANTS = (
    Mutant(LEMMA, "the negative-variation term d Σ (u_{t+1}-u_t)⁺ L_t dropped", _claim(neg=False),
           deterministic([[0.0], [0.0], [1.0]], [0.01, 0.9, 0.9], [1e-3, 1e-3, 1.0]),
           "d=1, T=3, theta=(0.01, 0.9, 0.9), u=(0.001, 0.001, 1), eps=1, g=(0, 0, 1)"),
    Mutant(LEMMA, "-log θ_t dropped", _claim(logth=False),
           deterministic(np.ones((8, 1)), np.full(8, 0.5), np.ones(8)),
           "d=1, T=8, theta=0.5, u=1, eps=1, g=1 (steady state v = ε)"),
    Mutant(LEMMA, "G_c² replaced by G_c²/d", _claim(coord_div=3.0),
           deterministic([[0.1, 0.1, 0.1]], [0.5], [1.0]),
           "d=3, T=1, theta=0.5, u=1, eps=1, g_1=(0.1, 0.1, 0.1)"),
)


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """Lemma 3 (in expectation)'s tree generator + local search for a case where ``claim`` fails."""
    return refute(claim, case(), encode, decode, n=150 if quick else 1500,
                  starts=2 if quick else 10, maxfev=150 if quick else 1000, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, (), t0)
