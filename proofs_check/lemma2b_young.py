r"""Lemma 2' (decorrelation with a free Young parameter). For one coordinate, under A3, with
v_{t-1} > 0, σ² = E_t g² < ∞ and every λ ∈ (0, 1),

.. math::

    E_t\Big[\frac{G g}{\sqrt{v_t}}\Big] \ge (1-\lambda)\frac{G^2}{\sqrt{\tilde v_t}}
    - \frac{1}{\lambda}\sqrt{\omega_t}\,\sigma\,E_t\Big[\frac{g^2}{v_t}\Big].

Proof: Lemma 2's two products, each with Young xy ≤ (λ/2) x² + y²/(2λ) in place of
xy ≤ x²/4 + y²; λ = 1/2 is Lemma 2. Theorem 2 (docs/derivations.md §4b) takes the best λ of
:data:`adamtheory.theorem.LAMBDAS`, each a valid statement.

Used in: Theorem 2, step 2 (the factor (1-λ) on Σ α_t Z_t and 1/λ on the decorrelation error).

Method: property (exact expectations over discrete laws, the generator of Lemma 2, every λ of the
grid), then Nelder-Mead. Mutants: 1/λ → λ; 1/λ → 1/(4λ); sqrt(ω) → ω.

>>> check(quick=True).passed
True
"""

from __future__ import annotations

import math
import time

import numpy as np

from adamtheory.theorem import LAMBDAS

from ._result import PROPERTY, LemmaResult
from ._search import Mutant, lemma_result, refute
from .lemma2_decorrelation import case, decode, encode, terms

LEMMA = "L2' decorrelation, free λ"
STATEMENT = "E_t[G g/sqrt v] ≥ (1-λ) G²/sqrt ṽ - (1/λ) sqrt(1-θ) σ E_t[g²/v], λ ∈ (0, 1)"


def _claim(main=lambda lam: 1.0 - lam, coef=lambda lam: 1.0 / lam, lambdas=LAMBDAS, root=True):
    def pairs_f(c):
        t = terms(c)
        w = math.sqrt(t["om"]) if root else t["om"]
        return [(main(lam) * t["G"] ** 2 / math.sqrt(t["vt"]),
                 t["main"] + coef(lam) * w * t["err"], t["scale"]) for lam in lambdas]
    return pairs_f


pairs = _claim()

_W = {"y": np.array([-1.0, 1000.0]), "p": np.array([0.99, 0.01]), "theta": 0.5, "vprev": 100.0,
      "bias": 0.0}
MUTANTS = (
    Mutant(LEMMA, "1/λ replaced by λ", _claim(coef=lambda lam: lam), _W),
    Mutant(LEMMA, "1/λ replaced by 1/(4λ)", _claim(coef=lambda lam: 0.25 / lam), _W),
    Mutant(LEMMA, "sqrt(ω) replaced by ω in the error term",
           _claim(coef=lambda lam: 1.0 / lam, main=lambda lam: 1.0 - lam, root=False),
           {"y": np.array([0.0, 100.0]), "p": np.array([0.99, 0.01]), "theta": 0.99, "vprev": 1e-4,
            "bias": 0.0}),
)


def refute_claim(claim, quick: bool = False, seed: int = 0, shrink: bool = False):
    """This lemma's search (Lemma 2's generator + local search) for a case where ``claim`` fails."""
    return refute(claim, case(), encode, decode, n=300 if quick else 3000,
                  starts=2 if quick else 12, maxfev=200 if quick else 1500, seed=seed, shrink=shrink)


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    res = refute_claim(pairs, quick, seed, shrink=True)
    return lemma_result(LEMMA, STATEMENT, PROPERTY, res, (), t0)
