r"""Lemma 1 (step bound). Under SC1 (0 ≤ β_t ≤ β < 1), SC2 (θ_t non-decreasing) and v_0 = ε > 0,
for every gradient sequence and every t,

.. math::

    (1-\theta_t)\,\frac{m_t^2}{v_t} \le S_t := \sum_{i\le t} (1-\beta_i)^2
    \prod_{i<j\le t} \frac{\beta_j^2}{\theta_j} \le K := \max\Big(\max_{t<t_0} S_t,\
    \frac{1}{1-\gamma}\Big),

with t_0 the first t with θ_t > β² and γ = β²/θ_{t_0} (SC4). So every move is at most
sqrt(K) χ_t per coordinate. Proof: Cauchy-Schwarz with weights c_i = Π_{i<j≤t} θ_j and
v_t ≥ (1-θ_t) Σ c_i g_i² (θ non-decreasing); after t_0 the recursion S_t = (1-β_t)² + β_t²/θ_t S_{t-1}
has multiplier ≤ γ < 1 and (1-β_t)² ≤ 1.

Used in: Lemma 5 (bounds on x_t - z_t and e_t), through K, and in the constant E_max.

Method: property (hypothesis ``find`` outside pytest, see :mod:`proofs_check._result`): search for
a schedule and gradient sequence with (1-θ_t) m_t²/v_t > S_t or S_t > K. Dropped conditions:

* SC1 (β ≥ 0): with β < 0, (1-β)² > 1 and the tail S_t ≤ 1 + γ S_{t-1} fails: the worst-case
  sequence g_i = (β/θ)^{T-i} (equality in Cauchy-Schwarz) exceeds K.
* SC2 (θ non-decreasing): v_t ≥ (1-θ_t) Σ c_i g_i² fails; a sequence exceeds S_t.
* SC4 (β² < θ): K is infinite; the worst-case sequence makes (1-θ_t) m_t²/v_t exceed 10³.

>>> r = check(quick=True)
>>> r.passed
True
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import strategies as st

from adamtheory.bounds import step_constant

from ._gen import grads, moments, theta_seq
from ._result import PROPERTY, LemmaResult, Violation, fmt, search

LEMMA = "L1 step bound"
STATEMENT = "(1-θ_t) m_t²/v_t ≤ S_t ≤ K = max(max_{t<t0} S_t, 1/(1-γ))"


def claimed_K(beta, theta):
    """K of the lemma (the all-t constant), or inf when no θ_t exceeds β² on the range."""
    b2 = float(np.max(beta)) ** 2
    S = step_constant(beta, theta)
    above = np.flatnonzero(theta > b2)
    if above.size == 0:
        return S, np.inf
    t0 = int(above[0]) + 1
    gamma = b2 / theta[t0 - 1]
    pre = float(S[: t0 - 1].max()) if t0 > 1 else 0.0
    return S, max(pre, 1.0 / (1.0 - gamma))


def ratios(g, beta, theta, eps):
    m, v = moments(g, beta, theta, eps)
    return (1.0 - theta) * m * m / v


@st.composite
def _case(draw, sc1=True, sc2=True, worst=False, sc4=True):
    T = draw(st.integers(1, 120 if worst else 40 if sc2 else 8))
    if sc1:
        b = draw(st.floats(0.0, 0.95))
    else:
        b = draw(st.floats(-0.95, -0.05))
    if worst:
        if sc4:
            th = draw(st.floats(min(b * b + 0.01, 0.995), 0.999))
        else:
            th = draw(st.floats(0.05, max(b * b - 0.01, 0.06)))
        theta = np.full(T, th)
        g = (b / th) ** np.arange(T - 1, -1, -1.0)
        eps = 1e-12
    else:
        theta = draw(theta_seq(T, monotone=sc2))
        g = draw(grads(T))
        eps = draw(st.floats(1e-8, 1.0))
    return {"beta": b, "theta": theta, "g": g, "eps": eps}


def _excess(c):
    beta = np.full(len(c["g"]), c["beta"])
    S, K = claimed_K(beta, c["theta"])
    r = ratios(c["g"], beta, c["theta"], c["eps"])
    return r, S, K


def _show(c):
    return fmt({"beta": c["beta"], "theta": list(map(float, c["theta"])), "g": list(map(float, c["g"])),
                "eps": c["eps"]})


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    n = 150 if quick else 2000
    worst = [0.0, 1.0]

    def breaks(c):
        r, S, K = _excess(c)
        q = float(np.max(r / (S * (1 + 1e-9) + 1e-300)))
        if q > worst[0] / max(worst[1], 1e-300):
            worst[:] = [float(np.max(r)), float(np.max(S))]
        return bool(np.any(r > S * (1 + 1e-9) + 1e-12)) or bool(np.max(S) > K * (1 + 1e-9))

    ex, cases = search(_case(), breaks, n, seed)
    viol = []
    nv = 100 if quick else 500
    # SC1 dropped: β < 0, worst-case sequence, compare with K (tail needs (1-β)² ≤ 1)
    e1, c1 = search(_case(sc1=False, worst=True),
                    lambda c: float(np.max(_excess(c)[0])) > _excess(c)[2] * (1 + 1e-6), nv, seed)
    viol.append(Violation("SC1", "tail of K: S_t ≤ 1 + γ S_{t-1} needs (1-β_t)² ≤ 1", e1 is not None,
                          c1, _show(e1) if e1 else "",
                          float(np.max(_excess(e1)[0])) if e1 else None,
                          float(_excess(e1)[2]) if e1 else None))
    # SC2 dropped: free θ, compare with S_t
    e2, c2 = search(_case(sc2=False),
                    lambda c: bool(np.any(_excess(c)[0] > _excess(c)[1] * (1 + 1e-6))), nv, seed)
    viol.append(Violation("SC2", "v_t ≥ (1-θ_t) Σ c_i g_i² needs 1-θ_i ≥ 1-θ_t", e2 is not None, c2,
                          _show(e2) if e2 else "",
                          float(np.max(_excess(e2)[0] - _excess(e2)[1])) if e2 else None, 0.0 if e2 else None))
    # SC4 dropped: β² ≥ θ, the ratio is unbounded
    e4, c4 = search(_case(worst=True, sc4=False), lambda c: float(np.max(_excess(c)[0])) > 1e3, nv, seed)
    viol.append(Violation("SC4", "K < ∞ needs β²/θ_t ≤ γ < 1 after t_0", e4 is not None, c4,
                          _show(e4) if e4 else "", float(np.max(_excess(e4)[0])) if e4 else None,
                          1e3 if e4 else None))
    ok = ex is None and all(v.found for v in viol)
    return LemmaResult(LEMMA, STATEMENT, PROPERTY, cases, ok, worst[0], worst[1],
                       _show(ex) if ex is not None else "", viol,
                       seconds=time.perf_counter() - t0)
