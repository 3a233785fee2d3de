r"""Lemma 4 (momentum energy). With 0 ≤ β_t ≤ β < 1 (SC1, β_t time-varying), θ_t non-decreasing,
θ_1 > 0 (SC2), χ_t ≤ C_0 a_t with a_t non-increasing (SC3) and β² < θ_t from t_0 on (SC4;
γ = β²/θ_{t_0}, ρ = sqrt γ), for every gradient sequence (one coordinate)

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

Method: property (:func:`proofs_check._search.refute`: hypothesis ``find`` over horizons up to
240 > 1/(1-ρ), θ_t close to β², time-varying β_t, adversarial gradients — a spike then zeros, the
Cauchy-Schwarz extremal sequence —, then a Nelder-Mead local search of the normalized excess).
Dropped condition: SC4 (β² ≥ θ): K_m is infinite; the worst-case sequence g_i = (β/θ)^{T-i} makes
the left side exceed 10³ times Σ a_t X_t.

Mutants (:data:`MUTANTS`): K_m/(1-ρ) replaced by 1, K_m and ρ of the constant β = β_T
(time-varying β_t), C_0² replaced by C_0, χ_1
dropped.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import strategies as st

from adamtheory.bounds import schedule_constants

from ._gen import beta_seq, chi_seq, grads, horizon, moments, theta_seq
from ._result import PROPERTY, LemmaResult, Violation, search
from ._search import Mutant, decode_case, encode_case, lemma_result, refute, show

LEMMA = "L4 momentum energy"
STATEMENT = "Σ α_t² m_t²/v_t ≤ K_m C_0² χ_1/(1-ρ) Σ a_t X_t"


def _parts(c):
    """(Σ α_t² m_t²/v_t, Σ a_t X_t, schedule constants, scale χ_max²)."""
    beta = np.broadcast_to(np.asarray(c["beta"], dtype=float), np.shape(c["g"]))
    th, chi = c["theta"], c["chi"]
    om = 1.0 - th
    alpha = chi * np.sqrt(om)
    m, v = moments(c["g"], beta, th, c["eps"])
    X = om * c["g"] ** 2 / v
    a = np.minimum.accumulate(chi)
    sc = schedule_constants(alpha, beta, th)
    return float(np.sum(alpha ** 2 * m * m / v)), float(a @ X), sc, float(np.max(chi)) ** 2


def _claim(factor):
    def pairs_f(c):
        lhs, base, sc, scale = _parts(c)
        return [(lhs, factor(sc) * base, scale)]
    return pairs_f


#: the lemma: (lhs, rhs, scale) on a case; raises ValueError outside SC1-SC4
pairs = _claim(lambda sc: sc["K_m"] * sc["C_0"] ** 2 * sc["chi_1"] / (1.0 - sc["rho"]))

def _last_beta(c):
    lhs, base, sc, scale = _parts(c)
    beta = np.asarray(c["beta"], float)
    alpha = c["chi"] * np.sqrt(1.0 - c["theta"])
    sc = schedule_constants(alpha, np.full(beta.size, beta[-1]), c["theta"])
    return [(lhs, sc["K_m"] * sc["C_0"] ** 2 * sc["chi_1"] / (1.0 - sc["rho"]) * base, scale)]


_LONG = {"beta": np.full(150, 0.5), "theta": np.full(150, 0.26), "chi": np.ones(150),
         "g": np.r_[1.0, np.zeros(149)], "eps": 1e-8}
MUTANTS = (
    Mutant(LEMMA, "K_m/(1-ρ) replaced by 1", _claim(lambda sc: sc["C_0"] ** 2 * sc["chi_1"]), _LONG,
           "beta=0.5, theta=0.26, chi=1, eps=1e-8, g=(1, 0, 0, ...), T=150"),
    Mutant(LEMMA, "constant-β K_m, ρ taken at the last β_T (time-varying β_t)", _last_beta,
           dict(_LONG, beta=np.r_[np.full(149, 0.5), 0.0]),
           "beta=(0.5, ..., 0.5, 0), theta=0.26, chi=1, eps=1e-8, g=(1, 0, 0, ...), T=150"),
    Mutant(LEMMA, "C_0² replaced by C_0",
           _claim(lambda sc: sc["K_m"] * sc["C_0"] * sc["chi_1"] / (1.0 - sc["rho"])),
           {"beta": np.zeros(2), "theta": np.full(2, 0.5), "chi": np.array([1.0, 3.0]),
            "g": np.array([0.0, 10.0]), "eps": 1.0}),
    Mutant(LEMMA, "χ_1 dropped", _claim(lambda sc: sc["K_m"] * sc["C_0"] ** 2 / (1.0 - sc["rho"])),
           {"beta": np.zeros(1), "theta": np.full(1, 0.5), "chi": np.array([10.0]), "g": np.array([10.0]),
            "eps": 1.0}),
)


@st.composite
def case(draw, sc4=True):
    if not sc4:
        T = draw(st.integers(1, 150))
        b = draw(st.floats(0.3, 0.95))
        th = draw(st.floats(0.05, b * b - 0.01))
        return {"beta": np.full(T, b), "theta": np.full(T, th), "chi": np.full(T, 1.0),
                "g": (b / th) ** np.arange(T - 1, -1, -1.0), "eps": 1e-12}
    T = draw(horizon(12, 240))
    beta = draw(beta_seq(T))
    b = float(np.max(beta))
    theta = draw(theta_seq(T, floor=b * b).filter(lambda th: th[-1] > b * b))
    return {"beta": beta, "theta": theta, "chi": draw(chi_seq(T)),
            "g": draw(grads(T, schedule=(beta, theta))), "eps": 10 ** draw(st.floats(-8, 0))}


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, case(), encode_case, decode_case, n=150 if quick else 2000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def _sc4_sides(c):
    beta = np.asarray(c["beta"], float)
    om = 1.0 - c["theta"]
    m, v = moments(c["g"], beta, c["theta"], c["eps"])
    return float(np.sum(om * m * m / v)), float(np.sum(om * c["g"] ** 2 / v))


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    e4, c4 = search(case(sc4=False), lambda c: _sc4_sides(c)[0] > 1e3 * _sc4_sides(c)[1],
                    60 if quick else 300, seed)
    viol = [Violation("SC4", "K_m < ∞ needs β²/(ρ θ_t) ≤ ρ < 1 after t_0", e4 is not None, c4,
                      show(e4) if e4 else "", _sc4_sides(e4)[0] if e4 else None,
                      1e3 * _sc4_sides(e4)[1] if e4 else None)]
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, viol, t0)
