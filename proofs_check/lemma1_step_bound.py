r"""Lemma 1 (step bound). Under SC1 (0 ≤ β_t ≤ β < 1), SC2 (θ_t non-decreasing) and v_0 = ε > 0,
for every gradient sequence, every time-varying β_t and every t,

.. math::

    (1-\theta_t)\,\frac{m_t^2}{v_t} \le S_t := \sum_{i\le t} (1-\beta_i)^2
    \prod_{i<j\le t} \frac{\beta_j^2}{\theta_j} \le K := \max\Big(\max_{t<t_0} S_t,\
    \frac{1}{1-\gamma}\Big),

with t_0 the first t with θ_t > β² and γ = β²/θ_{t_0} (SC4). So every move is at most
sqrt(K) χ_t per coordinate. Proof: Cauchy-Schwarz with weights c_i = Π_{i<j≤t} θ_j and
v_t ≥ (1-θ_t) Σ c_i g_i² (θ non-decreasing); after t_0 the recursion S_t = (1-β_t)² + β_t²/θ_t S_{t-1}
has multiplier ≤ γ < 1 and (1-β_t)² ≤ 1.

Used in: Lemma 5 (bounds on x_t - z_t and e_t), through K, and in the constant E_max.

Method: property (:func:`proofs_check._search.refute`: hypothesis ``find`` over time-varying β_t,
θ_t close to β², θ_t jumping after t_0 > 1, T up to 240 and adversarial gradients, then a
Nelder-Mead local search maximizing the normalized excess from random starts): search for a case
with (1-θ_t) m_t²/v_t > S_t or S_t > K. Dropped conditions:

* SC1 (β ≥ 0): with β < 0, (1-β)² > 1 and the tail S_t ≤ 1 + γ S_{t-1} fails: the worst-case
  sequence g_i = (β/θ)^{T-i} (equality in Cauchy-Schwarz) exceeds K.
* SC2 (θ non-decreasing): v_t ≥ (1-θ_t) Σ c_i g_i² fails; a sequence exceeds S_t.
* SC4 (β² < θ): K is infinite; the worst-case sequence makes (1-θ_t) m_t²/v_t exceed 10³.

Mutants (:data:`MUTANTS`, killed by the same search): the constant-β closed form
K = (1-β)²/(1-γ) applied to time-varying β_t, S_t without the 1/θ_j of the product, and K without
the maximum over t < t_0.

>>> r = check(quick=True)
>>> r.passed
True
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import strategies as st

from adamtheory.bounds import step_constant

from ._gen import beta_seq, extremal, grads, horizon, moments, theta_seq
from ._result import PROPERTY, LemmaResult, Violation, search
from ._search import Mutant, decode_case, encode_case, lemma_result, refute, show

LEMMA = "L1 step bound"
STATEMENT = "(1-θ_t) m_t²/v_t ≤ S_t ≤ K = max(max_{t<t0} S_t, 1/(1-γ)), time-varying β_t"


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


def _beta(c):
    return np.broadcast_to(np.asarray(c["beta"], float), np.shape(c["g"])).copy()


def _worst(r, S):
    """The (lhs, rhs, 1) pair of r_t ≤ S_t with the largest normalized excess over t."""
    i = int(np.argmax((r - S) / (r + S + 1e-300)))
    return float(r[i]), float(S[i]), 1.0


def pairs(c):
    """r_t ≤ S_t (worst t) and max_t S_t ≤ K; [] when SC4 fails on the range (K = ∞)."""
    beta = _beta(c)
    S, K = claimed_K(beta, c["theta"])
    if not np.isfinite(K):
        return []
    return [_worst(ratios(c["g"], beta, c["theta"], c["eps"]), S), (float(S.max()), K, 1.0)]


def _mutant_K(kform):
    def pairs_m(c):
        beta = _beta(c)
        _, K = claimed_K(beta, c["theta"])
        if not np.isfinite(K):
            return []
        return [(float(np.max(ratios(c["g"], beta, c["theta"], c["eps"]))), kform(beta, c["theta"]), 1.0)]
    return pairs_m


def _gamma(beta, theta):
    b2 = float(np.max(beta)) ** 2
    return b2 / theta[int(np.flatnonzero(theta > b2)[0])]


def _no_theta_in_product(c):
    beta = _beta(c)
    if not np.isfinite(claimed_K(beta, c["theta"])[1]):
        return []
    return [_worst(ratios(c["g"], beta, c["theta"], c["eps"]), step_constant(beta, np.ones_like(beta)))]


MUTANTS = (
    Mutant(LEMMA, "constant-β K = (1-β)²/(1-γ) for time-varying β_t",
           _mutant_K(lambda b, th: (1 - float(np.max(b))) ** 2 / (1 - _gamma(b, th))),
           {"beta": np.array([0.9, 0.0, 0.0]), "theta": np.full(3, 0.9), "g": np.array([0.0, 0.0, 5.0]),
            "eps": 1.0}),
    Mutant(LEMMA, "S_t without the 1/θ_j in the product (Π β_j² only)", _no_theta_in_product,
           {"beta": np.full(5, 0.5), "theta": np.full(5, 0.3), "g": (0.5 / 0.3) ** np.arange(4, -1, -1.0),
            "eps": 1e-8}),
    Mutant(LEMMA, "K = 1/(1-γ) (max over t < t_0 dropped)",
           _mutant_K(lambda b, th: 1.0 / (1.0 - _gamma(b, th))),
           {"beta": np.full(6, 0.9), "theta": np.array([0.1] * 5 + [0.99]),
            "g": np.array([9.0 ** 4, 9.0 ** 3, 81.0, 9.0, 1.0, 0.0]), "eps": 1e-8}),
)


@st.composite
def _case(draw, sc1=True, sc2=True, worst=False, sc4=True):
    T = draw(horizon(8, 0) if not sc2 else horizon(12, 120 if worst else 240))
    if not sc1:
        beta = np.full(T, draw(st.floats(-0.95, -0.05)))
    else:
        beta = draw(beta_seq(T))
    b = float(np.max(beta))
    if worst:
        th = draw(st.floats(min(b * b + 0.01, 0.995), 0.999)) if sc4 else \
            draw(st.floats(0.05, max(b * b - 0.01, 0.06)))
        theta = np.full(T, th)
        return {"beta": beta, "theta": theta, "g": (b / th) ** np.arange(T - 1, -1, -1.0), "eps": 1e-12}
    if sc1 and sc2 and draw(st.integers(0, 3)) == 0:
        # the regime t_0 > 1: constant β, θ_t < β² for k steps, then above; extremal gradients
        T = min(T, 30)
        b = draw(st.floats(0.3, 0.95))
        beta = np.full(T, b)
        k = draw(st.integers(1, T))
        theta = np.concatenate([np.full(k, draw(st.floats(0.01, b * b))),
                                np.full(T - k, draw(st.floats(b * b + 1e-4, 0.999)))])
        t = int(np.argmax(step_constant(beta, theta))) + 1
        return {"beta": beta, "theta": theta, "g": extremal(beta, theta, t), "eps": 1e-8}
    theta = draw(theta_seq(T, monotone=sc2, floor=b * b))
    return {"beta": beta, "theta": theta, "g": draw(grads(T, schedule=(beta, theta))),
            "eps": 10 ** draw(st.floats(-8, 1))}


def _encode(c):
    """Local-search coordinates: β_t, θ_t, ε; the gradients are tied to the schedule (the
    Cauchy-Schwarz extremal sequence ending where S_t is largest, see :func:`_gen.extremal`)."""
    return encode_case({"beta": c["beta"], "theta": c["theta"], "eps": c["eps"]})


def _decode(x, tmpl):
    c = decode_case(x, tmpl)
    c["g"] = extremal(c["beta"], c["theta"], int(np.argmax(step_constant(c["beta"], c["theta"]))) + 1)
    return c


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, _case(), _encode, _decode, n=150 if quick else 2000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def _excess(c):
    beta = _beta(c)
    S, K = claimed_K(beta, c["theta"])
    return ratios(c["g"], beta, c["theta"], c["eps"]), S, K


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    viol = []
    nv = 100 if quick else 500
    # SC1 dropped: β < 0, worst-case sequence, compare with K (tail needs (1-β)² ≤ 1)
    e1, c1 = search(_case(sc1=False, worst=True),
                    lambda c: float(np.max(_excess(c)[0])) > _excess(c)[2] * (1 + 1e-6), nv, seed)
    viol.append(Violation("SC1", "tail of K: S_t ≤ 1 + γ S_{t-1} needs (1-β_t)² ≤ 1", e1 is not None,
                          c1, show(e1) if e1 else "",
                          float(np.max(_excess(e1)[0])) if e1 else None,
                          float(_excess(e1)[2]) if e1 else None))
    # SC2 dropped: free θ, compare with S_t
    e2, c2 = search(_case(sc2=False),
                    lambda c: bool(np.any(_excess(c)[0] > _excess(c)[1] * (1 + 1e-6))), nv, seed)
    viol.append(Violation("SC2", "v_t ≥ (1-θ_t) Σ c_i g_i² needs 1-θ_i ≥ 1-θ_t", e2 is not None, c2,
                          show(e2) if e2 else "",
                          float(np.max(_excess(e2)[0] - _excess(e2)[1])) if e2 else None, 0.0 if e2 else None))
    # SC4 dropped: β² ≥ θ, the ratio is unbounded
    e4, c4 = search(_case(worst=True, sc4=False), lambda c: float(np.max(_excess(c)[0])) > 1e3, nv, seed)
    viol.append(Violation("SC4", "K < ∞ needs β²/θ_t ≤ γ < 1 after t_0", e4 is not None, c4,
                          show(e4) if e4 else "", float(np.max(_excess(e4)[0])) if e4 else None,
                          1e3 if e4 else None))
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, viol, t0)
