r"""The statements of docs/derivations.md and their constants, from the schedule tables.

Two statements bound the same quantity, (E||∇f(x_τ)||^{4/3})^{3/2}:

**Theorem 1** (docs/derivations.md §4): τ uniform on {1..T},

.. math::

    \le \frac{C + C' S_T + C'' D_T + C''' V_T}{T\alpha_T}

with the closed-form constants of §5 (:func:`constants_symbolic`, :func:`derived_constants`).

**Theorem 2** (docs/derivations.md §4b, the schedule-exact bound): the same argument with every
schedule quantity kept per step — (1-β_t)² in the recursions of Lemmas 1 and 4, the momentum
weights summed exactly with a free ρ ∈ (0, 1) and a burn-in t_1 (steps before t_1 pay
X_{t,k} ≤ 1, a constant), the weighted log-sum Lemma 3' for arbitrary non-negative weights, the
free Young parameter λ of Lemma 2', the per-coordinate second moment G_c (E g_{t,k}² ≤ G_c²) —
and two denominators: τ uniform on {1..T} (Σ_t Z_t ≤ Σ_t α_t Z_t / min_{t≤T} α_t) or
τ drawn with probability α_t/Σ_{s≤T} α_s (no Lemma 6):

.. math::

    \text{uniform: } \le \frac{\sqrt{M}\,N_T}{(1-\lambda)\,T\min_{t\le T}\alpha_t}, \qquad
    \alpha\text{-weighted: } \le \frac{\sqrt{M}\,N_T}{(1-\lambda)\sum_{t\le T}\alpha_t},

N_T = Δ_f + (the error sums of §4b). :func:`tight_bound` evaluates both at checkpoints, each
minimised over a finite grid of (λ, ρ, t_1) (every member of the grid is a valid bound, so is the
pointwise minimum); :func:`tight_constants` gives the explicit form (C + C'S_T + C''D_T +
C'''V_T)/(T α_T) (uniform) and /Σ α_t (α-weighted) with the constants of the grid point chosen
at the last checkpoint.

This module is the core that :mod:`adamtheory.conditions` (floors, the statement a verdict
rests on) and :mod:`adamtheory.bounds` (bounds on problems) both import; it imports neither.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

#: Symbols of the derived constants (docs/derivations.md, section "Constants").
SYM = {k: sp.Symbol(k, positive=True) for k in (
    "Delta_f", "G", "L", "d", "epsilon", "beta", "gamma", "theta_1", "C_0", "chi_1", "K", "K_m")}


# ------------------------------------------------------------------------ derived constants
def constants_symbolic() -> dict:
    r"""C, C', C'' and C''' of the Generic Adam bound as sympy expressions in the symbols :data:`SYM`.

    With B = β/(1-β), ρ = sqrt(γ), Λ = d log(1 + G²/(dε)),
    E_max = B sqrt(K/θ_1) C_0 χ_1, G_e = (G + 3L E_max/2) B sqrt(K),
    A = 2 G C_0 + (3/2) L C_0² χ_1 + L B² K_m C_0² χ_1/(1-ρ) + G_e C_0 and
    P = 2 C_0 sqrt(dε + G²):

    C = P (Δ_f + A χ_1 Λ),  C' = P (A d/θ_1 + G_e d/sqrt(θ_1)),  C'' = P G_e d,
    C''' = P (G + 3L E_max/2) d sqrt(K) C_0 χ_1.
    """
    s = SYM
    B = s["beta"] / (1 - s["beta"])
    rho = sp.sqrt(s["gamma"])
    Lam = s["d"] * sp.log(1 + s["G"] ** 2 / (s["d"] * s["epsilon"]))
    Emax = B * sp.sqrt(s["K"] / s["theta_1"]) * s["C_0"] * s["chi_1"]
    Ge = (s["G"] + sp.Rational(3, 2) * s["L"] * Emax) * B * sp.sqrt(s["K"])
    A = (2 * s["G"] * s["C_0"] + sp.Rational(3, 2) * s["L"] * s["C_0"] ** 2 * s["chi_1"]
         + s["L"] * B ** 2 * s["K_m"] * s["C_0"] ** 2 * s["chi_1"] / (1 - rho) + Ge * s["C_0"])
    P = 2 * s["C_0"] * sp.sqrt(s["d"] * s["epsilon"] + s["G"] ** 2)
    return {"C": P * (s["Delta_f"] + A * s["chi_1"] * Lam),
            "C'": P * (A * s["d"] / s["theta_1"] + Ge * s["d"] / sp.sqrt(s["theta_1"])),
            "C''": P * Ge * s["d"],
            "C'''": P * (s["G"] + sp.Rational(3, 2) * s["L"] * Emax) * s["d"] * sp.sqrt(s["K"])
            * s["C_0"] * s["chi_1"],
            "A": A, "G_e": Ge, "E_max": Emax, "Lambda": Lam, "P": P}


def step_constant(beta: np.ndarray, theta: np.ndarray, rho: float = 1.0) -> np.ndarray:
    r"""S_t = Σ_{i≤t} (1-β_i)² Π_{i<j≤t} β_j²/(ρ θ_j) by the recursion S_t = (1-β_t)² + β_t²/(ρθ_t) S_{t-1}.

    ρ = 1 gives the step-bound constant (Lemma 1: ω_t m_t²/v_t ≤ S_t), ρ = sqrt(γ) the momentum
    constant of Lemma 4. A β_t = 0 factor is 0 whatever θ_t is.

    The first-order recursion is solved by a log-depth scan in numpy: the pair (a_t, b_t) =
    (β_t²/(ρθ_t), (1-β_t)²) acts as S ↦ a_t S + b_t, and round k composes each pair with the
    2^k before it, about log2(n) array operations (a Python loop over 10^6 steps took 1.5 s).
    Every term is non-negative: a term that is a product of L multipliers carries about L
    roundings in either order, and the scan's additions at most 2 log2(n) more, so the relative
    difference from the exact sum is at most about (mean L + 2 log2 n) units in the last place
    (tested against 40-digit arithmetic). Where a multiplier is not finite (θ_t = 0) or a product
    of multipliers overflows, the step-by-step recursion is used.
    """
    beta, theta = np.asarray(beta, float), np.asarray(theta, float)
    n = beta.size
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.where(beta == 0.0, 0.0,
                     np.where(theta > 0, beta * beta / (rho * theta), math.inf))
        S = (1.0 - beta) ** 2
        if n and np.all(np.isfinite(a[1:])):
            a[0] = 0.0                       # S_0 = 0: the first pair is complete
            h = 1
            while h < n:
                S[h:] += a[h:] * S[:-h]      # the product is formed before the addition
                a[h:] *= a[:-h]
                h *= 2
            if np.all(np.isfinite(S)):
                return S
    out = np.empty(n)
    s = 0.0
    for i, (b, th) in enumerate(zip(beta.tolist(), theta.tolist())):   # Python floats: an
        mult = 0.0 if b == 0.0 else b * b / (rho * th) if th > 0 else math.inf  # overflow is inf
        s = (1.0 - b) ** 2 + (mult * s if s else 0.0)
        out[i] = s
    return out


def schedule_constants(alpha, beta, theta) -> dict:
    """Schedule constants of the derivation from tables over t = 1..N (N = len(alpha)).

    Returns θ_1, χ_1, C_0 (sup over t ≤ N of χ_t / min_{k≤t} χ_k), β, t_0, γ, ρ, K, K_m (valid for
    all t: the sup of the recursion before t_0 and its fixed point after), S_T and D_T tables.
    Raises ValueError with the reason when a hypothesis fails on the range.
    """
    alpha, beta, theta = (np.asarray(a, float) for a in (alpha, beta, theta))
    omega = 1.0 - theta
    if np.any(alpha <= 0) or np.any(omega <= 0) or np.any(theta < 0):
        raise ValueError("α_t > 0 and 0 ≤ θ_t < 1 are needed")
    b = float(beta.max())
    if float(beta.min()) < 0.0 or not b < 1.0:
        raise ValueError(f"SC1 fails: β_t leaves [0, β] with β < 1 (min {beta.min():g}, max {b:g})")
    if np.any(np.diff(theta) < 0):
        k = int(np.argmax(np.diff(theta) < 0)) + 1
        raise ValueError(f"SC2 fails: θ_t decreases at t = {k}")
    if theta[0] <= 0.0:
        raise ValueError("θ_1 = 0: the derivation needs θ_1 > 0 (v_1 ≥ θ_1 ε enters C through "
                         "log(1 + G²/(dε)); θ_1 = 0 discards ε)")
    chi = alpha / np.sqrt(omega)
    a = np.minimum.accumulate(chi)
    C0 = float(np.max(chi / a))
    above = np.flatnonzero(theta > b * b)
    if above.size == 0:
        raise ValueError(f"SC4 fails on t ≤ {theta.size}: θ_t ≤ β² = {b * b:g}")
    t0 = int(above[0]) + 1
    gamma = b * b / float(theta[t0 - 1])
    rho = math.sqrt(gamma)
    S = step_constant(beta, theta, 1.0)
    K = max(float(S[: t0 - 1].max()) if t0 > 1 else 0.0, 1.0 / (1.0 - gamma), float(S.max()))
    if b == 0.0 or rho == 0.0:
        Km = 1.0
    else:
        Sm = step_constant(beta, theta, rho)
        Km = max(float(Sm[: t0 - 1].max()) if t0 > 1 else 0.0, 1.0 / (1.0 - rho), float(Sm.max()))
    S_T = np.cumsum(alpha * np.sqrt(omega))
    D_T = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(alpha)) / np.sqrt(omega[:-1]))])
    bb = beta / (1.0 - beta)
    V_T = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(bb)))])
    return {"theta_1": float(theta[0]), "chi_1": float(chi[0]), "C_0": C0, "beta": b, "t_0": t0,
            "gamma": gamma, "rho": rho, "K": K, "K_m": Km, "S": S_T, "D": D_T, "V": V_T, "alpha": alpha}


def derived_constants(sc: dict, Delta_f: float, G: float, L: float, d: int, eps: float) -> dict:
    """Numbers C, C', C'', C''' (and the pieces) from schedule constants and problem constants."""
    vals = {"Delta_f": Delta_f, "G": G, "L": L, "d": d, "epsilon": eps, "beta": sc["beta"],
            "gamma": sc["gamma"], "theta_1": sc["theta_1"], "C_0": sc["C_0"],
            "chi_1": sc["chi_1"], "K": sc["K"], "K_m": sc["K_m"]}
    b = vals["beta"]
    B = b / (1 - b)
    rho = math.sqrt(vals["gamma"])
    Lam = d * math.log1p(G * G / (d * eps))
    Emax = B * math.sqrt(vals["K"] / vals["theta_1"]) * vals["C_0"] * vals["chi_1"]
    Ge = (G + 1.5 * L * Emax) * B * math.sqrt(vals["K"])
    C0, chi1 = vals["C_0"], vals["chi_1"]
    A = (2 * G * C0 + 1.5 * L * C0 ** 2 * chi1 + L * B ** 2 * vals["K_m"] * C0 ** 2 * chi1 / (1 - rho)
         + Ge * C0)
    P = 2 * C0 * math.sqrt(d * eps + G * G)
    out = dict(vals)
    out.update({"C": P * (Delta_f + A * chi1 * Lam),
                "C'": P * (A * d / vals["theta_1"] + Ge * d / math.sqrt(vals["theta_1"])),
                "C''": P * Ge * d,
                "C'''": P * (G + 1.5 * L * Emax) * d * math.sqrt(vals["K"]) * C0 * chi1,
                "A": A, "G_e": Ge, "E_max": Emax, "Lambda": Lam, "P": P,
                "t_0": sc["t_0"]})
    return out




# ------------------------------------------------------------------------ Theorem 2 (schedule-exact)
#: Young parameters λ of Lemma 2' (E_t[G g/sqrt v] ≥ (1-λ) G²/sqrt ṽ - (1/λ) sqrt(ω) σ E_t[g²/v]).
LAMBDAS = (0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05, 0.02)
#: Burn-in thresholds θ*: t_1 = first t with θ_t ≥ θ* (and t_1 = 1).
THETA_STARS = (0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
#: Exponents k of the Cauchy-Schwarz ratios ρ = β^k of Lemma 4' (β = max β_t).
RHO_POWERS = (0.5, 0.75, 1.0, 1.25, 1.5)
UNIFORM, WEIGHTED = "uniform", "alpha-weighted"
THEOREM_2 = "Theorem 2 (docs/derivations.md §4b)"


def momentum_recursion(beta, theta, rho: float) -> np.ndarray:
    r"""S^{(ρ)}_t = Σ_{i≤t} (1-β_i)² Π_{i<j≤t} β_j²/(ρ θ_j), by S_t = (1-β_t)² + (β_t²/(ρθ_t)) S_{t-1}.

    The (1-β_i)² factors are kept (Lemma 1' with ρ = 1: ω_t m_t²/v_t ≤ S^{(1)}_t; Lemma 4' with
    ρ < 1). Same recursion as :func:`step_constant`.
    """
    return step_constant(beta, theta, rho)


def geometric_tail(c: np.ndarray, rho: float) -> np.ndarray:
    """R_i = Σ_{s≥i} ρ^{s-i} c_s (backward recursion R_i = c_i + ρ R_{i+1}), 0 ≤ ρ ≤ 1.

    By doubling: after round k, R_i = Σ_{j<2^k} ρ^j c_{i+j}, and round k + 1 adds ρ^{2^k}
    R_{i+2^k}; about log2(n) array operations, until ρ^{2^k} underflows to 0 (numpy only: the
    recursion through ``scipy.signal.lfilter`` cost 0.7-1.2 s of import). The additions are
    ordered differently from the recursion's: the two agree to round-off (terms of one sign:
    a relative error of about log2(n) units in the last place).
    """
    R = np.array(c, dtype=np.float64)
    f, h = float(rho), 1
    while h < R.size and f != 0.0:
        R[:-h] += f * R[h:]
        f *= f
        h *= 2
    return R


def schedule_sequences(alpha, beta, theta) -> dict:
    """Per-step sequences of Theorem 2 (index t-1 holds step t), independent of the grid.

    ω_t, χ_t, b_{t+1} = β_t/(1-β_t), b_t, S^{(1)}_{t-1}, Lemma 5' coefficients p_t (deterministic
    part of |e_{t,k}|) split by type (D, S, V), q_t (coefficient of X_{t,k}), log-products
    L_t = -Σ_{j≤t} log θ_j, Π_t = Π_{j≤t} θ_j, and the schedule sums S_T, D_T, V_T.
    """
    alpha, beta, theta = (np.asarray(a, float) for a in (alpha, beta, theta))
    om = 1.0 - theta
    if np.any(alpha <= 0) or np.any(om <= 0) or np.any(theta < 0) or np.any(beta < 0) \
            or np.any(beta >= 1):
        raise ValueError("α_t > 0, 0 ≤ β_t < 1 and 0 ≤ θ_t < 1 are needed")
    if theta[0] <= 0:
        raise ValueError("θ_1 = 0: Theorem 2 needs θ_1 > 0 (H0)")
    if np.any(np.diff(theta) < 0):
        raise ValueError(f"SC2 fails: θ_t decreases at t = {int(np.argmax(np.diff(theta) < 0)) + 1}")
    chi = alpha / np.sqrt(om)
    bn = beta / (1.0 - beta)                 # b_{t+1}
    bc = np.concatenate([[0.0], bn[:-1]])    # b_t (b_1 multiplies m_0 = 0)
    S1 = step_constant(beta, theta, 1.0)
    S1p = np.concatenate([[0.0], S1[:-1]])   # S^{(1)}_{t-1}, 0 at t = 1 (m_0 = 0)
    sq = np.sqrt(S1p)
    omp = np.concatenate([[om[0]], om[:-1]])  # ω_{t-1}
    alp = np.concatenate([[alpha[0]], alpha[:-1]])
    chp = np.concatenate([[chi[0]], chi[:-1]])
    dalpha = np.abs(alp - alpha) / np.sqrt(omp)          # D_T's terms (0 at t = 1)
    dalpha[0] = 0.0
    db = np.abs(bn - bc)
    db[0] = 0.0
    sth = np.sqrt(theta)
    p_D = sq * bn                                        # × |α_{t-1}-α_t|/sqrt(ω_{t-1})
    p_S = sq * bn * np.sqrt(om / omp) / (sth * (1.0 + sth))  # × α_t sqrt(ω_t)
    p_V = sq * chp                                       # × |b_{t+1} - b_t|
    p = p_D * dalpha + p_S * alpha * np.sqrt(om) + p_V * db
    q = bn * alpha * sq / np.sqrt(omp)
    logth = np.log(theta)
    Lcum = -np.cumsum(logth)
    dvar = np.concatenate([[0.0], np.abs(np.diff(bn))])
    return {"alpha": alpha, "beta": beta, "theta": theta, "omega": om, "chi": chi, "b_next": bn,
            "S1": S1, "S1_prev": S1p, "p": p, "p_D": p_D, "p_S": p_S, "p_V": p_V, "q": q,
            "neglog_theta": -logth, "L": Lcum, "Pi": np.exp(-Lcum), "one_minus_Pi": -np.expm1(-Lcum),
            "S": np.cumsum(alpha * np.sqrt(om)), "D": np.cumsum(dalpha), "V": np.cumsum(dvar),
            "sum_alpha": np.cumsum(alpha), "min_alpha": np.minimum.accumulate(alpha)}


def capped_log_moment(Lcum: np.ndarray, r: float, d: int) -> np.ndarray:
    """Λ_t = d log(Π_t + (1-Π_t) r), Π_t = exp(-L_t), r = min(G²/d, G_c²)/ε, evaluated without
    cancellation: the sum of two positive terms when r < 1, d log1p((1-Π_t)(r-1)) with
    1-Π_t = -expm1(-L_t) when r ≥ 1."""
    if r < 1.0:
        return d * np.log(np.exp(-Lcum) - np.expm1(-Lcum) * r)
    return d * np.log1p(-np.expm1(-Lcum) * (r - 1.0))


def log_sum_bound(v: np.ndarray, Lam: np.ndarray, Lcum: np.ndarray, neglog: np.ndarray, d: int):
    r"""Lemma 3' at every T: E Σ_{t≤T} v_t Σ_k X_{t,k} ≤ F_T for deterministic v_t ≥ 0,

    F_T = Σ_{t<T} (v_t - v_{t+1})^+ Λ_t + v_T Λ_T + d Σ_{t<T} (v_{t+1} - v_t)^+ L_t
          + d Σ_{t≤T} v_t (-log θ_t),

    Λ_t the upper bound of U_t = Σ_k E log(v_{t,k}/ε), L_t = -Σ_{j≤t} log θ_j (so U_t ≥ -d L_t).
    Returns F_T for T = 1..len(v).
    """
    diff = v[:-1] - v[1:]
    pos = np.concatenate([[0.0], np.cumsum(np.maximum(diff, 0.0) * Lam[:-1])])
    neg = np.concatenate([[0.0], np.cumsum(np.maximum(-diff, 0.0) * Lcum[:-1])])
    return pos + v * Lam + d * neg + d * np.cumsum(v * neglog)


def _problem_scalars(G, d, eps, G_coord):
    Gc = G if G_coord is None else min(float(G), float(G_coord))
    Gm2 = min(G * G / d, Gc * Gc)          # per-coordinate second-moment cap
    M = max(d * eps, G * G)                # E V_t ≤ dε Π_t + (1 - Π_t) G² ≤ M
    return Gc, Gm2, M


def _grid(seq: dict, rhos, theta_stars):
    beta_max = float(seq["beta"].max())
    if beta_max == 0.0:
        rhos = (0.5,)
    else:
        rhos = tuple(sorted({beta_max ** k for k in rhos if 0 < beta_max ** k < 1}))
    th = seq["theta"]
    t1s = {1}
    for ts in theta_stars:
        idx = np.flatnonzero(th >= ts)
        if idx.size:
            t1s.add(int(idx[0]) + 1)
    return rhos, sorted(t1s)


def _numerators(seq, L, G, Delta_f, d, eps, G_coord, lambdas, rhos, theta_stars):
    """Yield (params, N_T array over T = 1..n, parts) for every grid point of Theorem 2.

    For a given (ρ, t_1), N_T is affine in 1/λ apart from Lemma 3''s variation terms: with
    v = v0 + v1/λ (v1 = G_c χ_t after the burn-in), the burn-in sum, v_T Λ_T and
    d Σ v_t (-log θ_t) are computed once for v0 and v1, and per λ only
    Σ_{t<T} (v_t - v_{t+1})^+ Λ_t + d (v_{t+1} - v_t)^+ L_t, one cumulative sum of non-negative
    terms (what :func:`log_sum_bound` computes; the same terms, summed in another grouping).
    """
    Gc, Gm2, M = _problem_scalars(G, d, eps, G_coord)
    n = seq["alpha"].size
    Lam = capped_log_moment(seq["L"], Gm2 / eps, d)
    chi, q, p, bn = seq["chi"], seq["q"], seq["p"], seq["b_next"]
    ebar = p + q
    coef_e = Gc + 1.5 * L * ebar
    u_base = 1.5 * L * chi ** 2 + coef_e * q          # coefficients of X_{t,k}
    u_lam = Gc * chi                                  # the coefficient's part times 1/λ
    det = coef_e * p                                  # deterministic, per coordinate
    rho_list, t1_list = _grid(seq, rhos, theta_stars)
    alpha, om = seq["alpha"], seq["omega"]
    Lam_up, dL_down = Lam[:-1], d * seq["L"][:-1]     # weights of (v_t - v_{t+1})^± in F_T
    idx = np.arange(n)
    var = np.zeros(n)                                 # F_T's variation sum, index T - 1

    def affine(x):                                    # x_T Λ_T + d Σ_{t≤T} x_t (-log θ_t)
        return x * Lam + d * np.cumsum(x * seq["neglog_theta"])

    for rho in rho_list:
        if float(bn.max()) > 0.0:
            Sr = momentum_recursion(seq["beta"], seq["theta"], rho)
            c = bn ** 2 * alpha ** 2 * Sr                 # c_s: x_{s+1} - z_{s+1} at s = 1..n-1
            c[-1] = 0.0                                   # s = n: outside the horizon
            xz_det = L * bn ** 2 * chi ** 2 * seq["S1"]   # Lemma 1' bound of the same term
            xz_det[-1] = 0.0
        else:
            c = np.zeros(n)
            xz_det = np.zeros(n)
        for t1 in t1_list:
            k = t1 - 1
            burn_in = idx < k
            cm = c.copy()
            cm[:k] = 0.0
            R = geometric_tail(cm, rho) if cm.any() else np.zeros(n)
            u0 = u_base + L * R / om
            # x_{s+1} - z_{s+1} for s < t_1: Lemma 1' (deterministic), charged at step t = s + 1
            xzd = np.concatenate([[0.0], xz_det[:-1]])
            xzd[t1:] = 0.0
            v0, v1 = np.where(burn_in, 0.0, u0), np.where(burn_in, 0.0, u_lam)
            const0 = (Delta_f + d * np.cumsum(np.where(burn_in, u0, 0.0)) + affine(v0)
                      + d * np.cumsum(det + xzd))
            const1 = d * np.cumsum(np.where(burn_in, u_lam, 0.0)) + affine(v1)
            dv0, dv1 = v0[:-1] - v0[1:], v1[:-1] - v1[1:]
            for lam in lambdas:
                inv = 1.0 / lam
                dv = dv0 + inv * dv1
                np.cumsum(dv * np.where(dv > 0.0, Lam_up, -dL_down), out=var[1:])
                N = const0 + inv * const1 + var
                yield {"lambda": lam, "rho": rho, "t_1": t1}, N, {
                    "v": v0 + inv * v1, "Lam": Lam, "det": det, "xzd": xzd,
                    "coef_e": coef_e, "M": M, "Gc": Gc}


def tight_bound(alpha, beta, theta, checkpoints, *, L, G, Delta_f, d, eps, G_coord=None,
                lambdas=LAMBDAS, rhos=RHO_POWERS, theta_stars=THETA_STARS) -> dict:
    r"""Theorem 2 at ``checkpoints`` (steps T ≤ len(alpha)), both statements.

    Returns ``{"uniform": values, "alpha-weighted": values, "params": {statement: [grid point
    per T]}, "M": M, "G_c": G_c}``; each value is the minimum over the grid (λ, ρ, t_1) of
    sqrt(M) N_T/((1-λ) T min_{t≤T} α_t) (uniform τ) and sqrt(M) N_T/((1-λ) Σ_{t≤T} α_t)
    (τ drawn ∝ α_t). ``G_coord``: a bound on the per-coordinate second moment
    E_ξ g_k(x, ξ)² ≤ G_coord² for every x and k (None: G is used).
    """
    seq = schedule_sequences(alpha, beta, theta)
    ck = np.asarray(checkpoints, dtype=np.int64)
    if ck.size == 0 or ck.min() < 1 or ck.max() > seq["alpha"].size:
        raise ValueError("checkpoints must lie in 1..len(alpha)")
    i = ck - 1
    Gc, _, M = _problem_scalars(G, d, eps, G_coord)
    den = {UNIFORM: ck * seq["min_alpha"][i], WEIGHTED: seq["sum_alpha"][i]}
    best = {s: np.full(ck.size, np.inf) for s in den}
    arg = {s: [None] * ck.size for s in den}
    for params, N, _ in _numerators(seq, L, G, Delta_f, d, eps, G_coord, lambdas, rhos, theta_stars):
        for s in den:
            val = math.sqrt(M) * N[i] / ((1.0 - params["lambda"]) * den[s])
            better = val < best[s]
            best[s] = np.where(better, val, best[s])
            for j in np.flatnonzero(better):
                arg[s][j] = params
    return {UNIFORM: best[UNIFORM], WEIGHTED: best[WEIGHTED], "params": arg, "M": M, "G_c": Gc}


def tight_constants(alpha, beta, theta, *, L, G, Delta_f, d, eps, G_coord=None, T=None,
                    lambdas=LAMBDAS, rhos=RHO_POWERS, theta_stars=THETA_STARS) -> dict:
    r"""Explicit constants of Theorem 2 (Corollary 3 of docs/derivations.md §4b).

    For the grid point (λ, ρ, t_1) that minimises the α-weighted bound at T (default: the
    table's length n), every per-step term of N_T is bounded by its type: with c_S, c_D, c_V the
    sups over t ≤ n of the coefficients of α_t sqrt(ω_t), |α_{t-1}-α_t|/sqrt(ω_{t-1}) and
    |b_{t+1}-b_t|, and c_0 the sup over T ≤ n of the remaining terms (Δ_f, burn-in, log-sum
    variation), N_T ≤ c_0 + c_S S_T + c_D D_T + c_V V_T for T ≤ n, so

    α-weighted: (E||∇f(x_τ)||^{4/3})^{3/2} ≤ (C + C'S_T + C''D_T + C'''V_T)/Σ_{t≤T} α_t with
    (C, C', C'', C''') = sqrt(M)/(1-λ) (c_0, c_S, c_D, c_V); uniform: the same times C_0(T) =
    max_{t≤T} α_T... precisely T α_T/(T min_{t≤T} α_t) ≤ C_0, over T α_T (Lemma 6).
    """
    seq = schedule_sequences(alpha, beta, theta)
    n = seq["alpha"].size
    T = n if T is None else int(T)
    best = None
    for params, N, parts in _numerators(seq, L, G, Delta_f, d, eps, G_coord, lambdas, rhos,
                                        theta_stars):
        val = N[T - 1] / ((1.0 - params["lambda"]) * seq["sum_alpha"][T - 1])
        if best is None or val < best[0]:
            best = (val, params, parts, N)
    _, params, parts, N = best
    v, coef_e = parts["v"], parts["coef_e"]
    aw = seq["alpha"] * np.sqrt(seq["omega"])
    c_S_terms = d * v * seq["neglog_theta"] / aw + d * coef_e * seq["p_S"]
    c_S = float(np.max(c_S_terms))
    c_D = float(np.max(d * coef_e * seq["p_D"]))
    c_V = float(np.max(d * coef_e * seq["p_V"]))
    # the rest of N_T: N_T minus the typed terms (those are ≤ their sup-coefficient forms)
    typed = np.cumsum(d * v * seq["neglog_theta"] + d * coef_e * (
        seq["p_S"] * aw + seq["p_D"] * np.concatenate([[0.0], np.diff(seq["D"])])
        + seq["p_V"] * np.concatenate([[0.0], np.diff(seq["V"])])))
    c_0 = float(np.max(N - typed))
    f = math.sqrt(parts["M"]) / (1.0 - params["lambda"])
    C0 = float(np.max(seq["alpha"] / seq["min_alpha"]))
    weighted = {"C": f * c_0, "C'": f * c_S, "C''": f * c_D, "C'''": f * c_V}
    uniform = {k: C0 * x for k, x in weighted.items()}
    return {WEIGHTED: weighted, UNIFORM: uniform, "params": params, "C_0": C0, "M": parts["M"],
            "G_c": parts["Gc"], "horizon": n}
