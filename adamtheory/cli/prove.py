"""``adamtheory prove``: the proof's checks (:mod:`proofs_check`) as a table, lemma by lemma.

Examples
--------
::

    adamtheory prove --quick
    adamtheory prove --json > proof.json
    adamtheory prove --mutants --json
"""

from __future__ import annotations

import json

from ..errors import InputError
from .args import FORMATTER, json_default

EPILOG = """examples:
  adamtheory prove --quick            # every lemma, small budgets (about a minute)
  adamtheory prove                    # full budgets, T = 10^5 end to end (see docs/derivations.md)
  adamtheory prove --quick --json     # one JSON object
  adamtheory prove --mutants --json   # planted false variants: every one must be killed
  adamtheory prove --worst-case       # worst case of Theorem 2 over a family of problems"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "prove", help="run the proof's checks (lemma by lemma, and the bound against runs)",
        description="Run every check of the Generic Adam proof (proofs_check): symbolic steps, "
        "property checks with hypothesis, and the derived bound against the engine's runs. "
        "Prints lemma, method, cases tried, result and, for a failure, the smallest "
        "counterexample found; exit status 1 when a check fails.",
        epilog=EPILOG, formatter_class=FORMATTER)
    p.add_argument("--quick", action="store_true", help="small budgets (the CI run)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seed", type=int, default=0, help="seed of the searches and runs (default 0)")
    p.add_argument("--mutants", action="store_true",
                   help="run the mutation suite instead: planted false variants of every lemma "
                   "and of the assembly, each through the lemma's own check (exit status 1 if "
                   "one survives)")
    p.add_argument("--worst-case", action="store_true",
                   help="run only the worst-case search of Theorem 2 (proofs_check.worst_case): "
                   "worst-found/bound per schedule and statement")
    p.add_argument("--only", action="append", metavar="MODULE",
                   help="run only this check (a proofs_check module name; repeatable)")
    p.set_defaults(func=cmd_prove)


def _cell(text, width):
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(results) -> str:
    """The plain-text table printed by ``adamtheory prove``."""
    head = (f"{'lemma':<22} {'method':<20} {'cases':>6} {'result':<6} {'time':>6}  "
            "worst computed / claimed")
    lines = [head, "-" * len(head)]
    for r in results:
        res = "PASS" if r.passed else "FAIL"
        worst = ""
        if r.computed is not None and r.claimed is not None:
            worst = f"{r.computed:.4g} / {r.claimed:.4g}"
        lines.append(f"{_cell(r.lemma, 22):<22} {_cell(r.method, 20):<20} {r.cases:>6} {res:<6} "
                     f"{r.seconds:>5.1f}s  {worst}")
        if not r.passed and r.counterexample:
            lines.append(f"    smallest counterexample: {_cell(r.counterexample, 160)}")
        for v in r.violations:
            found = f"breaks in {v.cases} cases" if v.found else f"NOT FOUND in {v.cases} cases"
            lines.append(f"    drop {v.condition}: {v.step} — {found}")
            if v.found:
                lines.append(f"      e.g. {_cell(v.counterexample, 150)}")
        ratio = r.details.get("ratio") if isinstance(r.details, dict) else None
        if ratio:
            lines.append(f"    tightness bound/measured: min {ratio['min']:.3g}, median "
                         f"{ratio['median']:.3g}, max {ratio['max']:.3g}")
        for key, blk in (r.details.get("ratio_by_statement") or {}).items() \
                if isinstance(r.details, dict) else ():
            if blk:
                lines.append(f"      {key}: min {blk['min']:.3g}, median {blk['median']:.3g}, "
                             f"max {blk['max']:.3g}")
        for row in (r.details.get("rows") or []) if r.lemma.startswith("Worst case") else ():
            lines.append(f"    {', '.join(row['schedule'])}: worst-found/bound uniform "
                         f"{row['uniform']['ratio']:.3g} (T={row['uniform']['at_T']}), "
                         f"α-weighted {row['alpha-weighted']['ratio']:.3g} "
                         f"(T={row['alpha-weighted']['at_T']})")
        nas = r.details.get("not_applicable") if isinstance(r.details, dict) else None
        for msg in sorted({(n["problem"], n["reason"]) for n in nas or []}):
            lines.append(f"    {msg[0]}: {msg[1]}")
    n_ok = sum(r.passed for r in results)
    lines.append(f"{n_ok} passed, {len(results) - n_ok} failed")
    return "\n".join(lines)


def cmd_prove(args) -> int:
    import importlib.util

    if importlib.util.find_spec("hypothesis") is None:
        raise InputError("adamtheory prove needs hypothesis for its property checks; install it "
                         "with: pip install 'adamtheory[test]' (or pip install hypothesis)")
    from proofs_check.run import MODULES, run_all

    if args.mutants:
        return _cmd_mutants(args)
    if getattr(args, "worst_case", False):
        args.only = ["worst_case"]
    if args.only:
        unknown = [m for m in args.only if m not in MODULES]
        if unknown:
            raise InputError(f"--only {unknown[0]!r} is not a check; use one of "
                             f"{', '.join(MODULES)}")
    results = run_all(quick=args.quick, seed=args.seed, only=args.only)
    if args.json:
        print(json.dumps({"quick": args.quick, "seed": args.seed,
                          "passed": all(r.passed for r in results),
                          "checks": [r.to_dict() for r in results]},
                         default=json_default, indent=1))
    else:
        print(format_table(results))
    return 0 if all(r.passed for r in results) else 1


def _cmd_mutants(args) -> int:
    from proofs_check import mutants as M

    names = set(M.MODULES) | {"assembly"}
    if args.only:
        unknown = [m for m in args.only if m not in names]
        if unknown:
            raise InputError(f"--only {unknown[0]!r} has no mutants; use one of "
                             f"{', '.join(sorted(names))}")
    rep = M.run(quick=args.quick, seed=args.seed, only=args.only)
    if args.json:
        print(json.dumps(dict(rep, quick=args.quick, seed=args.seed), default=json_default,
                         indent=1))
    else:
        print(M.format_table(rep))
    ok = all(r["killed"] and r["witness_refutes"] for r in rep["mutants"])
    return 0 if ok and rep["mutants"] else 1
