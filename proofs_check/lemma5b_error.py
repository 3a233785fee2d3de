r"""Lemma 5' (the heavy-ball error, per step). With z_t = x_t - b_t η_{t-1} m_{t-1},
e_t = (b_t η_{t-1} - b_{t+1} η_t) m_{t-1} (Lemma 5's identity), for every gradient sequence (one
coordinate), 0 ≤ β_t < 1, θ_t non-decreasing, θ_1 > 0, and every t ≥ 2:

.. math::

    |e_t| \le p_t + q_t X_t,\qquad
    p_t = \sqrt{S^{(1)}_{t-1}}\Big(b_{t+1}\frac{|\alpha_{t-1}-\alpha_t|}{\sqrt{\omega_{t-1}}}
      + b_{t+1}\frac{\alpha_t\,\omega_t}{\sqrt{\omega_{t-1}}\sqrt{\theta_t}(1+\sqrt{\theta_t})}
      + |b_{t+1}-b_t|\,\chi_{t-1}\Big),\quad
    q_t = b_{t+1}\alpha_t\sqrt{S^{(1)}_{t-1}/\omega_{t-1}}

(e_1 = 0 since m_0 = 0). Proof: as Lemma 5 with |m_{t-1}| ≤ sqrt(S^{(1)}_{t-1} v_{t-1}/ω_{t-1})
(Lemma 1') in place of sqrt(K ...), b_{t+1} in place of B, and
ω_t v_{t-1}/(sqrt(v_{t-1} v_t)(sqrt v_{t-1} + sqrt v_t)) ≤ ω_t/(sqrt(θ_t v_{t-1})(1 + sqrt θ_t))
(v_t ≥ θ_t v_{t-1}). The implementation under test is
:func:`adamtheory.theorem.schedule_sequences` (p, q).

Used in: Theorem 2 (Ḡ|e_t| + (3L/2) e_t² with e_t² ≤ (p_t + q_t)(p_t + q_t X_t)).

Method: property (Lemma 4's generator: time-varying β_t, θ_t near β², adversarial sequences),
then Nelder-Mead. Mutants: the |b_{t+1} - b_t| term dropped; 1/sqrt(ω_{t-1}) dropped from q_t;
1/(sqrt θ_t (1 + sqrt θ_t)) replaced by 1/2.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np

from adamtheory.theorem import schedule_sequences

from ._gen import moments
from ._result import PROPERTY, LemmaResult
from ._search import Mutant, decode_case, encode_case, lemma_result, refute
from .lemma4_momentum import case

LEMMA = "L5' heavy-ball error, per step"
STATEMENT = "|e_t| ≤ p_t + q_t X_t for t ≥ 2 (p_t, q_t of adamtheory.theorem.schedule_sequences)"


def _claim(v_term=True, q_omega=True, theta_factor=True):
    def pairs_f(c):
        g = np.asarray(c["g"], float)
        beta = np.broadcast_to(np.asarray(c["beta"], float), g.shape).copy()
        th = np.asarray(c["theta"], float)
        om = 1.0 - th
        alpha = np.asarray(c["chi"], float) * np.sqrt(om)
        seq = schedule_sequences(alpha, beta, th)
        m, v = moments(g, beta, th, c["eps"])
        if not np.all(v > 0):
            raise ValueError("v_t underflows to 0 (outside the float range of the case)")
        eta = alpha / np.sqrt(v)
        bn = seq["b_next"]
        bc = np.concatenate([[0.0], bn[:-1]])
        e = np.zeros(g.size)
        e[1:] = (bc[1:] * eta[:-1] - bn[1:] * eta[1:]) * m[:-1]
        X = om * g * g / v
        p, q = seq["p"].copy(), seq["q"].copy()
        sq = np.sqrt(seq["S1_prev"])
        omp = np.concatenate([[om[0]], om[:-1]])
        if not v_term:
            p = p - seq["p_V"] * np.concatenate([[0.0], np.abs(np.diff(bn))])
        if not q_omega:
            q = q * np.sqrt(omp)
        if not theta_factor:
            p = p - seq["p_S"] * alpha * np.sqrt(om) + sq * bn * alpha * om / np.sqrt(omp) / 2.0
        scale = float(np.max(np.abs(eta * m))) + 1e-300
        return [(float(abs(e[t])), float(p[t] + q[t] * X[t]), scale) for t in range(1, g.size)] or \
            [(0.0, 0.0, 1.0)]
    return pairs_f


pairs = _claim()

MUTANTS = (
    Mutant(LEMMA, "the |b_{t+1} - b_t| χ_{t-1} term dropped", _claim(v_term=False),
           {"beta": np.array([0.9, 0.0]), "theta": np.full(2, 0.5), "chi": np.ones(2),
            "g": np.array([1.0, 0.0]), "eps": 1e-12}),
    Mutant(LEMMA, "1/sqrt(ω_{t-1}) dropped from q_t", _claim(q_omega=False),
           {"beta": np.full(2, 0.5), "theta": np.full(2, 0.99), "chi": np.ones(2),
            "g": np.array([1.0, 100.0]), "eps": 1e-12}),
    Mutant(LEMMA, "1/(sqrt θ_t (1 + sqrt θ_t)) replaced by 1/2", _claim(theta_factor=False),
           {"beta": np.full(2, 0.5), "theta": np.full(2, 0.05), "chi": np.ones(2),
            "g": np.array([1.0, 0.0]), "eps": 1e-12}),
)


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """Lemma 4's generator + local search for a case where ``claim`` fails."""
    return refute(claim, case(), encode_case, decode_case, n=120 if quick else 1500,
                  starts=2 if quick else 10, maxfev=150 if quick else 1200, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, (), t0)
