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

Used in: ``adamtheory prove --worst-case`` (and every ``adamtheory prove``), figure (e)'s
manifest entry, the tightness table of docs/derivations.md §8 and the README.

Method: search (:func:`adamtheory.tightness.search`: Nelder-Mead over the family's six
parameters from random starts; quick: T = 300, 3 starts; full: T = 1000, 8 starts).

>>> # search(("0.05/sqrt(t)", "0", "1 - 0.5/t"), T=300, starts=4)["uniform"]["ratio"] < 1
"""

from __future__ import annotations

import time

from adamtheory.tightness import CONSTANTS, SCHEDULES, search  # noqa: F401

from ._result import PROPERTY, LemmaResult

LEMMA = "Worst case of Theorem 2"
STATEMENT = "max over a family of 1-d problems in the class of LHS(T)/bound(T) ≤ 1 (reported: the max)"

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
