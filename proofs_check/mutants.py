r"""The mutation suite: planted false variants of every lemma and of the assembly, each run through
the lemma's own check, which must refute it.

Every lemma module exposes ``MUTANTS`` (:class:`proofs_check._search.Mutant`: a name, the mutant's
claim ``pairs(case)`` and a witness case where the mutant is false) and ``refute_claim(claim,
quick, seed)``, the search that checks the true lemma (its generator of hard regimes, then the
local search). A mutant is *killed* when that search, run on the mutant's claim, finds a violation;
the witness is evaluated separately, to show that the mutant is false (``witness_refutes``). The
assembly's mutants are constant sets (a missing d, C_0 or sqrt K, a halved term of A, Λ without d),
refuted by :func:`proofs_check.assembly.refute_constants` against the lemma chain.

The search is never seeded with the witness. Each search stops at its first violation, so a
mutant costs the time to find it; ``quick`` uses the quick budgets first and the full budgets
only for a mutant that survives them.

Used in: ``adamtheory prove --mutants [--json]`` and tests/test_mutants.py.

Method: mutation testing of the property and symbolic checks.

>>> # run(quick=True)["summary"]  -> {"killed": 30, "total": 30}
"""

from __future__ import annotations

import importlib
import time

from ._search import show

#: the modules with mutants, in the order of docs/derivations.md
MODULES = ("lemma1_step_bound", "lemma2_decorrelation", "lemma3_log_sum", "lemma3_expectation",
           "lemma4_momentum", "lemma5_heavy_ball", "lemma6_schedule", "lemma7_holder",
           "lemma2b_young", "lemma3b_weighted", "lemma4b_momentum_exact", "lemma5b_error")


def _lemma_tag(lemma: str) -> str:
    return lemma.split()[0]


def _run_one(refute_claim, claim, quick, seed):
    t0 = time.perf_counter()
    res = refute_claim(claim, quick=True, seed=seed) if quick else None
    if res is None or not res.found:
        res = refute_claim(claim, quick=False, seed=seed)
    return res, time.perf_counter() - t0


def run(quick: bool = False, seed: int = 0, only=None) -> dict:
    """Run every mutant; returns {"mutants": [...], "summary": {"killed", "total", "seconds"}}."""
    rows = []
    t_all = time.perf_counter()
    for name in MODULES:
        if only is not None and name not in only:
            continue
        mod = importlib.import_module(f".{name}", __package__)
        for mu in mod.MUTANTS:
            text, refutes = mu.witness_text()
            res, sec = _run_one(mod.refute_claim, mu.pairs, quick, seed)
            rows.append({"lemma": _lemma_tag(mu.lemma), "module": name, "name": mu.name, "witness": text,
                         "witness_refutes": bool(refutes), "killed": res.found, "found_by": res.phase,
                         "cases": res.cases, "counterexample": show(res.example)[:300] if res.found else "",
                         "seconds": round(sec, 3)})
    if only is None or "assembly" in only:
        from . import assembly as A

        for mname, constants in A.MUTANT_SETS:
            pairs = A.mutant_pairs(constants)(A.WITNESS)
            keys = [k for k, (need, claimed, _) in zip(A.KEYS, pairs) if claimed < need]
            text = show(A.WITNESS) + ": " + "; ".join(
                f"{k} needs {need:.4g} > {claimed:.4g}" for k, (need, claimed, _) in zip(A.KEYS, pairs)
                if k in keys)
            res, sec = _run_one(A.refute_claim, constants, quick, seed)
            rows.append({"lemma": "Assembly", "module": "assembly", "name": mname, "witness": text,
                         "witness_refutes": bool(keys), "killed": res.found, "found_by": res.phase,
                         "cases": res.cases, "counterexample": show(res.example)[:300] if res.found else "",
                         "seconds": round(sec, 3)})
    killed = sum(r["killed"] for r in rows)
    return {"mutants": rows, "summary": {"killed": killed, "total": len(rows),
                                         "seconds": round(time.perf_counter() - t_all, 2)}}


def format_table(report: dict) -> str:
    head = f"{'lemma':<9} {'killed':<7} {'found by':<13} {'time':>6}  mutant  —  witness"
    lines = [head, "-" * len(head)]
    for r in report["mutants"]:
        lines.append(f"{r['lemma']:<9} {('yes' if r['killed'] else 'NO'):<7} {r['found_by'] or '-':<13} "
                     f"{r['seconds']:>5.1f}s  {r['name']}")
        lines.append(f"{'':<9} witness: {r['witness'][-200:]}")
    s = report["summary"]
    lines.append(f"{s['killed']}/{s['total']} mutants killed ({s['seconds']:.0f} s)")
    return "\n".join(lines)
