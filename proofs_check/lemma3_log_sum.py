r"""Lemma 3 (weighted log-sum). Let θ_t be non-decreasing with θ_1 > 0 (SC2 and the derivation's
θ_1 > 0), v_0 = ε > 0, X_t = (1-θ_t) g_t²/v_t ∈ [0, 1], ℓ_t = log v_t, and a_t > 0
non-increasing (SC3: a_t = min_{k≤t} χ_k, χ_t ≤ C_0 a_t). Then, for every gradient sequence,

.. math::

    \sum_{t\le T} a_t X_t \le a_1 \max_{t\le T} (\ell_t - \ell_0)^+
    + \frac{1}{\theta_1}\sum_{t\le T} a_t (1-\theta_t),
    \qquad \sum_{t\le T} \chi_t X_t \le C_0 \sum_{t\le T} a_t X_t .

Proof: X_t = 1 - θ_t v_{t-1}/v_t ≤ log(v_t/v_{t-1}) - log θ_t (1 - u ≤ -log u); Abel summation
Σ a_t(ℓ_t - ℓ_{t-1}) = a_T(ℓ_T - ℓ_0) + Σ_{t<T}(a_t - a_{t+1})(ℓ_t - ℓ_0), whose coefficients are
≥ 0 and add up to a_1; -log θ_t ≤ (1-θ_t)/θ_t ≤ (1-θ_t)/θ_1. In expectation (Theorem, step 3)
E(ℓ_t - ℓ_0) ≤ log(E v_t/ε) and Σ_k log(E v_{t,k}/ε) ≤ d log(1 + G²/(dε)) (Jensen, A4).

Used in: every error term of the theorem (decorrelation, Lipschitz terms, e_t): each is a multiple
of Σ χ_t Σ_k X_{t,k}, bounded by C_0 [χ_1 d log(1+G²/(dε)) + (d/θ_1) Σ α_t sqrt(1-θ_t)].

Method: property (hypothesis ``find``). Dropped conditions:

* SC2 (θ non-decreasing): with θ_t < θ_1 the step Σ a_t(-log θ_t) ≤ Σ a_t(1-θ_t)/θ_1 fails (the
  lemma itself keeps some slack: X_t = 1-θ_t at a steady state, so the search targets the step).
* SC3 (non-increasing weights): with increasing weights the Abel coefficients a_t - a_{t+1} are
  negative and the bound fails.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import math
import time

import numpy as np
from hypothesis import strategies as st

from ._gen import chi_seq, grads, moments, theta_seq
from ._result import LemmaResult, PROPERTY, Violation, Worst, fmt, search

LEMMA = "L3 log-sum"
STATEMENT = "Σ a_t X_t ≤ a_1 max(ℓ_t-ℓ_0)^+ + Σ a_t(1-θ_t)/θ_1; Σ χ_t X_t ≤ C_0 Σ a_t X_t"


@st.composite
def _case(draw, sc2=True, sc3=True):
    T = draw(st.integers(1, 40 if sc2 and sc3 else 8))
    theta = draw(theta_seq(T, monotone=sc2))
    if sc3:
        chi = draw(chi_seq(T))
    else:
        a = draw(st.floats(0.01, 1.0))
        chi = [a]
        for _ in range(T - 1):
            chi.append(chi[-1] * draw(st.floats(1.0, 100.0)))
        chi = np.array(chi)
    return {"theta": theta, "chi": chi, "g": draw(grads(T)), "eps": draw(st.floats(1e-8, 10.0))}


def sides(c, monotone_weights=True):
    """[(lhs, rhs) of the a-form, (lhs, rhs) of the χ-form]; without SC3 the weights are χ."""
    th, chi, g, eps = c["theta"], c["chi"], c["g"], c["eps"]
    _, v = moments(g, np.zeros(len(g)), th, eps)
    om = 1.0 - th
    X = om * g * g / v
    a = np.minimum.accumulate(chi) if monotone_weights else chi
    ell = np.log(v) - math.log(eps)
    rhs = a[0] * max(0.0, float(ell.max())) + float(np.sum(a * om)) / th[0]
    lhs = float(a @ X)
    C0 = float(np.max(chi / np.minimum.accumulate(chi)))
    return [(lhs, rhs), (float(chi @ X), C0 * lhs)]


def _log_step(c):
    """The step Σ a_t (-log θ_t) ≤ Σ a_t (1-θ_t)/θ_1 as (lhs, rhs)."""
    th, a = c["theta"], np.minimum.accumulate(c["chi"])
    return float(a @ -np.log(th)), float(a @ (1.0 - th)) / th[0]


def _show(c):
    return fmt({k: (list(map(float, v)) if isinstance(v, np.ndarray) else v) for k, v in c.items()})


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    n = 100 if quick else 3000
    worst = Worst()

    def breaks(c):
        return worst.upper(sides(c))

    ex, cases = search(_case(), breaks, n, seed)
    nv = 60 if quick else 500
    e2, c2 = search(_case(sc2=False), lambda c: _log_step(c)[0] > _log_step(c)[1] * (1 + 1e-6), nv, seed)
    e3, c3 = search(_case(sc3=False),
                    lambda c: sides(c, False)[0][0] > sides(c, False)[0][1] * (1 + 1e-6), nv, seed)
    viol = [
        Violation("SC2", "-log θ_t ≤ (1-θ_t)/θ_1 needs θ_t ≥ θ_1", e2 is not None, c2,
                  _show(e2) if e2 else "", _log_step(e2)[0] if e2 else None,
                  _log_step(e2)[1] if e2 else None),
        Violation("SC3", "Abel summation needs non-increasing weights (χ_t ≤ C_0 a_t)",
                  e3 is not None, c3, _show(e3) if e3 else "",
                  sides(e3, False)[0][0] if e3 else None, sides(e3, False)[0][1] if e3 else None),
    ]
    ok = ex is None and all(v.found for v in viol)
    return LemmaResult(LEMMA, STATEMENT, PROPERTY, cases, ok, worst.lhs, worst.rhs,
                       _show(ex) if ex is not None else "", viol,
                       details={"largest lhs/rhs": worst.q}, seconds=time.perf_counter() - t0)
