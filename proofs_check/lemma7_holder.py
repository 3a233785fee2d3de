r"""Lemma 7 (Hölder and Jensen: where the exponent 4/3 comes from). For a random vector G and a
random V > 0, and numbers y_1..y_T ≥ 0,

.. math::

    \big(\mathbb E\|G\|^{4/3}\big)^{3/2} \le \sqrt{\mathbb E V}\ \mathbb E\Big[\frac{\|G\|^2}{\sqrt V}\Big],
    \qquad \Big(\frac1T\sum_t y_t^{2/3}\Big)^{3/2} \le \frac1T\sum_t y_t .

Proof: ||G||^{4/3} = (||G||²/sqrt V)^{2/3} V^{1/3} and Hölder with exponents 3/2 and 3; the second is
Jensen for the concave y ↦ y^{2/3}. The exponent algebra ((x^{2/3} y^{1/3})^{3/2} = x sqrt y for
x, y > 0) is checked by sympy.

Used in: the last step of the theorem with G = ∇f(x_t), V = Σ_k ṽ_{t,k} (E V ≤ dε + G², A4), giving
(E||∇f(x_τ)||^{4/3})^{3/2} ≤ sqrt(dε + G²) (1/T) Σ_t E[Σ_k ∇_k f(x_t)²/sqrt(ṽ_{t,k})].

Method: symbolic (exponents) and property (exact expectations over random discrete joint
distributions of (||G||, V), hypothesis ``find``, then a Nelder-Mead local search). Mutants
(:data:`MUTANTS`): the exponent 3/2 dropped on the left, sqrt(E V) replaced by E sqrt V,
sqrt(E V) dropped, Jensen without the power 3/2.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from ._result import PROPERTY, SYMBOLIC, LemmaResult, fmt
from ._search import Mutant, refute

LEMMA = "L7 Hölder/Jensen"
STATEMENT = "(E||G||^{4/3})^{3/2} ≤ sqrt(E V) E[||G||²/sqrt V]; (mean y^{2/3})^{3/2} ≤ mean y"


def exponent_residual() -> sp.Expr:
    x, y = sp.symbols("x y", positive=True)
    return sp.simplify(((x ** sp.Rational(2, 3) * y ** sp.Rational(1, 3)) ** sp.Rational(3, 2))
                       - x * sp.sqrt(y))


@st.composite
def _case(draw):
    k = draw(st.integers(1, 6))
    G = draw(st.lists(st.floats(0.0, 100.0), min_size=k, max_size=k))
    V = draw(st.lists(st.floats(1e-6, 1e4), min_size=k, max_size=k))
    w = draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k))
    return {"G": np.array(G), "V": np.array(V), "p": np.array(w) / sum(w)}


def sides(c):
    G, V, p = c["G"], c["V"], c["p"]
    h_l = float(p @ G ** (4 / 3)) ** 1.5
    h_r = float(np.sqrt(p @ V) * (p @ (G * G / np.sqrt(V))))
    j_l = float(np.mean(G ** (2 / 3))) ** 1.5
    j_r = float(np.mean(G))
    return (h_l, h_r), (j_l, j_r)


def _claim(hl=lambda p, G, V: float(p @ G ** (4 / 3)) ** 1.5,
           hr=lambda p, G, V: float(np.sqrt(p @ V) * (p @ (G * G / np.sqrt(V)))),
           jl=lambda G: float(np.mean(G ** (2 / 3))) ** 1.5):
    def pairs_f(c):
        G, V, p = c["G"], c["V"], c["p"]
        scale = float(p @ G ** (4 / 3)) ** 1.5 + float(np.max(G))
        return [(hl(p, G, V), hr(p, G, V), scale), (jl(G), float(np.mean(G)), scale)]
    return pairs_f


pairs = _claim()

MUTANTS = (
    Mutant(LEMMA, "exponent 3/2 dropped on the left: E||G||^{4/3} ≤ sqrt(E V) E[||G||²/sqrt V]",
           _claim(hl=lambda p, G, V: float(p @ G ** (4 / 3))),
           {"G": np.array([0.1]), "V": np.array([1.0]), "p": np.array([1.0])}),
    Mutant(LEMMA, "sqrt(E V) replaced by E sqrt(V)",
           _claim(hr=lambda p, G, V: float((p @ np.sqrt(V)) * (p @ (G * G / np.sqrt(V))))),
           {"G": np.sqrt([0.001, 1.0]), "V": np.array([0.001, 1.0]), "p": np.array([0.5, 0.5])}),
    Mutant(LEMMA, "sqrt(E V) dropped", _claim(hr=lambda p, G, V: float(p @ (G * G / np.sqrt(V)))),
           {"G": np.array([1.0]), "V": np.array([4.0]), "p": np.array([1.0])}),
    Mutant(LEMMA, "Jensen with the power 3/2 dropped: mean y^{2/3} ≤ mean y",
           _claim(jl=lambda G: float(np.mean(G ** (2 / 3)))),
           {"G": np.array([0.1]), "V": np.array([1.0]), "p": np.array([1.0])}),
)


def _encode(c):
    return np.r_[np.log(np.maximum(c["G"], 1e-300)), np.log(c["V"]), np.log(c["p"])], len(c["G"])


def _decode(x, k):
    z = np.exp(x[2 * k:] - x[2 * k:].max())
    return {"G": np.exp(np.clip(x[:k], -700, 700)), "V": np.exp(np.clip(x[k:2 * k], -700, 700)),
            "p": z / z.sum()}


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, _case(), _encode, _decode, n=200 if quick else 3000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    expo = exponent_residual()
    res = refute_claim(pairs, quick, seed, shrink=True)
    return LemmaResult(LEMMA, STATEMENT, f"{SYMBOLIC} + {PROPERTY}", res.cases + 1,
                       expo == 0 and not res.found, res.lhs, res.rhs,
                       fmt({k: list(map(float, v)) for k, v in res.example.items()}) if res.found else "",
                       details={"exponent residual": str(expo), "worst non-degenerate lhs/rhs": res.ratio,
                                "local search evaluations": res.local_evals},
                       seconds=time.perf_counter() - t0)
