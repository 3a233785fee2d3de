"""``adamtheory check``: decide SC1-SC4 and the rate of the bound for a schedule."""

from __future__ import annotations

from ..errors import InputError
from .args import FORMATTER, add_spec_arguments, problem_from_args, spec_from_args

EPILOG = """examples:
  adamtheory check --alpha "0.5/sqrt(t)" --beta 0.9 --theta "1 - 0.01/t"
  adamtheory check --optimizer rmsprop --lr 0.01 --beta2 0.99
  adamtheory check --alpha "a*t**(-s)" --beta 0 --theta "1 - 0.01*t**(-r)" \\
      --param a=0.5 --param s=0.5 --param r=1 --json

schedules are expressions in the step t (t = 1, 2, ...) and --param names, with
numbers, + - * / **, parentheses, sqrt, log, exp, min, max, floor."""

#: Peak bytes per step of ``check --numeric-range N`` (float tables of the three schedules and
#: the numeric certificates; measured about 80 B/step), with margin.
CHECK_BYTES_PER_STEP = 120


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="decide the sufficient condition SC1-SC4 and the rate for a schedule",
        description="Decide SC1-SC4 and Σ α_t sqrt(1-θ_t) = o(T α_T) for Generic Adam, "
        "and give the rate of the bound.",
        epilog=EPILOG, formatter_class=FORMATTER)
    add_spec_arguments(p)
    p.add_argument("--numeric-range", type=int, default=10**6, metavar="N",
                   help="steps 1..N for range checks and numeric certificates (default 10^6)")
    p.add_argument("--numeric-only", action="store_true",
                   help="skip sympy; numeric certificates only")
    p.add_argument("--problem", default=None,
                   help="a catalog problem whose constants (G, L, d) give the floor of the bound "
                        "a number when the verdict has one (constant θ)")
    p.add_argument("--problem-param", action="append", metavar="NAME=VALUE",
                   help="a parameter of --problem (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--torch", metavar="FILE.py:NAME", default=None,
                   help="verdicts for a torch optimizer: NAME() in FILE.py returns an optimizer "
                        "or (optimizer, scheduler) (needs adamtheory[torch])")
    p.add_argument("--horizon", type=int, default=None, metavar="N",
                   help="with --torch: steps a scheduler without a closed form is sampled on")
    p.set_defaults(func=cmd_check)


def print_verdict(v) -> None:
    """The checker's verdict as a table of conditions, orders, rate and bound."""
    spec = v.spec
    print(f"Generic Adam sufficient condition ({spec.name})")
    print(f"  α_t = {spec.alpha.describe()}   β_t = {spec.beta.describe()}   "
          f"θ_t = {spec.theta.describe()}")
    print()
    rows = [(k, c.status, c.method + (f" t≤{c.range[1]:.0e}" if c.range else ""), c.reason)
            for k, c in v.conditions.items()]
    widths = [max(len(r[i]) for r in rows + [("condition", "status", "method", "")])
              for i in range(3)]
    print(f"  {'condition':<{widths[0]}}  {'status':<{widths[1]}}  {'method':<{widths[2]}}  "
          "reason")
    for r in rows:
        print(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    print()
    print(f"  Σ α_t sqrt(1-θ_t)  {v.sum_order or 'unknown'}")
    print(f"  T α_T              {v.step_order or 'unknown'}")
    print(f"  ratio limit        {v.ratio_limit if v.ratio_limit is not None else 'unknown'}")
    print(f"  rate               {v.rate or '-'}")
    print(f"  bound              {v.bound}")
    print(f"  rests on           {v.theorem or '-'}")
    for note in v.notes:
        print(f"  note: {note}")
    verdict = {True: "converges: every hypothesis of Theorem 1 and of Corollary 1 holds",
               False: "no guarantee: an item above fails (the condition is sufficient, not "
                      "necessary)",
               None: "undecided: see the conditions above"}[v.converges]
    print(f"\n  verdict: {verdict}")


def cmd_check(args) -> int:
    from ..conditions import check
    from ..limits import check_int, dumps, require_memory

    if args.torch is not None:
        try:
            from ..torch.factory import check_factory
        except ImportError as exc:
            if exc.name != "torch":
                raise
            raise InputError("--torch needs PyTorch: pip install 'adamtheory[torch]'") from None
        return check_factory(args.torch, horizon=args.horizon, as_json=args.json)
    args.numeric_range = check_int(args.numeric_range, "--numeric-range", 1000, 10**12)
    spec = spec_from_args(args)
    require_memory(CHECK_BYTES_PER_STEP * args.numeric_range,
                   f"--numeric-range {args.numeric_range}",
                   "give a smaller range (the default is 10^6)")
    if args.problem_param and not args.problem:
        raise InputError("--problem-param needs --problem NAME")
    problem = problem_from_args(args) if args.problem else None
    verdict = check(spec, numeric_range=args.numeric_range, symbolic=not args.numeric_only)
    floor = None
    if problem is not None:
        from ..bounds import generic_floor

        value, reason = generic_floor(verdict, problem)
        floor = {"problem": problem.name, "value": value, "reason": reason or None}
    if args.json:
        d = verdict.to_dict()
        out = {**d.pop("conditions"), **d}
        if floor is not None:
            out["floor_on_problem"] = floor
        print(dumps(out, indent=2, ensure_ascii=False))
    else:
        print_verdict(verdict)
        if floor is not None:
            text = f"{floor['value']:.4g}" if floor["value"] is not None else floor["reason"]
            print(f"  floor on {floor['problem']}: {text}")
    return 0
