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
from scipy.signal import lfilter

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
    """
    beta, theta = np.asarray(beta, float), np.asarray(theta, float)
    out = np.empty(beta.size)
    s = 0.0
    for i in range(beta.size):
        b = beta[i]
        mult = 0.0 if b == 0.0 else b * b / (rho * theta[i]) if theta[i] > 0 else math.inf
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


