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


def chain() -> dict:
    """The right-hand side rebuilt from the lemma bounds alone, coefficient by coefficient.

    Steps 3-5 with nothing taken from :mod:`adamtheory.bounds`: the 2 of step 3 ((1/2) Σ α_t E Z_t),
    C_0 of Lemma 6 (step 5), sqrt(dε + G²) of Lemma 7 and A4 (step 4), Λ = d log(1 + G²/(dε)) and
    Φ_T = χ_1 Λ + (d/θ_1) S_T of Lemma 3 in expectation. Returns the coefficients of 1, S_T, D_T, V_T.
    """
    s = SYM
    total, S, D, V, Phi = _terms()
    d, G, eps = s["d"], s["G"], s["epsilon"]
    Lam = d * sp.log(1 + G ** 2 / (d * eps))
    rhs = 2 * s["C_0"] * sp.sqrt(d * eps + G ** 2) * (s["Delta_f"] + total.subs(Phi, s["chi_1"] * Lam
                                                                                + d * S / s["theta_1"]))
    poly = sp.Poly(sp.expand(rhs), S, D, V)
    return {k: poly.coeff_monomial(m) for k, m in zip(KEYS, (1, S, D, V))}


KEYS = ("C", "C'", "C''", "C'''")


def _point(rnd) -> dict:
    """A random point of the domain: 0 ≤ β < 1, β² ≤ γ < 1, θ_1 ∈ (0, 1], C_0, K, K_m ≥ 1, d ≥ 1."""
    b = rnd.uniform(0, 0.95)
    return {"beta": b, "gamma": rnd.uniform(b * b, 0.99), "theta_1": rnd.uniform(0.01, 1.0),
            "C_0": 10 ** rnd.uniform(0, 1), "chi_1": 10 ** rnd.uniform(-2, 1), "K": 10 ** rnd.uniform(0, 2),
            "K_m": 10 ** rnd.uniform(0, 2), "Delta_f": 10 ** rnd.uniform(-2, 1), "G": 10 ** rnd.uniform(-1, 1),
            "L": 10 ** rnd.uniform(-1, 1), "d": rnd.randint(1, 50), "epsilon": 10 ** rnd.uniform(-8, 0)}


def refute_constants(cs: dict, n: int = 200, seed: int = 0):
    """Compare a constant set with the lemma chain: (symbolic residuals, a violating point or None).

    A constant set is valid when each of C, C', C'', C''' is ≥ the chain's coefficient at every
    point of the domain (S_T, D_T, V_T ≥ 0 vary independently); the project's constants are equal
    to it (residual 0). Otherwise the constants are evaluated at ``n`` random points and the first
    point where a claimed constant is below the chain (relative 1e-9) is returned as
    (point, constant, claimed, needed).
    """
    ch = chain()
    res = {k: sp.simplify(sp.expand(cs[k] - ch[k])) for k in KEYS}
    if all(r == 0 for r in res.values()):
        return res, None
    names = sorted(SYM)
    fns = {k: (sp.lambdify([SYM[x] for x in names], cs[k], "math"),
               sp.lambdify([SYM[x] for x in names], ch[k], "math")) for k in KEYS}
    rnd = random.Random(seed)
    for _ in range(n):
        pt = _point(rnd)
        args = [pt.get(x, 1.0) for x in names]
        for k, (fc, fch) in fns.items():
            claimed, need = fc(*args), fch(*args)
            if claimed < need - 1e-9 * abs(need):
                return res, (pt, k, claimed, need)
    return res, None


def residuals() -> dict:
    """Symbolic residuals (0 when the assembly is right)."""
    s = SYM
    cs = constants_symbolic()
    total, S, D, V, Phi = _terms()
    H = s["G"] + sp.Rational(3, 2) * s["L"] * cs["E_max"]
    claimed_total = (cs["A"] * Phi + cs["G_e"] * (s["d"] * D + s["d"] * S / sp.sqrt(s["theta_1"]))
                     + H * s["d"] * sp.sqrt(s["K"]) * s["C_0"] * s["chi_1"] * V)
    r1 = sp.simplify(sp.expand(total - claimed_total))
    r2, _ = refute_constants(cs)
    u, th = sp.symbols("u theta", positive=True)
    k = -sp.log(u) - (1 - u)
    h = (1 - th) / th + sp.log(th)
    dk, dh = sp.diff(k, u), sp.diff(h, th)
    ok_k = (sp.solveset(dk < 0, u, sp.Interval.open(1, sp.oo)) == sp.S.EmptySet
            and sp.solveset(dk > 0, u, sp.Interval.open(0, 1)) == sp.S.EmptySet
            and k.subs(u, 1) == 0)
    ok_h = sp.solveset(dh > 0, th, sp.Interval.open(0, 1)) == sp.S.EmptySet and h.subs(th, 1) == 0
    return {"errors vs A Φ + G_e(...) + H(...)V": r1,
            "final vs C + C'S + C''D + C'''V (lemma chain)": sp.Add(*[abs(r) for r in r2.values()]),
            "1-u ≤ -log u": sp.true if ok_k else sp.false,
            "-log θ ≤ (1-θ)/θ": sp.true if ok_h else sp.false}


def _mutated(change):
    def constants():
        cs = dict(constants_symbolic())
        cs.update(change(cs, SYM))
        return cs
    return constants


def _halved_km(cs, s):
    term = (s["L"] * (s["beta"] / (1 - s["beta"])) ** 2 * s["K_m"] * s["C_0"] ** 2 * s["chi_1"]
            / (1 - sp.sqrt(s["gamma"])))
    return {"C": cs["C"] - cs["P"] * term / 2 * s["chi_1"] * cs["Lambda"],
            "C'": cs["C'"] - cs["P"] * term / 2 * s["d"] / s["theta_1"]}


#: planted false constant sets (name, constants()), and the witness point of the mutant table
MUTANT_SETS = (
    ("d missing in C' (d = 1 there)", _mutated(lambda cs, s: {"C'": cs["C'"].subs(s["d"], 1)})),
    ("C_0 of step 5 missing (every constant / C_0)",
     _mutated(lambda cs, s: {k: cs[k] / s["C_0"] for k in KEYS})),
    ("sqrt(K) missing in C''", _mutated(lambda cs, s: {"C''": cs["C''"] / sp.sqrt(s["K"])})),
    ("the L B² K_m C_0² χ_1/(1-ρ) term of A halved", _mutated(_halved_km)),
    ("Λ without d in C", _mutated(lambda cs, s: {"C": cs["C"] - cs["P"] * cs["A"] * s["chi_1"]
                                                  * cs["Lambda"] * (1 - 1 / s["d"])})),
)
WITNESS = {"beta": 0.5, "gamma": 0.5, "theta_1": 0.5, "C_0": 2.0, "chi_1": 1.0, "K": 4.0, "K_m": 4.0,
           "Delta_f": 1.0, "G": 1.0, "L": 1.0, "d": 2, "epsilon": 0.1}


def mutant_pairs(constants):
    """A constant set's claim at a point: [(chain coefficient, claimed constant, scale)] for C..C'''."""
    def pairs_f(pt):
        cs, ch = constants(), chain()
        sub = {SYM[k]: v for k, v in pt.items()}
        return [(float(ch[k].subs(sub).evalf(30)), float(cs[k].subs(sub).evalf(30)),
                 abs(float(ch[k].subs(sub).evalf(30))) + 1e-300) for k in KEYS]
    return pairs_f


def refute_claim(constants, quick: bool = False, seed: int = 0):
    """This check run on a constant set: a point where it is below the lemma chain (or None)."""
    from ._search import Search

    n = 50 if quick else 500
    _, hit = refute_constants(constants(), n, seed)
    return Search(example=hit[0] if hit else None, cases=n, phase="random points" if hit else "")


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
    ok = (res["errors vs A Φ + G_e(...) + H(...)V"] == 0 and res["final vs C + C'S + C''D + C'''V (lemma chain)"] == 0
          and res["1-u ≤ -log u"] == sp.true and res["-log θ ≤ (1-θ)/θ"] == sp.true and gap < 1e-12)
    return LemmaResult(LEMMA, STATEMENT, SYMBOLIC, 4 + (3 if quick else 20), ok, gap, 1e-12,
                       "" if ok else str(res), details={k: str(v) for k, v in res.items()},
                       seconds=time.perf_counter() - t0)
