"""Registry and runner: every proof check, in the order of the derivation.

>>> from proofs_check.run import MODULES
>>> MODULES[0]
'lemma1_step_bound'
"""

from __future__ import annotations

import importlib
import time

from ._result import LemmaResult

#: The checks, one module per lemma, in the order of docs/derivations.md.
MODULES = (
    "lemma1_step_bound",
    "lemma2_decorrelation",
    "lemma3_log_sum",
    "lemma3_expectation",
    "lemma4_momentum",
    "lemma5_heavy_ball",
    "lemma6_schedule",
    "lemma7_holder",
    "lemma2b_young",
    "lemma3b_weighted",
    "lemma4b_momentum_exact",
    "lemma5b_error",
    "assembly",
    "end_to_end",
    "worst_case",
    "other_bounds",
)


def run_one(name: str, quick: bool = False, seed: int = 0) -> LemmaResult:
    """Run one check by module name; an exception becomes a failed result (never raised)."""
    mod = importlib.import_module(f".{name}", __package__)
    t0 = time.perf_counter()
    try:
        res = mod.check(quick=quick, seed=seed)
    except Exception as exc:  # a crash is a failed check, reported with its message
        res = LemmaResult(getattr(mod, "LEMMA", name), getattr(mod, "STATEMENT", ""), "error", 0,
                          False, counterexample=f"{type(exc).__name__}: {exc}")
    res.seconds = time.perf_counter() - t0
    return res


def run_all(quick: bool = False, seed: int = 0, only=None) -> list[LemmaResult]:
    """Run every check (or the modules named in ``only``) and return their results in order."""
    names = [m for m in MODULES if only is None or m in only]
    return [run_one(m, quick, seed) for m in names]
