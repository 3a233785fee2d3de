r"""Lemma 5 (heavy-ball sequence). With 0 ≤ β_t ≤ β < 1 (SC1), b_{t+1} = β_t/(1-β_t) ≤ B = β/(1-β),
η_t = α_t/sqrt(v_t) and z_t = x_t - b_t η_{t-1} m_{t-1} (z_1 = x_1 since m_0 = 0):

.. math::

    z_{t+1} - z_t = -\eta_t g_t + e_t, \qquad e_t = (b_t\eta_{t-1} - b_{t+1}\eta_t)\, m_{t-1},

and, per coordinate, with K of Lemma 1 (SC1, SC2, SC4) and X_t = (1-θ_t) g_t²/v_t,

.. math::

    |e_t| \le B\sqrt K\Big(\frac{|\alpha_{t-1}-\alpha_t|}{\sqrt{1-\theta_{t-1}}}
    + \alpha_t\sqrt{\frac{1-\theta_t}{\theta_1}} + \chi_t X_t\Big) + |b_{t+1}-b_t|\sqrt K \chi_{t-1},
    \qquad |e_t| \le E_{\max} = B\sqrt{K/\theta_1}\, C_0\chi_1 .

Proof: the identity is algebra (checked by sympy). For the bound write
e_t = b_{t+1}(η_{t-1} - η_t) m_{t-1} + (b_t - b_{t+1}) η_{t-1} m_{t-1}, split η_{t-1} - η_t into
(α_{t-1} - α_t)/sqrt(v_{t-1}) and α_t (1/sqrt v_{t-1} - 1/sqrt v_t), write v_t - v_{t-1} =
(1-θ_t)(g_t² - v_{t-1}), and use Lemma 1 (|m_{t-1}|/sqrt(v_{t-1}) ≤ sqrt(K/(1-θ_{t-1}))),
v_t ≥ θ_t v_{t-1} and 1-θ_t ≤ 1-θ_{t-1}. For E_max: |b_t η_{t-1} - b_{t+1} η_t| ≤ B max(η_{t-1}, η_t).
With constant β the second term vanishes; summed over t it gives sqrt(K) C_0 χ_1 V_T with
V_T = Σ_{2≤t≤T} |b_{t+1} - b_t| (the C''' V_T term of the bound).

Used in: the descent step on f(z_t) (Theorem, step 2): it removes the momentum from the
first-order term, at the price of the terms in ||x_t - z_t|| (Lemma 4) and ||e_t||.
This is where the derivation departs from Zou et al. (see docs/derivations.md).

Method: symbolic (the identity, sympy ``simplify`` to 0) and property (the bounds on e_t, searched
by :func:`proofs_check._search.refute`: hypothesis ``find`` over schedules satisfying SC1-SC4 with
time-varying β_t, θ_t near β², adversarial gradients, then a Nelder-Mead local search).
Mutants (:data:`MUTANTS`): the |b_{t+1}-b_t| term dropped (constant-β form on time-varying β_t),
B replaced by B/4, the χ_t X_t term dropped.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import math
import time

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from ._gen import beta_seq, chi_seq, grads, horizon, moments, theta_seq
from ._result import PROPERTY, SYMBOLIC, LemmaResult
from ._search import Mutant, decode_case, encode_case, refute, show
from .lemma1_step_bound import claimed_K

LEMMA = "L5 heavy ball"
STATEMENT = "z_{t+1}-z_t = -η_t g_t + (b_t η_{t-1} - b_{t+1} η_t) m_{t-1}; |e_t| ≤ B√K(...) + |Δb|√K χ, ≤ E_max"


def identity_residual() -> sp.Expr:
    """z_{t+1} - z_t - (-η_t g_t + e_t), simplified (0 when the identity holds)."""
    b, bt, x, g, mp, ep, e = sp.symbols("beta_t b_t x_t g_t m_tm1 eta_tm1 eta_t", real=True)
    b_next = b / (1 - b)                       # b_{t+1} = β_t/(1-β_t); b_t is free
    m = b * mp + (1 - b) * g
    x_next = x - e * m
    z = x - bt * ep * mp
    z_next = x_next - b_next * e * m
    return sp.simplify(z_next - z - (-e * g + (bt * ep - b_next * e) * mp))


@st.composite
def _case(draw):
    T = draw(st.integers(2, 40))
    b = draw(st.floats(0.0, 0.95))
    decay = draw(st.one_of(st.just(1.0), st.floats(0.5, 1.0)))    # β_t = b decay^{t-1}
    theta = draw(theta_seq(T).filter(lambda th: th[-1] > b * b))
    return {"beta": b * decay ** np.arange(T), "theta": theta, "chi": draw(chi_seq(T)), "g": draw(grads(T)),
            "eps": draw(st.floats(1e-8, 1.0))}


def sides(c, db=1.0, Bf=lambda B: B, xf=1.0, emax_th=True):
    """Largest |e_t| / bound over t for both bounds: (ratio1, ratio2, worst |e|, its bound).

    The keywords plant false variants (mutants): ``db=0`` drops the |b_{t+1}-b_t| term, ``Bf``
    replaces B, ``xf=0`` drops χ_t X_t, ``emax_th=False`` drops 1/sqrt(θ_1) from E_max."""
    beta = np.asarray(c["beta"], dtype=float)
    th, chi = c["theta"], c["chi"]
    om = 1.0 - th
    alpha = chi * np.sqrt(om)
    m, v = moments(c["g"], beta, th, c["eps"])
    eta = alpha / np.sqrt(v)
    bb = beta / (1 - beta)                           # bb[t-1] = b_{t+1} = β_t/(1-β_t)
    B = float(bb.max())
    e = (bb[:-1] * eta[:-1] - bb[1:] * eta[1:]) * m[:-1]   # e_t for t = 2..T: b_t = bb[t-2]
    _, K = claimed_K(beta, th)
    if not math.isfinite(K):
        return 0.0, 0.0, 0.0, 0.0
    X = om * c["g"] ** 2 / v
    b1 = Bf(B) * math.sqrt(K) * (np.abs(alpha[:-1] - alpha[1:]) / np.sqrt(om[:-1])
                                 + alpha[1:] * np.sqrt(om[1:] / th[0]) + xf * chi[1:] * X[1:]) \
        + db * np.abs(bb[1:] - bb[:-1]) * math.sqrt(K) * chi[:-1]
    C0 = float(np.max(chi / np.minimum.accumulate(chi)))
    emax = B * math.sqrt(K / (th[0] if emax_th else 1.0)) * C0 * chi[0]
    ae = np.abs(e)
    r1 = float(np.max(ae / np.maximum(b1, 1e-300))) if ae.size else 0.0
    r2 = float(ae.max() / emax) if ae.size and emax > 0 else 0.0
    i = int(np.argmax(ae)) if ae.size else 0
    return r1, r2, float(ae[i]) if ae.size else 0.0, float(b1[i]) if ae.size else 0.0


def _claim(**kw):
    def pairs_f(c):
        r1, r2, _, _ = sides(c, **kw)
        return [(r1, 1.0, 1.0), (r2, 1.0, 1.0)]
    return pairs_f


pairs = _claim()

MUTANTS = (
    Mutant(LEMMA, "|b_{t+1}-b_t| term dropped (constant-β form for time-varying β_t)", _claim(db=0.0),
           {"beta": np.array([0.9, 0.0]), "theta": np.full(2, 0.99), "chi": np.ones(2),
            "g": np.array([1.0, 0.0]), "eps": 1e-8}),
    Mutant(LEMMA, "B replaced by B/4 in the first term", _claim(Bf=lambda B: B / 4),
           {"beta": np.array([0.03942, 0.0, 0.04685, 0.01, 0.0381, 0.0, 0.00928, 0.03798, 0.002572, 0.0,
                              0.06057]),
            "theta": np.full(11, 0.6052), "chi": np.r_[np.full(4, 0.1), 3.995, np.full(6, 0.1)],
            "g": np.array([0.0, 0.0347, 0.0, -19.83, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.582]), "eps": 0.0007978}),
    Mutant(LEMMA, "χ_t X_t term dropped", _claim(xf=0.0),
           {"beta": np.full(2, 0.5), "theta": np.full(2, 0.99), "chi": np.ones(2),
            "g": np.array([1.0, 1000.0]), "eps": 1e-8}),
)


@st.composite
def _hard(draw):
    """Time-varying β_t, θ_t near β² or jumping, adversarial gradients (spikes, extremal), T ≤ 120."""
    T = draw(horizon(12, 120).filter(lambda T: T >= 2))
    beta = draw(beta_seq(T))
    b = float(np.max(beta))
    theta = draw(theta_seq(T, floor=b * b).filter(lambda th: th[-1] > b * b))
    return {"beta": beta, "theta": theta, "chi": draw(chi_seq(T)), "g": draw(grads(T, schedule=(beta, theta))),
            "eps": 10 ** draw(st.floats(-8, 0))}


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, st.one_of(_case(), _hard()), encode_case, decode_case, n=150 if quick else 2000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    ident = identity_residual()
    res = refute_claim(pairs, quick, seed, shrink=True)
    ok = ident == 0 and not res.found
    return LemmaResult(LEMMA, STATEMENT, f"{SYMBOLIC} + {PROPERTY}", res.cases + 1, ok, res.lhs, res.rhs,
                       show(res.example) if res.found else "",
                       details={"identity residual": str(ident), "worst non-degenerate |e_t|/bound": res.ratio,
                                "local search evaluations": res.local_evals},
                       seconds=time.perf_counter() - t0)
