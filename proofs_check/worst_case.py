r"""How tight can Theorem 2 be? A worst-case search inside the assumption class.

For a schedule and declared constants (L, G, G_c, Δ_f) — those of ``nonconvex-separable`` with
d = 1, σ = 0: L = 2, G = G_c = 3√3/8, Δ_f = 4/5 — search the one-dimensional deterministic
problems f(x) = κ h(x) with

.. math::

    h(y) = A\big(1 - e^{-y^2/(2w^2)}\big) + c\,s\big(\sqrt{1 + y^2/s^2} - 1\big) + B\frac{y^2}{1+y^2},

(A, w, c, s, B > 0, starting point x_1), scaled by the largest κ ≤ 1 that keeps every declared
constant: sup|f''| ≤ κ(A/w² + c/s + 2B) ≤ L, sup|f'| ≤ κ(A/(w√e) + c + (3√3/8) B) ≤ G_c = G,
f(x_1) - f* = κ h(x_1) ≤ Δ_f (f* = 0 at y = 0). A deterministic oracle g_t = f'(x_t) satisfies
A1-A4 with these constants, so every member is inside the class Theorem 2 covers, and
E = the value of the single path. Objective: max over the checkpoints T of
LHS(T)/bound(T), for each statement (uniform τ, α-weighted τ), maximised with Nelder-Mead from
many random starts (scipy). Reported: worst-found/bound — the gap between what is proved and
what is attainable in this family (a lower bound on the true gap's complement: the true
worst case over the class can only be larger). A value > 1 would be a violation (a bug).

Used in: ``adamtheory prove --worst-case``, figure (e)'s manifest entry, the README tightness
table. PEPit's performance estimation is the model of the idea (there for first-order methods,
exactly; here by search).

>>> # search(("0.05/sqrt(t)", "0", "1 - 0.5/t"), T=300, starts=4)["uniform"]["ratio"] < 1
"""

from __future__ import annotations

import math
import time

import numpy as np

from ._result import PROPERTY, LemmaResult

LEMMA = "Worst case of Theorem 2"
STATEMENT = "max over a family of 1-d problems in the class of LHS(T)/bound(T) ≤ 1 (reported: the max)"

#: the declared constants of the class searched (nonconvex-separable, d = 1, σ = 0)
RMAX = 3.0 * math.sqrt(3.0) / 8.0
CONSTANTS = {"L": 2.0, "G": RMAX, "G_coord": RMAX, "Delta_f": 0.8, "d": 1}
SCHEDULES = (("0.05/sqrt(t)", "0", "1 - 0.5/t"),
             ("0.05/sqrt(t)", "0.9", "1 - 0.5/t"),
             ("0.02/sqrt(t)", "0.9", "0.999"),
             ("0.05/t**(3/4)", "0.5", "1 - 0.5/t**(3/2)"))


def _problem(x):
    """Decode raw parameters (logs) into (A, w, c, s, B, x1, κ)."""
    A, w, c, s, B = np.exp(np.clip(x[:5], -12, 6))
    x1 = float(np.clip(x[5], -50, 50))
    Lr = A / w ** 2 + c / s + 2 * B
    Gr = A / (w * math.sqrt(math.e)) + c + RMAX * B
    h1 = A * (1 - math.exp(-x1 * x1 / (2 * w * w))) + c * s * (math.sqrt(1 + x1 * x1 / (s * s)) - 1) \
        + B * x1 * x1 / (1 + x1 * x1)
    kappa = min(1.0, CONSTANTS["L"] / Lr, CONSTANTS["G_coord"] / Gr,
                CONSTANTS["Delta_f"] / h1 if h1 > 0 else 1.0)
    return A, w, c, s, B, x1, kappa


def _grad(y, A, w, c, s, B):
    return (A * y / (w * w) * math.exp(-y * y / (2 * w * w)) + c * y / (s * math.sqrt(1 + y * y / (s * s)))
            + B * 2 * y / (1 + y * y) ** 2)


def run(x, alpha, beta, theta, eps, T):
    """|f'(x_t)|^{4/3}, t = 1..T, of Generic Adam (m_0 = 0, v_0 = ε) on the decoded problem."""
    A, w, c, s, B, y, kappa = _problem(x)
    m, v = 0.0, eps
    out = np.empty(T)
    for t in range(T):
        g = kappa * _grad(y, A, w, c, s, B)
        out[t] = abs(g) ** (4.0 / 3.0)
        m = beta[t] * m + (1 - beta[t]) * g
        v = theta[t] * v + (1 - theta[t]) * g * g
        y -= alpha[t] * m / math.sqrt(v)
    return out


def search(spec_text, T: int = 1000, starts: int = 16, maxfev: int = 300, seed: int = 0) -> dict:
    """Worst-found/bound of both statements of Theorem 2 for one schedule (see the module)."""
    from scipy.optimize import minimize

    from adamtheory.specs import OptimizerSpec
    from adamtheory.theorem import UNIFORM, WEIGHTED, tight_bound

    spec = OptimizerSpec.from_text(*spec_text)
    alpha, beta, theta = spec.alpha.values(T), spec.beta.values(T), spec.theta.values(T)
    eps = float(spec.eps)
    ck = np.unique(np.round(np.geomspace(1, T, 30)).astype(np.int64))
    c = CONSTANTS
    tb = tight_bound(alpha, beta, theta, ck, L=c["L"], G=c["G"], Delta_f=c["Delta_f"], d=c["d"],
                     eps=eps, G_coord=c["G_coord"])
    cum_a = np.cumsum(alpha)[ck - 1]

    def sides(x):
        y = run(x, alpha, beta, theta, eps, T)
        uni = (np.cumsum(y)[ck - 1] / ck) ** 1.5
        wei = (np.cumsum(alpha * y)[ck - 1] / cum_a) ** 1.5
        return uni / tb[UNIFORM], wei / tb[WEIGHTED]

    rng = np.random.default_rng(seed)
    best = {UNIFORM: (0.0, None, 0), WEIGHTED: (0.0, None, 0)}
    evals = 0
    for k in range(starts):
        x0 = np.r_[rng.uniform(-4, 2, 5), rng.uniform(-5, 5)]
        for j, key in enumerate((UNIFORM, WEIGHTED)):
            def obj(x, j=j):
                r = sides(x)[j]
                return -float(np.max(r)) if np.all(np.isfinite(r)) else 0.0
            res = minimize(obj, x0, method="Nelder-Mead", options={"maxfev": maxfev, "xatol": 1e-6,
                                                                    "fatol": 1e-10})
            evals += res.nfev
            r = sides(res.x)[j]
            i = int(np.argmax(r))
            if r[i] > best[key][0]:
                best[key] = (float(r[i]), res.x.copy(), int(ck[i]))
    out = {"schedule": list(spec_text), "T": T, "starts": starts, "evaluations": evals,
           "constants": dict(CONSTANTS)}
    for key, (ratio, x, Tat) in best.items():
        A, w, c_, s, B, x1, kappa = _problem(x)
        out[key] = {"ratio": ratio, "at_T": Tat,
                    "problem": {"A": A, "w": w, "c": c_, "s": s, "B": B, "x1": x1, "kappa": kappa}}
    return out


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    T, starts, fev = (300, 3, 120) if quick else (1000, 8, 200)
    rows = [search(s, T, starts, fev, seed) for s in SCHEDULES]
    worst = max(max(r["uniform"]["ratio"], r["alpha-weighted"]["ratio"]) for r in rows)
    ok = worst <= 1.0
    ev = sum(r["evaluations"] for r in rows)
    return LemmaResult(LEMMA, STATEMENT, PROPERTY, ev, ok, worst, 1.0,
                       "" if ok else f"worst-found/bound = {worst:.4g} > 1", details={"rows": rows},
                       seconds=time.perf_counter() - t0)
