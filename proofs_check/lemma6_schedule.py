r"""Lemma 6 (schedule facts). Let χ_t = α_t/sqrt(1-θ_t), a_t = min_{k≤t} χ_k and
C_0 = sup_t χ_t/a_t (SC3: finite), θ_t non-decreasing (SC2). Then for t ≤ T

.. math::

    \alpha_t \ge \alpha_T / C_0, \qquad \chi_t \le C_0\, a_t \le C_0\, \chi_1 .

Proof: α_t = χ_t sqrt(1-θ_t) ≥ a_t sqrt(1-θ_t) ≥ a_T sqrt(1-θ_T) ≥ (χ_T/C_0) sqrt(1-θ_T) = α_T/C_0
(a and 1-θ non-increasing).

Used in: the last step of the theorem, Σ_t E Z_t ≤ (C_0/α_T) Σ_t α_t E Z_t (this is where T α_T in
the denominator comes from), and in every bound χ_t² ≤ C_0² χ_1 a_t.

Method: property (:func:`proofs_check._search.refute`: hypothesis ``find`` then a Nelder-Mead
local search). Mutants (:data:`MUTANTS`): C_0 dropped, C_0 taken as the last ratio χ_T/a_T
instead of the sup, a_T in place of a_t. Dropped conditions:

* SC2 (θ non-decreasing): with 1-θ_t growing, α_T can exceed C_0 α_t.
* SC3 (C_0 < ∞): in the polynomial family α_t = t^{-s}, θ_t = 1 - 0.5 t^{-r} with r > 2s, the
  constant measured on t ≤ 10² is exceeded on t ≤ 10⁴ (the sup grows like t^{r/2-s}), so no C_0
  works for all T.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import strategies as st

from ._gen import chi_seq, theta_seq
from ._result import PROPERTY, LemmaResult, Violation, fmt, search
from ._search import Mutant, decode_case, encode_case, refute

LEMMA = "L6 schedule facts"
STATEMENT = "α_t ≥ α_T/C_0 and χ_t ≤ C_0 χ_1 for t ≤ T"


@st.composite
def _case(draw, sc2=True):
    T = draw(st.integers(1, 30))
    return {"theta": draw(theta_seq(T, monotone=sc2)), "chi": draw(chi_seq(T))}


def worst_ratio(c) -> float:
    """max over T of max_{t≤T} (α_T/C_0)/α_t and χ_t/(C_0 χ_1): > 1 means a violation."""
    chi, th = c["chi"], c["theta"]
    alpha = chi * np.sqrt(1 - th)
    C0 = float(np.max(chi / np.minimum.accumulate(chi)))
    r1 = np.max(alpha / C0 / np.minimum.accumulate(alpha))
    r2 = np.max(chi / (C0 * chi[0]))
    return float(max(r1, r2))


def _claim(c0=lambda chi, a: float(np.max(chi / a)), second=lambda chi, a, C0: C0 * chi[0]):
    """[(max_{t≤T} α_T/C_0 / α_t, 1), (max_t χ_t / second bound, 1)] as (lhs, rhs, scale)."""
    def pairs_f(c):
        chi, th = c["chi"], c["theta"]
        alpha = chi * np.sqrt(1 - th)
        a = np.minimum.accumulate(chi)
        C0 = c0(chi, a)
        return [(float(np.max(alpha / np.minimum.accumulate(alpha))) / C0, 1.0, 1.0),
                (float(np.max(chi / second(chi, a, C0))), 1.0, 1.0)]
    return pairs_f


pairs = _claim()

MUTANTS = (
    Mutant(LEMMA, "C_0 dropped (α_t ≥ α_T, χ_t ≤ χ_1)", _claim(c0=lambda chi, a: 1.0),
           {"theta": np.full(2, 0.5), "chi": np.array([1.0, 2.0])}),
    Mutant(LEMMA, "C_0 = χ_T/a_T (the last ratio, not the sup)", _claim(c0=lambda chi, a: chi[-1] / a[-1]),
           {"theta": np.full(3, 0.5), "chi": np.array([1.0, 3.0, 1.0])}),
    Mutant(LEMMA, "χ_t ≤ C_0 a_T (a_T in place of a_t ≤ χ_1)",
           _claim(second=lambda chi, a, C0: C0 * a[-1]),
           {"theta": np.full(2, 0.5), "chi": np.array([1.0, 0.1])}),
)


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, _case(), encode_case, decode_case, n=200 if quick else 3000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def c0_growth(s: float, r: float, n1: int = 10**2, n2: int = 10**4) -> float:
    """C_0 over t ≤ n2 divided by C_0 over t ≤ n1 for α_t = t^{-s}, θ_t = 1 - 0.5 t^{-r}."""
    t = np.arange(1, n2 + 1, dtype=float)
    chi = t ** (-s) / np.sqrt(0.5 * t ** (-r))
    q = chi / np.minimum.accumulate(chi)
    return float(q.max() / q[:n1].max())


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    ex, cases, worst = res.example, res.cases, [res.ratio]
    nv = 60 if quick else 300
    e2, c2 = search(_case(sc2=False), lambda c: worst_ratio(c) > 1 + 1e-6, nv, seed)
    fam = st.tuples(st.floats(0.0, 0.9), st.floats(0.05, 1.9))
    e3, c3 = search(fam.filter(lambda p: p[1] > 2 * p[0]), lambda p: c0_growth(*p) > 1.5, nv, seed)
    viol = [
        Violation("SC2", "α_t ≥ a_t sqrt(1-θ_t) ≥ a_T sqrt(1-θ_T) needs 1-θ_t non-increasing",
                  e2 is not None, c2, fmt({k: list(map(float, v)) for k, v in e2.items()}) if e2 else "",
                  worst_ratio(e2) if e2 else None, 1.0 if e2 else None),
        Violation("SC3", "a constant C_0 for all T (sup_t χ_t/a_t < ∞)", e3 is not None, c3,
                  f"s={e3[0]:.4g}, r={e3[1]:.4g} (r > 2s): C_0(10^4)/C_0(10^2) = {c0_growth(*e3):.4g}"
                  if e3 else "", c0_growth(*e3) if e3 else None, 1.5 if e3 else None),
    ]
    ok = ex is None and all(v.found for v in viol)
    return LemmaResult(LEMMA, STATEMENT, PROPERTY, cases, ok, res.lhs, res.rhs,
                       fmt({k: list(map(float, v)) for k, v in ex.items()}) if ex is not None else "",
                       viol, details={"worst non-degenerate lhs/rhs": worst[0],
                                "local search evaluations": res.local_evals},
                       seconds=time.perf_counter() - t0)
