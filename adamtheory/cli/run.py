"""``adamtheory run``: one configuration on a problem, its final iterate, metrics and label."""

from __future__ import annotations

from ..errors import InputError
from .args import (
    FORMATTER,
    add_spec_arguments,
    floats,
    json_default,
    problem_from_args,
    short_value,
    spec_from_args,
)

EPILOG = """examples:
  adamtheory run --problem reddi-sec5-online --alpha "0.5/sqrt(t)" --beta 0.9 --theta 0.99 \\
      --steps 100000
  adamtheory run --problem reddi-thm1 --problem-param C=3 --optimizer adam --beta1 0 \\
      --beta2 0.1 --steps 10000
  adamtheory run --problem examples/my_problem.py:make --optimizer adagrad --steps 1000 --json"""

#: Peak bytes per step of ``run --steps T`` (schedule tables, validated and stacked for the
#: engine; measured about 25 B/step), with margin.
RUN_BYTES_PER_STEP = 64


def add_parser(sub) -> None:
    r = sub.add_parser(
        "run",
        help="run one configuration on a catalog problem and label how it ends",
        description="Run one Generic Adam configuration on a problem (a catalog name or "
        "path/to/file.py:factory) and print the final iterate, metrics and label.",
        epilog=EPILOG, formatter_class=FORMATTER)
    r.add_argument("--problem", required=True, metavar="NAME",
                   help="catalog name or file.py:factory")
    r.add_argument("--problem-param", action="append", metavar="NAME=VALUE",
                   help="a parameter of the problem, e.g. C=3 (repeatable)")
    add_spec_arguments(r)
    r.add_argument("--steps", type=int, required=True, help="number of steps T")
    r.add_argument("--seed", type=int, default=0, help="seed of the stochastic oracle (default 0)")
    r.add_argument("--x0", metavar="X", help="starting point: a number or comma-separated numbers")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from ..conditions import validate
    from ..limits import check_int, dumps, require_memory
    from ..simulate import simulate

    steps = check_int(args.steps, "--steps", 1, 10**9)
    seed = check_int(args.seed, "--seed", 0, 2**63 - 1)
    spec = spec_from_args(args)
    x0 = floats(args.x0, "--x0") if args.x0 is not None else None
    require_memory(RUN_BYTES_PER_STEP * steps, f"--steps {steps}", "give fewer steps")
    problem = problem_from_args(args)
    if x0 is not None and len(x0) not in (1, problem.dim):
        raise InputError(f"--x0 has {len(x0)} values; {problem.name} has dimension {problem.dim}")
    notes = []
    validate(spec, steps, notes=notes)
    result = simulate(spec, problem, steps=steps, seed=seed, x0=x0)
    summary = result.summary()
    if args.json:
        if notes:
            summary["notes"] = notes
        print(dumps(summary, indent=2, default=json_default))
    else:
        print(f"{problem.name}: {problem.title}")
        print(f"  α_t = {spec.alpha.describe()}   β_t = {spec.beta.describe()}   "
              f"θ_t = {spec.theta.describe()}   ({spec.name}, eps_mode={spec.eps_mode}, "
              f"amsgrad={spec.amsgrad})")
        final = summary.pop("final")
        for key, value in summary.items():
            print(f"  {key:<14} {short_value(value)}")
        print("  final metrics  " + "  ".join(
            f"{k}={short_value(v) if v is not None else '-'}" for k, v in final.items()))
        for note in notes:
            print(f"  note: {note}")
    return 0
