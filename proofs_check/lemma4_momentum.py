r"""Lemma 4 (momentum energy). With 0 ≤ β_t ≤ β < 1 (SC1), θ_t non-decreasing, θ_1 > 0 (SC2),
χ_t ≤ C_0 a_t with a_t non-increasing (SC3) and β² < θ_t from t_0 on (SC4; γ = β²/θ_{t_0},
ρ = sqrt γ), for every gradient sequence (one coordinate)

.. math::

    \sum_{t\le T} \alpha_t^2 \frac{m_t^2}{v_t} \le \frac{K_m C_0^2 \chi_1}{1-\rho}
    \sum_{t\le T} a_t X_t,
    \qquad K_m = \sup_t \sum_{i\le t} (1-\beta_i)^2 \prod_{i<j\le t} \frac{\beta_j^2}{\rho\,\theta_j}.

Proof: Cauchy-Schwarz with weights c_i = Π_{i<j≤t} ρ θ_j gives m_t² ≤ K_m Σ_i c_i g_i²; then
v_t ≥ Π_{i<j≤t} θ_j v_i, α_t² = χ_t² (1-θ_t) ≤ C_0² a_i χ_1 (1-θ_i) for i ≤ t, and Σ_{t≥i} ρ^{t-i}
≤ 1/(1-ρ). After t_0 the recursion for K_m has multiplier β²/(ρ θ_t) ≤ γ/ρ = ρ < 1.

Used in: the heavy-ball distance ||x_t - z_t||² = (β/(1-β))² α_{t-1}² Σ_k m_{t-1,k}²/v_{t-1,k}
(Theorem, step 2), the term L B² K_m C_0² χ_1/(1-ρ) of the constant A. The implementation under test
is :func:`adamtheory.bounds.schedule_constants` (K_m, C_0, χ_1, ρ).

Method: property (hypothesis ``find``). Dropped condition: SC4 (β² ≥ θ): K_m is infinite; the
worst-case sequence g_i = (β/θ)^{T-i} makes the left side exceed 10³ times Σ a_t X_t.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import strategies as st

from adamtheory.bounds import schedule_constants

from ._gen import chi_seq, grads, moments, theta_seq
from ._result import LemmaResult, PROPERTY, Violation, Worst, fmt, search

LEMMA = "L4 momentum energy"
STATEMENT = "Σ α_t² m_t²/v_t ≤ K_m C_0² χ_1/(1-ρ) Σ a_t X_t"


@st.composite
def _case(draw, sc4=True):
    T = draw(st.integers(1, 40 if sc4 else 150))
    b = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.95)))
    decay = draw(st.one_of(st.just(1.0), st.floats(0.5, 1.0)))   # β_t = b decay^{t-1} (AdamNC)
    if sc4:
        theta = draw(theta_seq(T).filter(lambda th: th[-1] > b * b))
        chi = draw(chi_seq(T))
        g = draw(grads(T))
        eps = draw(st.floats(1e-8, 1.0))
    else:
        b = max(b, 0.3)
        th = draw(st.floats(0.05, b * b - 0.01))
        theta = np.full(T, th)
        chi = np.full(T, 1.0)
        g = (b / th) ** np.arange(T - 1, -1, -1.0)
        eps = 1e-12
    beta = b * decay ** np.arange(T) if sc4 else np.full(T, b)
    return {"beta": beta, "theta": theta, "chi": chi, "g": g, "eps": eps}


def sides(c, sc4=True):
    beta = np.asarray(c["beta"], dtype=float)
    th, chi = c["theta"], c["chi"]
    om = 1.0 - th
    alpha = chi * np.sqrt(om)
    m, v = moments(c["g"], beta, th, c["eps"])
    X = om * c["g"] ** 2 / v
    a = np.minimum.accumulate(chi)
    lhs = float(np.sum(alpha ** 2 * m * m / v))
    base = float(a @ X)
    if not sc4:
        return lhs, base
    sc = schedule_constants(alpha, beta, th)
    factor = sc["K_m"] * sc["C_0"] ** 2 * sc["chi_1"] / (1.0 - sc["rho"])
    return lhs, factor * base


def _show(c):
    return fmt({k: (list(map(float, v)) if isinstance(v, np.ndarray) else v) for k, v in c.items()})


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    n = 150 if quick else 2000
    worst = Worst()

    def breaks(c):
        return worst.upper([sides(c)])

    ex, cases = search(_case(), breaks, n, seed)
    e4, c4 = search(_case(sc4=False), lambda c: sides(c, False)[0] > 1e3 * sides(c, False)[1],
                    60 if quick else 300, seed)
    viol = [Violation("SC4", "K_m < ∞ needs β²/(ρ θ_t) ≤ ρ < 1 after t_0", e4 is not None, c4,
                      _show(e4) if e4 else "", sides(e4, False)[0] if e4 else None,
                      1e3 * sides(e4, False)[1] if e4 else None)]
    ok = ex is None and all(v.found for v in viol)
    return LemmaResult(LEMMA, STATEMENT, PROPERTY, cases, ok, worst.lhs, worst.rhs,
                       _show(ex) if ex is not None else "", viol,
                       details={"largest lhs/rhs": worst.q}, seconds=time.perf_counter() - t0)
