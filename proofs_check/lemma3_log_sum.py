r"""Lemma 3 (weighted log-sum), pathwise. Let θ_t be non-decreasing with θ_1 > 0 (SC2 and the
derivation's θ_1 > 0), v_0 = ε > 0, X_t = (1-θ_t) g_t²/v_t ∈ [0, 1], ℓ_t = log v_t, and a_t > 0
non-increasing (a_t = min_{k≤t} χ_k is always non-increasing; SC3 gives χ_t ≤ C_0 a_t). Then, for
every gradient sequence,

.. math::

    \sum_{t\le T} a_t X_t \le a_1 \max_{t\le T} (\ell_t - \ell_0)^+
    + \frac{1}{\theta_1}\sum_{t\le T} a_t (1-\theta_t),
    \qquad \sum_{t\le T} \chi_t X_t \le C_0 \sum_{t\le T} a_t X_t .

Proof: X_t = 1 - θ_t v_{t-1}/v_t ≤ log(v_t/v_{t-1}) - log θ_t (1 - u ≤ -log u); Abel summation
Σ a_t(ℓ_t - ℓ_{t-1}) = a_T(ℓ_T - ℓ_0) + Σ_{t<T}(a_t - a_{t+1})(ℓ_t - ℓ_0), whose coefficients are
≥ 0 and add up to a_1; -log θ_t ≤ (1-θ_t)/θ_t ≤ (1-θ_t)/θ_1. The form in expectation (the one the
theorem uses) is checked by :mod:`proofs_check.lemma3_expectation`.

Used in: every error term of the theorem (decorrelation, Lipschitz terms, e_t): each is a multiple
of Σ χ_t Σ_k X_{t,k} ≤ C_0 Σ a_t Σ_k X_{t,k}.

Method: property (:func:`proofs_check._search.refute`: hypothesis ``find`` over monotone θ_t
(random, constant, close to a floor, jumping), χ_t with bumps and drops, adversarial gradients —
spikes, zeros then geometric growth after a small θ_1 —, then a Nelder-Mead local search).
Dropped conditions:

* SC2 (θ non-decreasing): with θ_t < θ_1 the step Σ a_t(-log θ_t) ≤ Σ a_t(1-θ_t)/θ_1 fails (the
  lemma itself keeps some slack: X_t = 1-θ_t at a steady state, so the search targets the step).
* non-increasing weights: with increasing weights (χ_t in place of a_t) the Abel coefficients
  a_t - a_{t+1} are negative and the bound fails.

Mutants (:data:`MUTANTS`): C_0 dropped in the χ-form, ℓ_0 replaced by ℓ_1, a_1 replaced by a_T in
front of the log, 1/θ_1 dropped.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import math
import time

import numpy as np
from hypothesis import strategies as st

from ._gen import chi_seq, grads, horizon, moments, theta_seq
from ._result import PROPERTY, LemmaResult, Violation, search
from ._search import Mutant, decode_case, encode_case, lemma_result, refute, show

LEMMA = "L3 log-sum"
STATEMENT = "Σ a_t X_t ≤ a_1 max(ℓ_t-ℓ_0)^+ + Σ a_t(1-θ_t)/θ_1; Σ χ_t X_t ≤ C_0 Σ a_t X_t"


def _parts(c, monotone_weights=True):
    th, chi, g, eps = c["theta"], c["chi"], c["g"], c["eps"]
    _, v = moments(g, np.zeros(len(g)), th, eps)
    om = 1.0 - th
    X = om * g * g / v
    a = np.minimum.accumulate(chi) if monotone_weights else chi
    ell = np.log(v) - math.log(eps)
    C0 = float(np.max(chi / np.minimum.accumulate(chi)))
    return {"X": X, "a": a, "om": om, "ell": ell, "C0": C0, "chi": chi, "th": th}


def pairs(c, monotone_weights=True):
    """[(lhs, rhs, scale) of the a-form, of the χ-form]; without SC3 the weights are χ."""
    p = _parts(c, monotone_weights)
    a, X = p["a"], p["X"]
    rhs = a[0] * max(0.0, float(p["ell"].max())) + float(np.sum(a * p["om"])) / p["th"][0]
    return [(float(a @ X), rhs, float(a.sum())), (float(p["chi"] @ X), p["C0"] * float(a @ X), float(p["chi"].sum()))]


def _log_form(lead, start, theta_div=True):
    def pairs_m(c):
        p = _parts(c)
        a, X = p["a"], p["X"]
        ell = p["ell"] - (p["ell"][0] if start == 1 else 0.0)
        rhs = lead(a) * max(0.0, float(ell.max())) + float(np.sum(a * p["om"])) / (p["th"][0] if theta_div else 1.0)
        return [(float(a @ X), rhs, float(a.sum()))]
    return pairs_m


def _no_c0(c):
    p = _parts(c)
    return [(float(p["chi"] @ p["X"]), float(p["a"] @ p["X"]), float(p["chi"].sum()))]


def _climb():
    th = np.r_[0.1, np.full(5, 0.7)]
    g, v, c = [0.0], 0.1, 10 ** 0.2
    for _ in range(5):
        g.append(math.sqrt((c - 0.7) * v / 0.3))
        v *= c
    return {"theta": th, "chi": np.ones(6), "g": np.array(g), "eps": 1.0}


MUTANTS = (
    Mutant(LEMMA, "C_0 dropped in Σ χ_t X_t ≤ C_0 Σ a_t X_t", _no_c0,
           {"theta": np.full(2, 0.5), "chi": np.array([1.0, 3.0]), "g": np.array([0.0, 10.0]), "eps": 1.0}),
    Mutant(LEMMA, "ℓ_0 replaced by ℓ_1 (log(v_t/v_1))", _log_form(lambda a: a[0], 1),
           {"theta": np.full(2, 0.99), "chi": np.ones(2), "g": np.array([100.0, 0.0]), "eps": 1.0}),
    Mutant(LEMMA, "a_1 replaced by a_T in front of the log", _log_form(lambda a: a[-1], 0),
           {"theta": np.full(2, 0.99), "chi": np.array([1.0, 0.01]), "g": np.array([100.0, 0.0]), "eps": 1.0}),
    Mutant(LEMMA, "1/θ_1 dropped", _log_form(lambda a: a[0], 0, theta_div=False), _climb(),
           "theta=(0.1, 0.7, ..., 0.7), chi=1, eps=1, T=6, g_1=0 then v climbs back to ε by 10^0.2 per step"),
)


@st.composite
def _case(draw, sc2=True, sc3=True):
    T = draw(horizon(12, 120) if sc2 and sc3 else st.integers(1, 8))
    theta = draw(theta_seq(T, monotone=sc2)) if draw(st.integers(0, 3)) or not sc2 else \
        np.r_[10 ** draw(st.floats(-4, -0.05)), np.full(T - 1, draw(st.floats(0.3, 0.999)))]
    if sc3:
        chi = draw(chi_seq(T))
    else:
        a = draw(st.floats(0.01, 1.0))
        chi = [a]
        for _ in range(T - 1):
            chi.append(chi[-1] * draw(st.floats(1.0, 100.0)))
        chi = np.array(chi)
    return {"theta": theta, "chi": chi, "g": draw(grads(T, adversarial=sc2 and sc3)),
            "eps": 10 ** draw(st.floats(-8, 1))}


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, _case(), encode_case, decode_case, n=100 if quick else 2000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def _log_step(c):
    """The step Σ a_t (-log θ_t) ≤ Σ a_t (1-θ_t)/θ_1 as (lhs, rhs)."""
    th, a = c["theta"], np.minimum.accumulate(c["chi"])
    return float(a @ -np.log(th)), float(a @ (1.0 - th)) / th[0]


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    nv = 300 if quick else 1000
    e2, c2 = search(_case(sc2=False), lambda c: _log_step(c)[0] > _log_step(c)[1] * (1 + 1e-6), nv, seed)
    e3, c3 = search(_case(sc3=False),
                    lambda c: pairs(c, False)[0][0] > pairs(c, False)[0][1] * (1 + 1e-6), nv, seed)
    viol = [
        Violation("SC2", "-log θ_t ≤ (1-θ_t)/θ_1 needs θ_t ≥ θ_1", e2 is not None, c2,
                  show(e2) if e2 else "", _log_step(e2)[0] if e2 else None,
                  _log_step(e2)[1] if e2 else None),
        Violation("SC3", "Abel summation needs non-increasing weights (χ_t ≤ C_0 a_t)",
                  e3 is not None, c3, show(e3) if e3 else "",
                  pairs(e3, False)[0][0] if e3 else None, pairs(e3, False)[0][1] if e3 else None),
    ]
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, viol, t0)
