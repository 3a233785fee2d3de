"""Command-line interface: a thin layer over the library.

Errors caused by the user's input print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from . import __version__
from .errors import InputError

EXAMPLES = {
    "main": """examples:
  adamtheory check --alpha "0.5/sqrt(t)" --beta 0.9 --theta "1 - 0.01/t"
  adamtheory check --optimizer adam --lr 0.001 --beta1 0.9 --beta2 0.999
  adamtheory check --alpha "a*t**(-s)" --beta 0.9 --theta "1 - 0.01*t**(-r)" \\
      --param a=0.5 --param s=0.5 --param r=1 --json""",
    "check": """examples:
  adamtheory check --alpha "0.5/sqrt(t)" --beta 0.9 --theta "1 - 0.01/t"
  adamtheory check --optimizer rmsprop --lr 0.01 --beta2 0.99
  adamtheory check --alpha "a*t**(-s)" --beta 0 --theta "1 - 0.01*t**(-r)" \\
      --param a=0.5 --param s=0.5 --param r=1 --json

schedules are expressions in the step t (t = 1, 2, ...) and --param names, with
numbers, + - * / **, parentheses, sqrt, log, exp, min, max, floor.""",
}


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message and exit status 2."""

    def error(self, message):
        raise InputError(f"{message} (see '{self.prog} --help')")


def _parse_param(text: str, flag: str = "--param") -> tuple[str, str]:
    if "=" not in text:
        raise InputError(f"{flag} {text[:40]!r}: write NAME=VALUE, e.g. {flag} s=0.5")
    name, value = text.split("=", 1)
    return name.strip(), value.strip()


def _spec_from_args(args):
    from .specs import OptimizerSpec, named

    schedule_given = any(x is not None for x in (args.alpha, args.beta, args.theta))
    if args.optimizer and schedule_given:
        raise InputError("give either --optimizer or --alpha/--beta/--theta, not both")
    variant = {}
    if args.amsgrad:
        variant["amsgrad"] = None if args.amsgrad == "none" else args.amsgrad
    if args.optimizer:
        spec = named(
            args.optimizer, lr=args.lr, beta1=args.beta1, beta2=args.beta2,
            eps=args.eps, lr_decay=args.lr_decay,
        )
    else:
        missing = [n for n in ("alpha", "beta", "theta") if getattr(args, n) is None]
        if missing:
            raise InputError(
                f"missing --{missing[0]}; give --alpha, --beta and --theta, or --optimizer NAME"
            )
        for flag in ("lr", "beta1", "beta2", "lr_decay"):
            if getattr(args, flag) is not None:
                raise InputError(f"--{flag.replace('_', '-')} goes with --optimizer; put it in the schedules instead")
        params = dict(_parse_param(p) for p in args.param or [])
        spec = OptimizerSpec.from_text(
            args.alpha, args.beta, args.theta, params=params,
            eps=1e-8 if args.eps is None else args.eps,
        )
        unused = [k for k in params if not any(
            k in s.free_parameters or k in dict(s.params) for s in (spec.alpha, spec.beta, spec.theta)
        )]
        if unused:
            raise InputError(f"--param {unused[0]} is not used by any schedule; remove it or use it")
    if args.variant:
        spec = spec.with_variant(args.variant)
    if variant:
        from dataclasses import replace

        spec = replace(spec, **variant)
    return spec


def _print_verdict(v) -> None:
    spec = v.spec
    print(f"Generic Adam sufficient condition ({spec.name})")
    print(f"  α_t = {spec.alpha.describe()}   β_t = {spec.beta.describe()}   θ_t = {spec.theta.describe()}")
    print()
    rows = [(k, c.status, c.method + (f" t≤{c.range[1]:.0e}" if c.range else ""), c.reason)
            for k, c in v.conditions.items()]
    widths = [max(len(r[i]) for r in rows + [("condition", "status", "method", "")]) for i in range(3)]
    print(f"  {'condition':<{widths[0]}}  {'status':<{widths[1]}}  {'method':<{widths[2]}}  reason")
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
               False: "no guarantee: an item above fails (the condition is sufficient, not necessary)",
               None: "undecided: see the conditions above"}[v.converges]
    print(f"\n  verdict: {verdict}")


#: Peak bytes per step of ``check --numeric-range N`` (float tables of the three schedules and
#: the numeric certificates; measured about 80 B/step) and of ``run --steps T`` (schedule tables,
#: validated and stacked for the engine; measured about 25 B/step), with margin.
CHECK_BYTES_PER_STEP = 120
RUN_BYTES_PER_STEP = 64


def cmd_check(args) -> int:
    from .conditions import check
    from .limits import check_int, require_memory

    args.numeric_range = check_int(args.numeric_range, "--numeric-range", 1000, 10**12)
    spec = _spec_from_args(args)
    require_memory(CHECK_BYTES_PER_STEP * args.numeric_range, f"--numeric-range {args.numeric_range}",
                   "give a smaller range (the default is 10^6)")
    if args.problem_param and not args.problem:
        raise InputError("--problem-param needs --problem NAME")
    problem = _problem_from_args(args) if args.problem else None
    verdict = check(spec, numeric_range=args.numeric_range, symbolic=not args.numeric_only)
    floor = None
    if problem is not None:
        from .bounds import generic_floor

        value, reason = generic_floor(verdict, problem)
        floor = {"problem": problem.name, "value": value, "reason": reason or None}
    if args.json:
        d = verdict.to_dict()
        out = {**d.pop("conditions"), **d}
        if floor is not None:
            out["floor_on_problem"] = floor
        from .limits import dumps

        print(dumps(out, indent=2, ensure_ascii=False))
    else:
        _print_verdict(verdict)
        if floor is not None:
            text = f"{floor['value']:.4g}" if floor["value"] is not None else floor["reason"]
            print(f"  floor on {floor['problem']}: {text}")
    return 0


def _problem_from_args(args):
    import counterexamples

    import math

    params = {}
    for text in args.problem_param or []:
        name, value = _parse_param(text, "--problem-param")
        try:
            params[name] = int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            raise InputError(f"--problem-param {text[:40]!r}: {value[:30]!r} is not a number") from None
        v = params[name]
        if isinstance(v, float) and not math.isfinite(v) or isinstance(v, int) and abs(v) > 2**53:
            raise InputError(f"--problem-param {name}: {value[:30]!r} is not a finite number "
                             "of moderate size (|value| <= 2^53)")
    return counterexamples.get(args.problem, **params)


def _floats(text: str, what: str):
    import math

    try:
        out = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"{what} {text[:40]!r}: give a number or comma-separated numbers") from None
    if not all(math.isfinite(v) for v in out):
        raise InputError(f"{what} {text[:40]!r}: every value must be a finite number")
    return out


def cmd_run(args) -> int:
    from .conditions import validate
    from .simulate import simulate

    from .limits import check_int, dumps, require_memory

    steps = check_int(args.steps, "--steps", 1, 10**9)
    seed = check_int(args.seed, "--seed", 0, 2**63 - 1)
    spec = _spec_from_args(args)
    x0 = _floats(args.x0, "--x0") if args.x0 is not None else None
    require_memory(RUN_BYTES_PER_STEP * steps, f"--steps {steps}", "give fewer steps")
    problem = _problem_from_args(args)
    if x0 is not None and len(x0) not in (1, problem.dim):
        raise InputError(f"--x0 has {len(x0)} values; {problem.name} has dimension {problem.dim}")
    notes = []
    validate(spec, steps, notes=notes)
    result = simulate(spec, problem, steps=steps, seed=seed, x0=x0)
    summary = result.summary()
    if args.json:
        if notes:
            summary["notes"] = notes
        print(dumps(summary, indent=2, default=_json_default))
    else:
        print(f"{problem.name}: {problem.title}")
        print(f"  α_t = {spec.alpha.describe()}   β_t = {spec.beta.describe()}   θ_t = {spec.theta.describe()}"
              f"   ({spec.name}, eps_mode={spec.eps_mode}, amsgrad={spec.amsgrad})")
        final = summary.pop("final")
        for key, value in summary.items():
            print(f"  {key:<14} {_short_value(value)}")
        print("  final metrics  " + "  ".join(
            f"{k}={_short_value(v) if v is not None else '-'}" for k, v in final.items()))
        for note in notes:
            print(f"  note: {note}")
    return 0


def _json_default(o):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    return str(o)


def _short_value(v):
    import numpy as np

    if isinstance(v, (list, tuple, np.ndarray)):
        a = np.asarray(v, dtype=float).ravel()
        body = ", ".join(f"{x:.6g}" for x in a[:6])
        return f"[{body}{', ...' if a.size > 6 else ''}]"
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


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


def cmd_demo(args) -> int:
    from .demo import run_demo
    from .limits import check_int, check_output_dir

    workers = check_int(args.workers, "--workers", 1, 1024)
    run_demo(check_output_dir(args.out), quick=args.quick, workers=workers)
    return 0


def _add_spec_arguments(p) -> None:
    """The arguments that define an OptimizerSpec (shared by check and run)."""
    g = p.add_argument_group("schedules")
    g.add_argument("--alpha", metavar="TEXT", help="base learning rate α_t, e.g. '0.5/sqrt(t)'")
    g.add_argument("--beta", metavar="TEXT", help="first-moment weight β_t, e.g. '0.9'")
    g.add_argument("--theta", metavar="TEXT", help="second-moment weight θ_t, e.g. '1 - 0.01/t'")
    g.add_argument("--param", action="append", metavar="NAME=VALUE", help="value of a named parameter (repeatable)")
    n = p.add_argument_group("named optimizer")
    n.add_argument("--optimizer", metavar="NAME", help="adam, rmsprop, adagrad, adaema (adafom), adamnc, amsgrad")
    n.add_argument("--lr", type=float, help="base learning rate α")
    n.add_argument("--beta1", type=float, help="first-moment weight")
    n.add_argument("--beta2", type=float, help="second-moment weight (constant θ)")
    n.add_argument("--lr-decay", choices=["sqrt", "constant"], help="α_t = lr/sqrt(t) (default) or lr")
    p.add_argument("--eps", type=float, default=None, help="ε (v_0 = ε in the generic form; default 1e-8)")
    p.add_argument("--variant", choices=["generic", "torch", "optax", "keras"], help="framework variant")
    p.add_argument("--amsgrad", choices=["none", "torch", "optax", "reddi"], help="AMSGrad variant (outside the family)")


#: Subcommands defined next to the library code they drive: (module, function); each function
#: adds its parser to the subparsers and sets ``func`` to its handler.
SUBCOMMANDS = (
    (".sweep.cli", "add_sweep_parser"),
    (".plotting.cli", "add_plot_parser"),
    (".figures", "add_figures_parser"),
    (".prove_cli", "add_prove_parser"),
    (".federated.cli", "add_federated_parser"),
    (".distributed.cli", "add_distributed_parser"),
)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="adamtheory",
        description="The convergence theory of Adam-type optimizers: check, run, plot.",
        epilog=EXAMPLES["main"],
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"adamtheory {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "check",
        help="decide the sufficient condition SC1-SC4 and the rate for a schedule",
        description="Decide SC1-SC4 and Σ α_t sqrt(1-θ_t) = o(T α_T) for Generic Adam, "
        "and give the rate of the bound.",
        epilog=EXAMPLES["check"],
        formatter_class=fmt,
    )
    _add_spec_arguments(p)
    p.add_argument("--numeric-range", type=int, default=10**6, metavar="N",
                   help="steps 1..N for range checks and numeric certificates (default 10^6)")
    p.add_argument("--numeric-only", action="store_true", help="skip sympy; numeric certificates only")
    p.add_argument("--problem", default=None,
                   help="a catalog problem whose constants (G, L, d) give the floor of the bound a number "
                        "when the verdict has one (constant θ)")
    p.add_argument("--problem-param", action="append", metavar="NAME=VALUE",
                   help="a parameter of --problem (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_check)

    r = sub.add_parser(
        "run",
        help="run one configuration on a catalog problem and label how it ends",
        description="Run one Generic Adam configuration on a problem (a catalog name or "
        "path/to/file.py:factory) and print the final iterate, metrics and label.",
        epilog="""examples:
  adamtheory run --problem reddi-sec5-online --alpha "0.5/sqrt(t)" --beta 0.9 --theta 0.99 --steps 100000
  adamtheory run --problem reddi-thm1 --problem-param C=3 --optimizer adam --beta1 0 --beta2 0.1 --steps 10000
  adamtheory run --problem examples/my_problem.py:make --optimizer adagrad --steps 1000 --json""",
        formatter_class=fmt,
    )
    r.add_argument("--problem", required=True, metavar="NAME", help="catalog name or file.py:factory")
    r.add_argument("--problem-param", action="append", metavar="NAME=VALUE",
                   help="a parameter of the problem, e.g. C=3 (repeatable)")
    _add_spec_arguments(r)
    r.add_argument("--steps", type=int, required=True, help="number of steps T")
    r.add_argument("--seed", type=int, default=0, help="seed of the stochastic oracle (default 0)")
    r.add_argument("--x0", metavar="X", help="starting point: a number or comma-separated numbers")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=cmd_run)

    q = sub.add_parser(
        "problems",
        help="list the counterexample catalog",
        description="List the catalog's problems with parameters, assumptions and sources.",
        epilog="examples:\n  adamtheory problems\n  adamtheory problems --json",
        formatter_class=fmt,
    )
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_problems)

    for module, function in SUBCOMMANDS:
        getattr(importlib.import_module(module, __package__), function)(sub, fmt)

    d = sub.add_parser(
        "demo",
        help="the checker's verdicts for named optimizers, an (s, r) map and a Section 5 replay",
        description="Run the checker on the named optimizers and on an (s, r) grid of the "
        "polynomial family; write verdicts.json and theory_map.png.",
        epilog="examples:\n  adamtheory demo -o out\n  adamtheory demo --quick -o out",
        formatter_class=fmt,
    )
    d.add_argument("-o", "--out", default="out", help="output directory (default: out)")
    d.add_argument("--quick", action="store_true", help="a coarse grid (a few seconds)")
    d.add_argument("--workers", type=int, default=2, help="processes for the grid (default 2)")
    d.set_defaults(func=cmd_demo)
    return parser


def _user_errors() -> tuple:
    from counterexamples.errors import ProblemError

    return (InputError, ProblemError)


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _os_error(exc: OSError) -> str:
    """One line for an OSError (a path that cannot be read or written)."""
    where = f" {str(exc.filename)[:120]!r}" if exc.filename is not None else ""
    return f"cannot access{where}: {exc.strerror or type(exc).__name__}"


def main(argv=None) -> int:
    """Run the CLI; user errors print one line to stderr and return 2.

    numpy's floating-point RuntimeWarnings (overflow in a diverging run, 0/0 in a metric) are
    not printed: the results report non-finite values themselves (labels, ``null`` in JSON).
    An OSError (an output path that cannot be written, a file that cannot be read) and a
    MemoryError are the user's environment, not a bug: one line, status 2.
    """
    import warnings

    import numpy as np

    parser = build_parser()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            args = parser.parse_args(argv)
            if not getattr(args, "command", None):
                parser.print_help()
                return 2
            return args.func(args)
    except _user_errors() as exc:
        print(f"adamtheory: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"adamtheory: error: {_one_line(_os_error(exc))}", file=sys.stderr)
        return 2
    except MemoryError:
        print("adamtheory: error: out of memory; make the request smaller (fewer steps, a "
              "smaller dimension or grid)", file=sys.stderr)
        return 2
    except RecursionError:
        print("adamtheory: error: the input is nested too deeply to be processed; simplify it",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("adamtheory: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, not a traceback
        if os.environ.get("ADAMTHEORY_DEBUG"):
            raise
        print(f"adamtheory: internal error: {type(exc).__name__}: {_one_line(exc, 300)} "
              "(set ADAMTHEORY_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
