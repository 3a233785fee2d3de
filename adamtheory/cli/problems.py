"""``adamtheory problems``: the counterexample catalog."""

from __future__ import annotations

import json

from .args import FORMATTER


def add_parser(sub) -> None:
    q = sub.add_parser(
        "problems",
        help="list the counterexample catalog",
        description="List the catalog's problems with parameters, assumptions and sources.",
        epilog="examples:\n  adamtheory problems\n  adamtheory problems --json",
        formatter_class=FORMATTER)
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_problems)


def cmd_problems(args) -> int:
    import counterexamples

    rows = []
    for name in counterexamples.names():
        p = counterexamples.get(name)
        params = ", ".join(f"{k}={v:g}" for k, v in zip(p.param_names, p.params))
        held = " ".join(k for k, v in sorted(p.assumptions.items()) if v) or "-"
        kind = "online" if p.online else ("stochastic" if p.stochastic else "deterministic")
        rows.append({"name": name, "title": p.title, "dim": p.dim, "kind": kind,
                     "params": params, "assumptions": held, "source": p.source})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{w}}  d={r['dim']:<4} {r['kind']:<13} {r['title']}")
        print(f"{'':<{w}}  params: {r['params'] or '-'}; assumptions held: {r['assumptions']}")
        print(f"{'':<{w}}  source: {r['source']}")
    return 0
