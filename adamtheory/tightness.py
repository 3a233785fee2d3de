r"""How tight the bounds are: the measured left sides of both statements of Theorem 2, and a
worst-case search inside the assumption class.

* :func:`dense_checkpoints`, :func:`weighted_lhs`: the α-weighted left side
  (Σ_{t≤T} α_t E||∇f(x_t)||^{4/3}/Σ_{t≤T} α_t)^{3/2} from the running means the engine records.
* :func:`search`: for a schedule and declared constants (L, G, G_c, Δ_f) — those of
  ``nonconvex-separable`` with d = 1, σ = 0: L = 2, G = G_c = 3√3/8, Δ_f = 4/5 — the
  one-dimensional deterministic problems f(x) = κ h(x),

  .. math::

      h(y) = A\big(1 - e^{-y^2/(2w^2)}\big) + c\,s\big(\sqrt{1 + y^2/s^2} - 1\big) + B\frac{y^2}{1+y^2},

  (A, w, c, s, B > 0, start x_1) scaled by the largest κ ≤ 1 keeping every declared constant:
  sup|f''| ≤ κ(A/w² + c/s + 2B) ≤ L, sup|f'| ≤ κ(A/(w√e) + c + (3√3/8)B) ≤ G_c = G,
  f(x_1) - f* = κh(x_1) ≤ Δ_f (f* = 0 at 0). A deterministic oracle g_t = f'(x_t) satisfies
  A1-A4 with these constants, so every member is in the class Theorem 2 covers and E is the
  single path's value. Objective: max over checkpoints T of LHS(T)/bound(T) per statement,
  maximised by Nelder-Mead (scipy) from many random starts. worst-found/bound measures what is
  attainable against what is proved (in this family; the class's true worst case can only be
  larger); a value > 1 would be a violation.

PEPit's performance estimation is the model of the idea (exact there, for first-order methods;
here by search).
"""

from __future__ import annotations

import math

import numpy as np


def dense_checkpoints(steps: int, ck) -> np.ndarray:
    """Every step up to 1000, then log-spaced by a factor about 1.002, and the steps ``ck``:
    the α-weighted left side is summed over the intervals between them."""
    head = np.arange(1, min(steps, 1000) + 1)
    n = max(2, int(math.log(max(steps, 1001) / 1000) / math.log(1.002)) + 2)
    tail = np.unique(np.round(np.geomspace(1000, max(steps, 1000), n)))
    return np.union1d(np.union1d(head, tail[tail <= steps]), ck).astype(np.int64)


def weighted_lhs(dense, mean43, alpha) -> np.ndarray:
    r"""(Σ_{t≤T} α_t y_t / Σ_{t≤T} α_t)^{3/2} at the ``dense`` steps, y_t = mean over seeds of
    ||∇f(x_t)||^{4/3}, from the running means ``mean43`` recorded there (mean over t ≤ T): between
    consecutive dense steps the sum of y_t is exact and is weighted by the largest α_t of the
    interval, so the value is an upper estimate of the left side (a violation is never hidden)."""
    dense = np.asarray(dense, np.int64)
    sums = dense * np.asarray(mean43, float)
    inc = np.diff(np.concatenate([[0.0], sums]))
    amax = np.maximum.reduceat(np.asarray(alpha, float), np.concatenate([[0], dense[:-1]]))
    num = np.cumsum(amax * np.maximum(inc, 0.0))
    den = np.cumsum(alpha)[dense - 1]
    return (num / den) ** 1.5


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
    """|f'(x_t)|^{4/3}, t = 1..T, of Generic Adam (m_0 = 0, v_0 = ε) on the decoded problem.

    The loop runs on Python floats with :func:`_grad` inlined and its step-independent factors
    computed once: the same operations in the same order as :func:`_run_ieee`, so the same
    numbers bit for bit, at half the interpreter's work per step. Python floats raise where
    IEEE arithmetic gives inf or NaN (0/0, overflow); such a run is redone by :func:`_run_ieee`.
    """
    if min(len(alpha), len(beta), len(theta)) < T:
        raise ValueError(f"the schedules need T = {T} values each")
    A, w, c, s, B, y, kappa = (float(v) for v in _problem(x))
    ww, ww2, ss, two_b = w * w, 2 * w * w, s * s, B * 2
    exp, sqrt, p43 = math.exp, math.sqrt, 4.0 / 3.0
    m, v = 0.0, float(eps)
    out = [0.0] * T
    try:
        for t, (a_t, b_t, th_t) in enumerate(zip(alpha[:T].tolist(), beta[:T].tolist(),
                                                 theta[:T].tolist())):
            yy = y * y
            g = kappa * (A * y / ww * exp(-yy / ww2) + c * y / (s * sqrt(1 + yy / ss))
                         + two_b * y / (1 + yy) ** 2)
            out[t] = abs(g) ** p43
            m = b_t * m + (1 - b_t) * g
            v = th_t * v + (1 - th_t) * g * g
            y -= a_t * m / sqrt(v)
    except (ArithmeticError, ValueError):
        return _run_ieee(x, alpha, beta, theta, eps, T)
    return np.array(out)


def _run_ieee(x, alpha, beta, theta, eps, T):
    """:func:`run` in numpy float64 scalars (IEEE: inf and NaN instead of exceptions)."""
    A, w, c, s, B, y, kappa = _problem(x)
    m, v = np.float64(0.0), np.float64(eps)
    out = np.empty(T)
    with np.errstate(all="ignore"):
        for t in range(T):
            g = kappa * _grad(y, A, w, c, s, B)
            out[t] = abs(g) ** (4.0 / 3.0)
            m = beta[t] * m + (1 - beta[t]) * g
            v = theta[t] * v + (1 - theta[t]) * g * g
            y -= alpha[t] * m / np.sqrt(v)
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
    for _ in range(starts):
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


