r"""Assembly of the theorem: the error terms of the descent step add up to the derived C, C', C'',
C'''.

Statement (Theorem, docs/derivations.md): with S_T = Σ_{t≤T} α_t sqrt(1-θ_t),
D_T = Σ_{2≤t≤T} |α_{t-1}-α_t|/sqrt(1-θ_{t-1}), V_T = Σ_{2≤t≤T} |β_t/(1-β_t) - β_{t-1}/(1-β_{t-1})|,
Φ_T = χ_1 Λ + (d/θ_1) S_T (Lemma 3 in expectation) and the per-step inequality

    f(z_{t+1}) ≤ f(z_t) - (α_t/2) Σ_k G_k²/sqrt(ṽ_k) + E1_t + L||x_t-z_t||² + (3L/2)||η_t g_t||²
                 + (3L/2)||e_t||² + G||e_t||,

summing over t and bounding each term with Lemmas 1-7 gives (H = G + 3L E_max/2)

    Σ_t α_t E Z_t ≤ 2 (Δ_f + A Φ_T + G_e d D_T + G_e d S_T/sqrt θ_1 + H d sqrt(K) C_0 χ_1 V_T),

and (E||∇f(x_τ)||^{4/3})^{3/2} ≤ C_0 sqrt(dε + G²)/(T α_T) · that
= (C + C' S_T + C'' D_T + C''' V_T)/(T α_T).

Checked symbolically with sympy:

1. the coefficients of the descent step (L/2 + L/2 on ||x-z||², L/2 + L on ||ηg||² and ||e||²) and
   the lemma bounds add up to A Φ_T + G_e (d D_T + d S_T/sqrt θ_1) + H d sqrt(K) C_0 χ_1 V_T exactly;
2. the final expression equals C + C' S_T + C'' D_T + C''' V_T with the constants of
   :func:`adamtheory.bounds.constants_symbolic` (``simplify`` of the difference is 0);
3. the numbers of :func:`adamtheory.bounds.derived_constants` equal the symbolic constants at
   random values (relative 1e-12);
4. the elementary inequalities 1 - u ≤ -log u (u > 0) and -log θ ≤ (1-θ)/θ (0 < θ ≤ 1): sympy
   decides the sign of the derivative on the interval (solveset) and the value at 1.

Used in: :mod:`adamtheory.bounds` (the numbers the bound prints).

Method: symbolic (sympy ``simplify``/``solveset``), plus a numeric comparison of the two
implementations of the constants.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import random
import time

import sympy as sp

from adamtheory.bounds import SYM, constants_symbolic, derived_constants

from ._result import SYMBOLIC, LemmaResult

LEMMA = "Assembly"
STATEMENT = "Σ of the step errors = (C + C' S_T + C'' D_T + C''' V_T)/(T α_T), derived constants"


def _terms():
    s = SYM
    S, D, V, Phi = sp.symbols("S_T D_T V_T Phi_T", positive=True)
    B = s["beta"] / (1 - s["beta"])
    rho = sp.sqrt(s["gamma"])
    C0, chi1, L, G, d, th1, K = (s[k] for k in ("C_0", "chi_1", "L", "G", "d", "theta_1", "K"))
    # bounds of the summed terms in units of Φ = E Σ_t a_t Σ_k X_{t,k}
    sum_E1 = 2 * G * C0 * Phi                                  # Lemma 2 + Lemma 3 (σ_k ≤ G)
    sum_etag2 = C0 ** 2 * chi1 * Phi                           # χ_t² ≤ C_0² χ_1 a_t
    sum_xz2 = B ** 2 * s["K_m"] * C0 ** 2 * chi1 / (1 - rho) * Phi   # Lemma 4
    sum_e1 = (B * sp.sqrt(K) * (d * D + d * S / sp.sqrt(th1) + C0 * Phi)  # Lemma 5 + Lemma 3
              + d * sp.sqrt(K) * C0 * chi1 * V)                            # time-varying β_t
    Emax = B * sp.sqrt(K / th1) * C0 * chi1                    # Lemma 5: ||e||² ≤ E_max ||e||_1
    coef = {"xz2": L / 2 + L / 2, "etag2": L / 2 + L, "e2": L / 2 + L, "e": G}
    total = (sum_E1 + coef["xz2"] * sum_xz2 + coef["etag2"] * sum_etag2
             + (coef["e2"] * Emax + coef["e"]) * sum_e1)
    return total, S, D, V, Phi


def residuals() -> dict:
    """Symbolic residuals (0 when the assembly is right)."""
    s = SYM
    cs = constants_symbolic()
    total, S, D, V, Phi = _terms()
    H = s["G"] + sp.Rational(3, 2) * s["L"] * cs["E_max"]
    claimed_total = (cs["A"] * Phi + cs["G_e"] * (s["d"] * D + s["d"] * S / sp.sqrt(s["theta_1"]))
                     + H * s["d"] * sp.sqrt(s["K"]) * s["C_0"] * s["chi_1"] * V)
    r1 = sp.simplify(sp.expand(total - claimed_total))
    Lam = cs["Lambda"]
    final = cs["P"] * (s["Delta_f"] + total.subs(Phi, s["chi_1"] * Lam + s["d"] * S / s["theta_1"]))
    r2 = sp.simplify(sp.expand(final - (cs["C"] + cs["C'"] * S + cs["C''"] * D + cs["C'''"] * V)))
    u, th = sp.symbols("u theta", positive=True)
    k = -sp.log(u) - (1 - u)
    h = (1 - th) / th + sp.log(th)
    dk, dh = sp.diff(k, u), sp.diff(h, th)
    ok_k = (sp.solveset(dk < 0, u, sp.Interval.open(1, sp.oo)) == sp.S.EmptySet
            and sp.solveset(dk > 0, u, sp.Interval.open(0, 1)) == sp.S.EmptySet
            and k.subs(u, 1) == 0)
    ok_h = sp.solveset(dh > 0, th, sp.Interval.open(0, 1)) == sp.S.EmptySet and h.subs(th, 1) == 0
    return {"errors vs A Φ + G_e(...) + H(...)V": r1, "final vs C + C'S + C''D + C'''V": r2,
            "1-u ≤ -log u": sp.true if ok_k else sp.false,
            "-log θ ≤ (1-θ)/θ": sp.true if ok_h else sp.false}


def numeric_gap(seed: int = 0, n: int = 5) -> float:
    """Largest relative difference between derived_constants and the symbolic constants."""
    rnd = random.Random(seed)
    cs = constants_symbolic()
    worst = 0.0
    for _ in range(n):
        sc = {"beta": rnd.uniform(0, 0.95), "theta_1": rnd.uniform(0.01, 1), "C_0": rnd.uniform(1, 5),
              "chi_1": rnd.uniform(0.01, 2), "K": rnd.uniform(1, 50), "K_m": rnd.uniform(1, 50)}
        sc["gamma"] = rnd.uniform(sc["beta"] ** 2 * 0.99, 0.99) if sc["beta"] else 0.0
        df, G, L, d, eps = rnd.uniform(0, 10), rnd.uniform(0.1, 10), rnd.uniform(0, 5), rnd.randint(1, 50), \
            10 ** rnd.uniform(-10, 0)
        num = derived_constants(dict(sc, t_0=1), df, G, L, d, eps)
        sub = {SYM["Delta_f"]: df, SYM["G"]: G, SYM["L"]: L, SYM["d"]: d, SYM["epsilon"]: eps}
        sub.update({SYM[k]: v for k, v in sc.items()})
        for key in ("C", "C'", "C''", "C'''"):
            exact = float(cs[key].subs(sub).evalf(30))
            worst = max(worst, abs(num[key] - exact) / max(abs(exact), 1e-300))
    return worst


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = residuals()
    gap = numeric_gap(seed, 3 if quick else 20)
    ok = (res["errors vs A Φ + G_e(...) + H(...)V"] == 0 and res["final vs C + C'S + C''D + C'''V"] == 0
          and res["1-u ≤ -log u"] == sp.true and res["-log θ ≤ (1-θ)/θ"] == sp.true and gap < 1e-12)
    return LemmaResult(LEMMA, STATEMENT, SYMBOLIC, 4 + (3 if quick else 20), ok, gap, 1e-12,
                       "" if ok else str(res), details={k: str(v) for k, v in res.items()},
                       seconds=time.perf_counter() - t0)
