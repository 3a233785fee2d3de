r"""Lemma 3 in expectation (docs/derivations.md, Lemma 3, the corrected proof of issue 12 item 3).
For adapted gradients g_t ∈ R^d (the law of g_t may depend on the whole history F_{t-1}) with
E_t ||g_t||² ≤ G², θ_t non-decreasing with θ_1 > 0 (SC2, H0), v_0 = ε, X_{t,k} = ω_t g_{t,k}²/v_{t,k},
a_t = min_{k≤t} χ_k (non-increasing, deterministic) and S_T = Σ_{t≤T} α_t sqrt(ω_t) = Σ χ_t ω_t:

.. math::

    \mathbb E \sum_{t\le T} a_t \sum_k X_{t,k} \le \Phi_T := \chi_1 \Lambda + \frac{d}{\theta_1} S_T,
    \qquad \Lambda = d \log\Big(1 + \frac{G^2}{d\varepsilon}\Big).

Proof (corrected): X_{t,k} ≤ (ℓ_{t,k} - ℓ_{t-1,k}) - log θ_t with ℓ = log v. Take expectations in
the Abel identity Σ_t a_t(ℓ_t - ℓ_{t-1}) = a_T(ℓ_T - ℓ_0) + Σ_{t<T}(a_t - a_{t+1})(ℓ_t - ℓ_0), whose
coefficients are deterministic, ≥ 0 and add up to a_1 = χ_1 — no max, no (·)⁺ —; sum over the
coordinates first and use Jensen then concavity: Σ_k E(ℓ_{t,k} - ℓ_0) ≤ Σ_k log(E v_{t,k}/ε)
≤ d log(Σ_k E v_{t,k}/(dε)) ≤ Λ, since Σ_k E v_{t,k} ≤ dε + G² (v_t is a convex combination of ε and
g_1², ..., g_t²). Finally -log θ_t ≤ ω_t/θ_1 and a_t ω_t ≤ χ_t ω_t = α_t sqrt(ω_t).

Used in: the theorem, step 3: every error term is a multiple of E Σ_t a_t Σ_k X_{t,k} ≤ Φ_T, which
brings χ_1 Λ into C and (d/θ_1) S_T into C' S_T.

Method: property, with *exact* expectations: a finite tree of histories (1 to 3 outcomes per step,
T ≤ 8, d = 1..3), the law of g_t at each node drawn separately (history dependent), or chosen by an
adversary from the state v (a spike on the coordinate whose v is smallest; a climb that multiplies
v by a constant factor after θ_1 small; the steady state g² = v), G² = max over the nodes of
E_t||g_t||² (so E_t||g_t||² ≤ G² holds exactly, with equality somewhere). The expectation is the
sum over all paths with their probabilities. Then a Nelder-Mead local search over all the tree's
atoms, probabilities and the schedules.

Mutants (:data:`MUTANTS`): χ_1 Λ dropped, S_T without d, 1/θ_1 dropped, χ_t in place of the running
minimum a_t, and a_T in place of χ_1 in front of Λ.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import math
import time

import numpy as np
from hypothesis import strategies as st

from ._gen import chi_seq, theta_seq
from ._result import PROPERTY, LemmaResult
from ._search import Mutant, dec_theta, enc_theta, lemma_result, refute, show

LEMMA = "L3E log-sum in expectation"
STATEMENT = "E Σ_t a_t Σ_k X_{t,k} ≤ χ_1 d log(1 + G²/(dε)) + (d/θ_1) Σ_t α_t sqrt(1-θ_t), adapted g_t"


def parts(c, weights="a"):
    """Exact E Σ_t w_t Σ_k X_{t,k} over the tree (w = a, or χ), G², Λ, S_T, scale Σ_t w_t.

    ``c["g"][t]`` has shape (k^t, k, d): the k atoms of g_{t+1} at each of the k^t nodes of depth t;
    ``c["p"][t]`` (k^t, k) their probabilities.
    """
    theta, chi, eps = np.asarray(c["theta"], float), np.asarray(c["chi"], float), float(c["eps"])
    d = c["g"][0].shape[-1]
    w = np.minimum.accumulate(chi) if weights == "a" else chi
    v, P = np.full((1, d), eps), np.ones(1)
    lhs, G2 = 0.0, 0.0
    for t, (g, p) in enumerate(zip(c["g"], c["p"])):
        g2 = g * g
        G2 = max(G2, float(np.max(np.sum(p * g2.sum(-1), axis=1))))
        om = 1.0 - theta[t]
        vn = theta[t] * v[:, None, :] + om * g2
        X = (om * g2 / vn).sum(-1)
        lhs += w[t] * float(np.sum(P[:, None] * p * X))
        P, v = (P[:, None] * p).ravel(), vn.reshape(-1, d)
    Lam = d * math.log1p(G2 / (d * eps))
    S = float(np.sum(chi * (1.0 - theta)))
    return lhs, G2, Lam, S, d, float(np.sum(w))


def pairs(c):
    lhs, _, Lam, S, d, scale = parts(c)
    return [(lhs, c["chi"][0] * Lam + d / c["theta"][0] * S, scale)]


def _mutant(rhs, weights="a"):
    def pairs_m(c):
        lhs, G2, Lam, S, d, scale = parts(c, weights)
        return [(lhs, rhs(c, G2, Lam, S, d), scale)]
    return pairs_m


def deterministic(g, theta, chi, eps=1.0):
    """A case with one outcome per step: g of shape (T, d)."""
    g = np.atleast_2d(np.asarray(g, float))
    return {"theta": np.asarray(theta, float), "chi": np.asarray(chi, float), "eps": eps,
            "g": [row.reshape(1, 1, -1) for row in g], "p": [np.ones((1, 1)) for _ in g]}


def _climb(T, th1, th2, d, eps=1.0):
    """θ = (θ_1, θ_2, ...), g_1 = 0, then every coordinate's v climbs back to ε by a constant factor."""
    c = (1.0 / th1) ** (1.0 / (T - 1))
    v, rows = th1 * eps, [np.zeros(d)]
    for _ in range(T - 1):
        rows.append(np.full(d, math.sqrt((c - th2) * v / (1.0 - th2))))
        v *= c
    return deterministic(rows, np.r_[th1, np.full(T - 1, th2)], np.ones(T), eps)


MUTANTS = (
    Mutant(LEMMA, "χ_1 Λ dropped", _mutant(lambda c, G2, Lam, S, d: d / c["theta"][0] * S),
           deterministic([[10.0]], [0.9], [1.0]), "d=1, T=1, theta=0.9, chi=1, eps=1, g_1=10"),
    Mutant(LEMMA, "S_T without d", _mutant(lambda c, G2, Lam, S, d: c["chi"][0] * Lam + S / c["theta"][0]),
           deterministic(np.ones((10, 3)), np.full(10, 0.7), np.ones(10)),
           "d=3, T=10, theta=0.7, chi=1, eps=1, g_t=(1,1,1) (steady state v = ε)"),
    Mutant(LEMMA, "1/θ_1 dropped", _mutant(lambda c, G2, Lam, S, d: c["chi"][0] * Lam + d * S),
           _climb(7, 1e-3, 0.9, 1),
           "d=1, T=7, theta=(0.001, 0.9, ...), chi=1, eps=1, g_1=0 then v climbs back to ε by 10^(1/2) per step"),
    Mutant(LEMMA, "χ_t in place of the running minimum a_t",
           _mutant(lambda c, G2, Lam, S, d: c["chi"][0] * Lam + d / c["theta"][0] * S, weights="chi"),
           deterministic([[0.0], [10.0]], [0.99, 0.99], [1.0, 100.0]),
           "d=1, T=2, theta=0.99, chi=(1, 100), eps=1, g=(0, 10)"),
    Mutant(LEMMA, "a_T in place of χ_1 in front of Λ",
           _mutant(lambda c, G2, Lam, S, d: float(np.min(c["chi"])) * Lam + d / c["theta"][0] * S),
           deterministic([[10.0], [0.0]], [0.99, 0.99], [1.0, 0.01]),
           "d=1, T=2, theta=0.99, chi=(1, 0.01), eps=1, g=(10, 0)"),
)


def _build(T, k, d, theta, mode, rng, scale, eps):
    """The atoms and probabilities of every node, level by level (the adversaries read v)."""
    gs, ps = [], []
    v = np.full((1, d), eps)
    c = (1.0 / theta[0]) ** (1.0 / max(T - 1, 1))
    for t in range(T):
        n = v.shape[0]
        p = rng.dirichlet(np.ones(k), size=n)
        if mode == "random":
            g = scale * rng.standard_normal((n, k, d)) * rng.choice([0.0, 1.0, 10.0], size=(n, k, 1))
        elif mode == "spike":        # on the coordinate with the smallest v, with probability p_0
            g = np.zeros((n, k, d))
            g[np.arange(n), 0, np.argmin(v, axis=1)] = scale * np.sqrt(1.0 / p[:, 0])
        elif mode == "steady":       # g² = v: X = ω
            g = np.sqrt(v)[:, None, :] * rng.choice([-1.0, 1.0], size=(n, k, d))
        else:                        # climb: g_1 = 0, then v multiplied by c each step
            om = 1.0 - theta[t]
            g = np.zeros((n, k, d)) if t == 0 else \
                np.sqrt(np.maximum(c - theta[t], 0.0) * v / om)[:, None, :] * np.ones((1, k, 1))
        gs.append(g)
        ps.append(p)
        v = (theta[t] * v[:, None, :] + (1.0 - theta[t]) * g * g).reshape(-1, d)
    return gs, ps


@st.composite
def case(draw):
    if draw(st.integers(0, 3)) == 0:
        # the stationary regime: g² = v on every coordinate, constant θ and χ, as long a horizon
        # as the tree allows; there X_{t,k} = ω_t and the (d/θ_1) S_T term carries the bound
        d, T = 3, 8
        theta = np.full(T, draw(st.floats(0.3, 0.95)))
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
        eps = 10 ** draw(st.floats(-4, 1))
        g, p = _build(T, 1, d, theta, "steady", rng, math.sqrt(eps), eps)
        return {"theta": theta, "chi": np.ones(T), "eps": eps, "g": g, "p": p}
    d = draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    T = draw(st.integers(1, {1: 8, 2: 8, 3: 6}[k]))
    mode = draw(st.sampled_from(["random", "spike", "steady", "climb"]))
    if draw(st.booleans()):
        theta = draw(theta_seq(T))
    else:                            # θ_1 small (down to 1e-6), then a jump
        theta = np.r_[10 ** draw(st.floats(-6, -0.05)), np.full(T - 1, draw(st.floats(0.3, 0.999)))]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    eps = 10 ** draw(st.floats(-4, 1))
    g, p = _build(T, k, d, theta, mode, rng, 10 ** draw(st.floats(-2, 2)) * math.sqrt(eps), eps)
    return {"theta": theta, "chi": draw(chi_seq(T)), "eps": eps, "g": g, "p": p}


def encode(c):
    parts_ = [enc_theta(c["theta"]), np.log(c["chi"]), [math.log(c["eps"])]]
    parts_ += [g.ravel() for g in c["g"]] + [np.log(np.maximum(p, 1e-300)).ravel() for p in c["p"]]
    return np.concatenate(parts_), ([g.shape for g in c["g"]], [p.shape for p in c["p"]])


def decode(x, tmpl):
    gshapes, pshapes = tmpl
    T = len(gshapes)
    out = {"theta": dec_theta(x[:T]), "chi": np.exp(np.clip(x[T:2 * T], -700, 700)),
           "eps": math.exp(min(x[2 * T], 700.0)), "g": [], "p": []}
    i = 2 * T + 1
    for sh in gshapes:
        n = int(np.prod(sh))
        out["g"].append(x[i:i + n].reshape(sh))
        i += n
    for sh in pshapes:
        n = int(np.prod(sh))
        z = x[i:i + n].reshape(sh)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        out["p"].append(z / z.sum(axis=1, keepdims=True))
        i += n
    return out


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (exact expectations on generated trees + local search)."""
    return refute(claim, case(), encode, decode, n=150 if quick else 2000,
                  starts=2 if quick else 10, maxfev=300 if quick else 2000, seed=seed, shrink=shrink)


def _show(c):
    return show({"theta": c["theta"], "chi": c["chi"], "eps": c["eps"],
                 "outcomes": c["p"][0].shape[1], "d": c["g"][0].shape[-1], "T": len(c["g"])})


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    out = lemma_result(LEMMA, STATEMENT, PROPERTY, res, (), t0)
    out.counterexample = _show(res.example) if res.found else ""
    return out
