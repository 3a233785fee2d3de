"""``adamtheory bound``: a convergence bound for a spec and a problem (:mod:`adamtheory.bounds`),
with the measured left-hand side of a sweep beside it.

Examples
--------
::

    adamtheory bound --problem nonconvex-separable --alpha "0.05/sqrt(t)" --beta 0.9 \\
        --theta "1 - 0.5/t" --steps 100000
    adamtheory bound --problem nonconvex-separable --problem-param d=10 --problem-param sigma=0.1 \\
        --alpha "0.1*t**(-s)" --beta 0.9 --theta "1 - 0.1*t**(-r)" --param s=0.5 --param r=1 \\
        --results out/rates
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..errors import InputError
from .args import (
    FORMATTER,
    add_spec_arguments,
    json_default,
    parse_param,
    problem_from_args,
    spec_from_args,
)

EPILOG = """examples:
  adamtheory bound --problem nonconvex-separable --alpha "0.05/sqrt(t)" --beta 0.9 \\
      --theta "1 - 0.5/t" --steps 100000
  adamtheory bound --problem logreg-nonconvex --optimizer adam --lr 0.001 --beta1 0 \\
      --beta2 0.999 --bound defossez-adam --steps 10000
  adamtheory bound --problem reddi-sec5-online --optimizer amsgrad --lr 0.1 --beta1 0.9 \\
      --beta2 0.99 --bound amsgrad --steps 10000
  adamtheory bound --problem nonconvex-separable --problem-param d=10 --problem-param sigma=0.1 \\
      --alpha "0.1*t**(-s)" --beta 0.9 --theta "1 - 0.1*t**(-r)" --param s=0.5 --param r=1 \\
      --results out/rates"""


def add_parser(sub) -> None:
    b = sub.add_parser(
        "bound", help="print a convergence bound for a spec and a problem",
        description="Evaluate a bound (the Generic Adam bound with the derived constants, or "
        "Reddi et al.'s AMSGrad regret bound, or Défossez et al.'s Adam/AdaGrad bounds) for a "
        "spec and a catalog problem, symbolically and at checkpoints; with --results, the "
        "measured left-hand side of a sweep beside it.",
        epilog=EPILOG, formatter_class=FORMATTER)
    b.add_argument("--problem", required=True, metavar="NAME",
                   help="catalog name or file.py:factory")
    b.add_argument("--problem-param", action="append", metavar="NAME=VALUE",
                   help="a parameter of the problem (repeatable)")
    add_spec_arguments(b)
    b.add_argument("--bound", default="generic",
                   choices=["generic", "amsgrad", "defossez-adam", "defossez-adagrad", "all"],
                   help="which bound (default: generic); all: every bound, with the reason for "
                   "those that do not apply")
    b.add_argument("--steps", type=int, metavar="T",
                   help="horizon T (default: the last step of --results)")
    b.add_argument("--results", metavar="DIR", help="a sweep's output directory (results.zarr): "
                   "measured (mean over seeds of grad43)^(3/2) beside the bound")
    b.add_argument("--seed", type=int, default=0, help="seed of the reference run (amsgrad)")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.set_defaults(func=cmd_bound)


def measured_from_results(path, spec_params: dict, problem=None):
    """(steps, measured) from a sweep: (mean over seeds of grad43)^(3/2) for one configuration.

    Grid axes of the sweep are selected with the spec's named parameters (``--param NAME=VALUE``);
    the selection must leave exactly one configuration. With ``problem``, the sweep's problem
    (name and parameters in its sweep file) must be that problem.
    """
    import tomllib

    from ..sweep import open_results

    ds = open_results(path)
    if problem is not None and ds.attrs.get("sweep_toml"):
        sp_ = tomllib.loads(ds.attrs["sweep_toml"]).get("problem", {})
        name = sp_.get("name")
        if name is not None and name != problem.name:
            raise InputError(f"{path} is a sweep on {name!r}, not on {problem.name!r}; give "
                             f"--problem {name}")
        user = problem.meta.get("user_params", {})
        for k, v in sp_.items():
            if (k != "name" and k in user and not isinstance(v, (dict, list))
                    and float(v) != float(user[k])):
                raise InputError(f"{path}: the sweep has {k} = {v}, the problem {k} = {user[k]}; "
                                 f"give --problem-param {k}={v}")
    if "grad43" not in ds:
        raise InputError(f"{path}: the results have no grad43 metric (run the sweep with "
                         "grad_metrics = true)")
    da = ds["grad43"]
    for name in [d for d in da.dims if d not in ("seed", "step")]:
        if name in spec_params:
            val = float(spec_params[name])
            da = da.sel({name: val}, method="nearest")
            got = float(da[name])
            if not math.isclose(got, val, rel_tol=1e-9, abs_tol=1e-12):
                raise InputError(f"--param {name}={val:g} is not on the sweep's grid "
                                 f"(nearest {got:g})")
        elif da.sizes[name] > 1:
            vals = ", ".join(f"{float(v):g}" for v in da[name].values[:6])
            raise InputError(f"the results hold {da.sizes[name]} values of {name} ({vals}, ...); "
                             f"select one with --param {name}=VALUE")
        else:
            da = da.isel({name: 0})
    g = np.asarray(da.mean("seed").values, dtype=float)
    if not np.all(np.isfinite(g)):
        raise InputError(f"{path}: grad43 is not finite for this configuration (a run stopped or "
                         "the metric was off)")
    return np.asarray(da["step"].values, dtype=np.int64), g ** 1.5


#: Peak bytes per step of ``bound --steps T`` (measured about 125 B/step), with margin.
BOUND_BYTES_PER_STEP = 200


def cmd_bound(args) -> int:
    from .. import bounds as B

    spec = spec_from_args(args)
    problem = problem_from_args(args)
    measured = None
    if args.results:
        if args.bound not in ("generic", "all"):
            raise InputError("--results gives the measured (mean grad43)^(3/2), the left-hand side "
                             "of the generic bound only; use --bound generic")
        params = dict(parse_param(p) for p in (args.param or []))
        steps_m, measured = measured_from_results(args.results, params, problem)
        if args.steps is not None:
            keep = steps_m <= args.steps
            steps_m, measured = steps_m[keep], measured[keep]
        if steps_m.size == 0:
            raise InputError("no checkpoint of the results is <= --steps")
        ck = steps_m
    else:
        if args.steps is None:
            raise InputError("give --steps T (or --results DIR to take the steps of a sweep)")
        if not 1 <= args.steps <= 10**8:
            raise InputError(f"--steps must be between 1 and 10^8, got {args.steps}")
        from ..limits import require_memory

        # the bound's schedule tables and reference runs: measured about 125 B per step
        require_memory(BOUND_BYTES_PER_STEP * args.steps, f"--steps {args.steps}",
                       "give fewer steps")
        from ..engine import default_checkpoints

        ck = default_checkpoints(args.steps, 12)
    names = list(B.BOUNDS) if args.bound == "all" else [args.bound]
    results = [B.bound(n, spec, problem, ck, **({"seed": args.seed} if n == "amsgrad" else {}))
               for n in names]
    if args.json:
        outs = []
        for b in results:
            out = b.to_dict()
            out["problem"] = problem.name
            if measured is not None and b.applicable and b.name == "generic":
                out["measured"] = measured.tolist()
                out["ratio"] = (b.values / measured).tolist()
            outs.append(out)
        print(json.dumps(outs if args.bound == "all" else outs[0], default=json_default, indent=1))
        return 0 if any(b.applicable for b in results) else 1
    print(f"problem: {problem.name}; spec: α_t = {spec.alpha}, β_t = {spec.beta}, "
          f"θ_t = {spec.theta}")
    status = [_print_bound(b, measured if b.name == "generic" else None) for b in results]
    return 0 if 0 in status else 1


def _print_bound(b, measured) -> int:
    import sympy as sp

    print(f"\nbound: {b.name} ({b.source})")
    if not b.applicable:
        print(b.reason)
        return 1
    print(f"left-hand side: {b.lhs}")
    keys = [k for k in ("C", "C'", "C''", "C_0", "chi_1", "theta_1", "gamma", "t_0", "K", "K_m",
                        "Delta_f", "G", "L", "R", "alpha", "beta1", "beta2", "D_inf")
            if k in b.constants]
    print("constants: " + ", ".join(f"{k} = {float(b.constants[k]):.6g}" for k in keys))
    if b.expr is not None:
        print(f"right-hand side: {sp.N(b.expr, 6)}")
    head = f"{'T':>10} {'bound':>14}" + (f" {'measured':>14} {'bound/measured':>15}"
                                         if measured is not None else "")
    print(head)
    for i, T in enumerate(b.checkpoints):
        line = f"{int(T):>10} {b.values[i]:>14.6g}"
        if measured is not None:
            line += f" {measured[i]:>14.6g} {b.values[i] / measured[i]:>15.4g}"
        print(line)
    _print_statements(b)
    if measured is not None:
        bad = np.flatnonzero(measured > b.values)
        if bad.size:
            print(f"VIOLATION at T = {int(b.checkpoints[bad[0]])}: measured > bound (a bug in the "
                  "derivation or the engine)")
            return 1
        print(f"measured ≤ bound at all {b.checkpoints.size} checkpoints")
    return 0


def _print_statements(b) -> None:
    """Every statement of the generic bound (Theorem 1; Theorem 2 with τ uniform and τ ∝ α_t):
    its left side, the constants it used and its values (docs/derivations.md §4, §4b)."""
    if len(b.statements) < 2:
        return
    from ..bounds import STATEMENT_TEXT

    default_form = "(C + C' S_T + C'' D_T + C''' V_T)/(T α_T)"
    print("\nstatements (for each left side, the smallest value is a bound on it):")
    for key, cst in b.statement_constants.items():
        shown = ", ".join(f"{k} = {float(v):.6g}" for k, v in cst.items()
                          if isinstance(v, (int, float, np.floating, np.integer)))
        print(f"  {key}: {STATEMENT_TEXT[key]}")
        print(f"    {cst.get('form', default_form)}; {shown}")
    keys = list(b.statements)
    print(f"{'T':>10} " + " ".join(f"{k:>18}" for k in keys))
    for i, T in enumerate(b.checkpoints):
        print(f"{int(T):>10} " + " ".join(f"{b.statements[k][i]:>18.6g}" for k in keys))
