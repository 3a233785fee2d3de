"""The proof of the Generic Adam bound (docs/derivations.md) as executable checks.

One module per lemma, PEPit-style: each exposes ``check(quick=False, seed=0) -> LemmaResult``
(:mod:`proofs_check._result`) with the lemma, its statement, the method (symbolic / property /
end-to-end), the cases tried, whether it passed, the worst computed-versus-claimed pair and, on a
failure, the smallest counterexample found. Property checks search with :func:`hypothesis.find`
outside pytest (so they run from ``adamtheory prove`` too). For each of SC1-SC4 some module drops
that condition from its generator and reports the case that breaks the step it protects.

:func:`proofs_check.run.run_all` runs them all; ``adamtheory prove [--quick] [--json]`` prints the
table.
"""

from ._result import LemmaResult, Violation

__all__ = ["LemmaResult", "Violation"]
