r"""Lemma 2 (decorrelation). For one coordinate at step t, with v_{t-1} > 0 fixed (known at t-1),
ω = 1-θ_t, an unbiased gradient g (E_t g = G, A3) with σ² = E_t g², v = θ_t v_{t-1} + ω g² and
ṽ = θ_t v_{t-1} + ω σ² (known at t-1):

.. math::

    \mathbb E_t\Big[\frac{G g}{\sqrt v}\Big] \ \ge\ \frac{G^2}{2\sqrt{\tilde v}}
    - 2\sqrt{\omega}\,\sigma\,\mathbb E_t\Big[\frac{g^2}{v}\Big].

Proof (after Défossez et al. 2022, Lemma 5.1, adapted to the (1-θ_t) weights): write
1/sqrt v = 1/sqrt ṽ + (ṽ - v)/(sqrt v sqrt ṽ (sqrt v + sqrt ṽ)), ṽ - v = ω(σ² - g²); bound the
σ² part with sqrt ṽ ≥ sqrt(ω) σ and the g² part with sqrt v ≥ sqrt(ω)|g|, then Young's inequality
xy ≤ x²/4 + y² twice (once with x = |G|/ṽ^{1/4}, once with x = |G||g|/(σ ṽ^{1/4})).

Used in: the descent step (Theorem, step 2): the first-order term -α_t <∇f(x_t), η_t g_t> gives the
gain α_t Σ_k G_k²/(2 sqrt ṽ_k) minus the error 2 α_t sqrt(1-θ_t) σ_k g_k²/v_k, which Lemma 3 sums.

Method: property, exact expectations over discrete laws of g (1 to 5 atoms; heavy two-point laws
with a rare large atom, where the decorrelation error is largest) by hypothesis ``find``, then a
Nelder-Mead local search over the atoms, the probabilities, θ and v_{t-1}. The inequality is
checked as G²/(2 sqrt ṽ) ≤ E_t[G g/sqrt v] + 2 sqrt(ω) σ E_t[g²/v] (scale sqrt(v_{t-1}) + max|g|).
Dropped condition: A3 (a biased g, E_t g ≠ G) breaks the step E_t[G g / sqrt ṽ] = G²/sqrt ṽ.

Mutants (:data:`MUTANTS`): the error coefficient 2 weakened to 1/2, the error term dropped, sqrt(ω) replaced by ω in
the error term.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import math
import time

import numpy as np
from hypothesis import strategies as st

from ._result import PROPERTY, LemmaResult, Violation, search
from ._search import Mutant, lemma_result, logit, refute, show, sig

LEMMA = "L2 decorrelation"
STATEMENT = "E_t[G g/sqrt v] ≥ G²/(2 sqrt ṽ) - 2 sqrt(1-θ) σ E_t[g²/v]"


@st.composite
def case(draw, unbiased=True):
    if draw(st.booleans()):          # a rare large atom: the heavy two-point law
        q = 10 ** draw(st.floats(-4, -0.3))
        y = [draw(st.floats(-5, 5)), draw(st.floats(-1, 1)) * 10 ** draw(st.floats(0, 3))]
        p = np.array([1 - q, q])
    else:
        k = draw(st.integers(1, 5))
        y = draw(st.lists(st.one_of(st.just(0.0), st.floats(-30, 30)), min_size=k, max_size=k))
        w = draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k))
        p = np.array(w) / sum(w)
    theta = 1 - 10 ** draw(st.floats(-4, -0.0005))
    vprev = 10 ** draw(st.floats(-6, 2))
    bias = 0.0 if unbiased else draw(st.floats(-30, 30).filter(lambda b: abs(b) > 1e-3))
    return {"y": np.array(y, float), "p": p, "theta": theta, "vprev": vprev, "bias": bias}


def terms(c):
    y, p, th, vp = c["y"], c["p"], c["theta"], c["vprev"]
    G = float(p @ y) + c["bias"]
    om = 1.0 - th
    s2 = float(p @ (y * y))
    vt = th * vp + om * s2
    v = th * vp + om * y * y
    return {"G": G, "om": om, "s2": s2, "vt": vt, "main": float(p @ (G * y / np.sqrt(v))),
            "err": math.sqrt(s2) * float(p @ (y * y / v)), "scale": math.sqrt(vp) + float(np.max(np.abs(y)))}


def _claim(half=0.5, coef=lambda om: 2.0 * math.sqrt(om)):
    def pairs_f(c):
        t = terms(c)
        return [(half * t["G"] ** 2 / math.sqrt(t["vt"]), t["main"] + coef(t["om"]) * t["err"], t["scale"])]
    return pairs_f


pairs = _claim()


def sides(c):
    """(left-hand side, right-hand side) of the lemma as stated (E_t[G g/sqrt v] ≥ ...)."""
    t = terms(c)
    return t["main"], 0.5 * t["G"] ** 2 / math.sqrt(t["vt"]) - 2.0 * math.sqrt(t["om"]) * t["err"]


MUTANTS = (
    Mutant(LEMMA, "error coefficient 2 weakened to 1/2", _claim(coef=lambda om: 0.5 * math.sqrt(om)),
           {"y": np.array([-1.0, 1000.0]), "p": np.array([0.99, 0.01]), "theta": 0.5, "vprev": 100.0,
            "bias": 0.0}),
    Mutant(LEMMA, "error term dropped: E_t[G g/sqrt v] ≥ G²/(2 sqrt ṽ)", _claim(coef=lambda om: 0.0),
           {"y": np.array([0.0, 100.0]), "p": np.array([0.99, 0.01]), "theta": 0.5, "vprev": 1e-4,
            "bias": 0.0}),
    Mutant(LEMMA, "sqrt(ω) replaced by ω in the error term", _claim(coef=lambda om: 2.0 * om),
           {"y": np.array([0.0, 100.0]), "p": np.array([0.99, 0.01]), "theta": 0.99, "vprev": 1e-4,
            "bias": 0.0}),
)


def encode(c):
    return np.r_[c["y"], np.log(c["p"]), logit(c["theta"]), math.log(c["vprev"])], len(c["y"])


def decode(x, k):
    z = np.exp(x[k:2 * k] - x[k:2 * k].max())
    return {"y": x[:k], "p": z / z.sum(), "theta": float(np.clip(sig(x[2 * k]), 1e-12, 1 - 1e-12)),
            "vprev": math.exp(float(np.clip(x[2 * k + 1], -700, 700))), "bias": 0.0}


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (generator + local search) for a case where ``claim`` fails."""
    return refute(claim, case(), encode, decode, n=300 if quick else 3000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    ev, cv = search(case(unbiased=False), lambda c: sides(c)[1] > sides(c)[0] + 1e-6, 200, seed)
    viol = [Violation("A3", "E_t[G g/sqrt ṽ] = G²/sqrt ṽ needs E_t g = ∇f(x_t)", ev is not None, cv,
                      show(ev) if ev else "", sides(ev)[1] if ev else None,
                      sides(ev)[0] if ev else None)]
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, viol, t0)
