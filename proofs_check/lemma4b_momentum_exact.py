r"""Lemmas 1' and 4' (step bound and momentum energy with the schedule kept per step).

For every gradient sequence (one coordinate), 0 ≤ β_t < 1, θ_t non-decreasing with θ_1 > 0
(SC2, H0), every ρ ∈ (0, 1) and every burn-in t_1 ≥ 1:

.. math::

    \text{(1')}\quad \omega_t \frac{m_t^2}{v_t} \le S^{(1)}_t, \qquad
    \text{(4')}\quad \sum_{s=1}^{T-1} b_{s+1}^2\alpha_s^2\frac{m_s^2}{v_s} \le
    \sum_{s<t_1} b_{s+1}^2\chi_s^2 S^{(1)}_s + \sum_{i\le T} w_i X_i,
    \quad w_i = \frac{1}{\omega_i}\sum_{s\ge\max(i,t_1)}^{T-1} b_{s+1}^2\alpha_s^2 S^{(\rho)}_s\rho^{s-i},

S^{(ρ)}_t = Σ_{i≤t} (1-β_i)² Π_{i<j≤t} β_j²/(ρθ_j) (the (1-β_i)² kept, no sup, no fixed point),
b_{s+1} = β_s/(1-β_s), X_i = ω_i g_i²/v_i.

Proof: (1') is Lemma 1's Cauchy-Schwarz before its last step. (4'): for s < t_1 use (1'); for
s ≥ t_1 Cauchy-Schwarz with c_i = Π_{i<j≤s} ρθ_j gives m_s² ≤ S^{(ρ)}_s Σ_i c_i g_i², and
v_s ≥ Π_{i<j≤s} θ_j v_i gives c_i g_i²/v_s ≤ ρ^{s-i} X_i/ω_i; exchange the sums. No SC3, SC4 or
constant is used: the weights w_i are computed exactly (:func:`adamtheory.theorem.geometric_tail`),
and SC4 only decides whether they stay bounded (Corollary 3).

Used in: Theorem 2 (the heavy-ball distance L||x_t - z_t||² and, through (1'), Lemma 5').

Method: property (Lemma 4's generator: horizons up to 240, θ_t near β², time-varying β_t,
extremal sequences; ρ ∈ {0.3, 0.6, 0.9, 0.99}, t_1 ∈ {1, ⌈T/3⌉}), then Nelder-Mead.
Mutants: (1') without the memory (S^{(1)}_t → (1-β_t)²); ρ^{s-i} → ρ^{s-i+1}; S^{(ρ)} computed
with ρ = 1 (weights that do not match the Cauchy-Schwarz split); 1/ω_i dropped.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np

from adamtheory.theorem import geometric_tail, momentum_recursion

from ._gen import moments
from ._result import PROPERTY, LemmaResult
from ._search import Mutant, decode_case, encode_case, lemma_result, refute
from .lemma4_momentum import case

LEMMA = "L1'/L4' momentum, exact weights"
STATEMENT = ("ω_t m_t²/v_t ≤ S1_t; Σ_s b_{s+1}² α_s² m_s²/v_s ≤ Σ_{s<t_1} b² χ_s² S1_s + "
             "Σ_i w_i X_i (every ρ, t_1)")
RHOS = (0.3, 0.6, 0.9, 0.99)


def _claim(memory=True, shift=0, match=True, omega=True):
    def pairs_f(c):
        beta = np.broadcast_to(np.asarray(c["beta"], float), np.shape(c["g"])).copy()
        th = np.asarray(c["theta"], float)
        om = 1.0 - th
        chi = np.asarray(c["chi"], float)
        alpha = chi * np.sqrt(om)
        g = np.asarray(c["g"], float)
        m, v = moments(g, beta, th, c["eps"])
        if not np.all(v > 0):
            raise ValueError("v_t underflows to 0 (outside the float range of the case)")
        X = om * g * g / v
        T = g.size
        S1 = momentum_recursion(beta, th, 1.0) if memory else (1.0 - beta) ** 2
        scale = float(np.max(chi)) ** 2 * (1.0 + float(np.max(beta / (1 - beta)))) ** 2
        out = [(float(np.max(om * m * m / v / np.maximum(S1, 1e-300))), 1.0, 1.0)]
        bn = beta / (1.0 - beta)
        lhs = float(np.sum((bn ** 2 * alpha ** 2 * m * m / v)[:-1]))
        for rho in RHOS:
            Sr = momentum_recursion(beta, th, rho if match else 1.0)
            cs = bn ** 2 * alpha ** 2 * Sr
            cs[-1] = 0.0
            for t1 in sorted({1, max(1, -(-T // 3))}):
                cm = cs.copy()
                cm[: t1 - 1] = 0.0
                R = geometric_tail(cm, rho) * rho ** shift
                w = R / om if omega else R
                det = float(np.sum((bn ** 2 * chi ** 2 * momentum_recursion(beta, th, 1.0))[: t1 - 1]))
                out.append((lhs, det + float(w @ X), scale))
        return out
    return pairs_f


pairs = _claim()

MUTANTS = (
    Mutant(LEMMA, "Lemma 1' without the memory: S1_t replaced by (1-β_t)²", _claim(memory=False),
           {"beta": np.full(2, 0.9), "theta": np.full(2, 0.5), "chi": np.ones(2),
            "g": np.array([1.0, 0.0]), "eps": 1e-12}),
    Mutant(LEMMA, "ρ^{s-i} replaced by ρ^{s-i+1}", _claim(shift=1),
           {"beta": np.full(3, 0.5), "theta": np.full(3, 0.5), "chi": np.ones(3),
            "g": np.array([0.0, 1.0, 0.0]), "eps": 1e-12}),
    Mutant(LEMMA, "S^(ρ) computed with ρ = 1 (weights not matching the Cauchy-Schwarz split)",
           _claim(match=False),
           {"beta": np.full(40, 0.9), "theta": np.full(40, 0.82), "chi": np.ones(40),
            "g": np.r_[1.0, np.zeros(39)], "eps": 1e-12}),
    Mutant(LEMMA, "1/ω_i dropped from the weights", _claim(omega=False),
           {"beta": np.full(3, 0.5), "theta": np.full(3, 0.9), "chi": np.ones(3),
            "g": np.array([1.0, 1.0, 0.0]), "eps": 1e-12}),
)


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """Lemma 4's generator + local search for a case where ``claim`` fails."""
    return refute(claim, case(), encode_case, decode_case, n=120 if quick else 1500,
                  starts=2 if quick else 10, maxfev=150 if quick else 1200, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, (), t0)
