"""``adamtheory federated``: run the federated algorithms for one setting, print a table.

A thin layer over :func:`adamtheory.federated.simulator.run_many`; ``--tuned`` reads the rates of
:data:`adamtheory.federated.tuned.TUNED`.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..limits import dumps, require_memory
from .args import FORMATTER

#: Largest value of an integer flag (M, S, K, batch, dim, n_local).
MAX_INT = 2**31 - 1

EPILOG = """examples:
  adamtheory federated --problem digits --alpha 0.1 --rounds 100
  adamtheory federated --problem lsq --zeta 3 --algorithms fedavg,fedlada --a 0.3 --json
  adamtheory federated --problem digits --alpha 0 --tuned     (each algorithm at its tuned rates)

alpha is the Dirichlet concentration of the label skew (0 means IID); zeta the spread of the
least-squares client optima. Rates default to the same lr_local / lr_global for every algorithm;
--tuned uses the rates of figures (i)-(j) (adamtheory.federated.tuned.TUNED). The amendment
weight a multiplies FedLADA's adaptive step a*m/sqrt(vhat) (and FedCM's gradient); the global
offset gets 1 - a. Sweep any of these with a sweep file (examples/fed_*.toml)."""

FLOAT_FLAGS = ("alpha", "zeta", "lr_local", "lr_global", "a", "beta1", "beta2", "eps", "l2",
               "noise", "target")
INT_FLAGS = ("M", "S", "K", "batch", "dim", "n_local")


def add_parser(sub) -> None:
    from ..federated.settings import ALGORITHMS, PARAMS, PROBLEMS

    p = sub.add_parser(
        "federated", help="FedLADA against FedAvg, FedAdam, local Adam, FedCM, SCAFFOLD",
        description="Run the federated algorithms on one setting and print final loss, "
        "accuracy, drift and rounds to target (means over the seeds).",
        epilog=EPILOG, formatter_class=FORMATTER)
    p.add_argument("--problem", choices=PROBLEMS, default="digits", help="default: digits")
    p.add_argument("--algorithms", default=",".join(ALGORITHMS),
                   help=f"comma-separated subset of {','.join(ALGORITHMS)} (default: all)")
    p.add_argument("--rounds", type=int, default=100, help="communication rounds (default 100)")
    p.add_argument("--seeds", type=int, default=2, help="number of seeds (default 2)")
    p.add_argument("--tuned", action="store_true",
                   help="each algorithm at its tuned rates (overrides --lr-local/--lr-global)")
    for name in INT_FLAGS + FLOAT_FLAGS:
        kind, default, help_ = PARAMS[name]
        p.add_argument("--" + name.replace("_", "-"), dest=name,
                       type=int if kind == "int" else float, default=None,
                       help=help_ if default is None else f"{help_} (default {default})")
    p.add_argument("--linear-scaling", action="store_true", help=PARAMS["linear_scaling"][2])
    p.add_argument("--no-carry-v", dest="carry_v", action="store_false",
                   help="FedLADA / local Adam: start every round's second moments at eps^2 "
                   "instead of the server's averaged vhat")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--backend", choices=("numba", "flower"), default="numba",
                   help="numba: the simulator (default); flower: the same experiment on flwr's "
                   "simulation engine (adamtheory.flower: fedlada, fedcm, local-adam, fedadam; "
                   "needs adamtheory[flower] and Ray)")
    p.set_defaults(func=cmd_federated)


def _num(v):
    """A number for the output: None when missing or not finite (a diverged run)."""
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


def _fmt(v, spec: str) -> str:
    """``v`` formatted with ``spec``, or 'diverged' when it is None (not finite)."""
    return "diverged" if v is None else format(v, spec)


def _memory_bytes(c: dict, rounds: int, n_seeds: int) -> float:
    """Bytes a configuration holds (data of every client and per-client states), per seed."""
    from ..federated.settings import PARAMS

    g = {k: (c.get(k) if c.get(k) is not None else PARAMS[k][1]) for k in ("M", "dim", "n_local")}
    if c.get("problem", "digits") == "digits":
        data = 1797 * 65 * 8
        dim = 650
    else:
        dim = int(g["dim"])
        data = int(g["M"]) * int(g["n_local"]) * (dim + 1) * 8
    states = 12 * (int(g["M"]) + 4) * dim * 8
    return n_seeds * (data + states) + 64 * rounds


def cmd_federated(args) -> int:
    from ..federated.settings import ALGORITHMS
    from ..federated.simulator import run_many
    from ..federated.tuned import TUNED

    algs = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    if args.backend == "flower":
        try:
            from ..flower.experiment import ALGORITHMS as FLOWER
            from ..flower.experiment import run_many
        except ImportError:
            raise InputError('--backend flower needs Flower: pip install "adamtheory[flower]"'
                             ) from None
        if args.algorithms == ",".join(ALGORITHMS):  # the default: those with a strategy
            algs = [a for a in algs if a in FLOWER]
        if [a for a in algs if a not in FLOWER]:
            raise InputError(f"--backend flower runs {','.join(FLOWER)}; give --algorithms "
                             "from these")
    bad = [a for a in algs if a not in ALGORITHMS]
    if bad or not algs:
        raise InputError(f"--algorithms: unknown {bad or 'empty list'}; choose from "
                         f"{','.join(ALGORITHMS)}")
    if not (1 <= args.rounds <= 10**7 and 1 <= args.seeds <= 1000):
        raise InputError(f"--rounds must be in [1, 10^7] and --seeds in [1, 1000], got "
                         f"{args.rounds} and {args.seeds}")
    for k in INT_FLAGS:
        v = getattr(args, k)
        if v is not None and not -MAX_INT <= v <= MAX_INT:
            raise InputError(f"--{k.replace('_', '-')} {v}: give an integer of at most {MAX_INT}")
    for k in FLOAT_FLAGS:
        v = getattr(args, k)
        if v is not None and not math.isfinite(v):
            raise InputError(f"--{k.replace('_', '-')} {v}: give a finite number")
    common = {k: getattr(args, k) for k in INT_FLAGS + FLOAT_FLAGS
              if getattr(args, k) is not None}
    common["problem"] = args.problem
    common["linear_scaling"] = bool(args.linear_scaling)
    common["carry_v"] = bool(args.carry_v)
    cfgs = []
    for a in algs:
        c = dict(common, algorithm=a)
        if args.tuned:
            c["lr_local"], c["lr_global"] = TUNED[args.problem][a]
        cfgs.append(c)
    seeds = np.arange(args.seeds)
    require_memory(len(cfgs) * _memory_bytes(common, args.rounds, args.seeds),
                   f"{len(cfgs)} algorithms x {args.seeds} seeds at this size",
                   "reduce --dim, --M, --n-local or --seeds")
    out = run_many(cfgs, args.rounds, seeds=seeds, checkpoints=[args.rounds])
    ns = seeds.size
    rows = []
    for i, c in enumerate(cfgs):
        sl = slice(i * ns, (i + 1) * ns)
        rt = out["rounds_to_target"][sl]
        rows.append({
            "algorithm": c["algorithm"],
            "final_loss": _num(float(np.mean(out["loss"][sl, -1]))),
            "final_gap": _num(float(np.mean(out["gap"][sl, -1]))),
            "accuracy": _num(float(np.mean(out["accuracy"][sl, -1]))),
            "mean_drift": _num(float(np.mean(out["mean_drift"][sl]))),
            "rounds_to_target": _num(float(np.mean(rt))) if np.all(np.isfinite(rt)) else None,
            "reached": int(np.isfinite(rt).sum()),
        })
    if args.json:
        print(dumps({"settings": {**common, "rounds": args.rounds, "seeds": int(ns),
                                       "tuned": bool(args.tuned)}, "results": rows}, indent=2))
        return 0
    err = "final gap" if args.problem == "lsq" else "accuracy"
    print(f"{'algorithm':<11} {'final loss':>11} {err:>10} {'mean drift':>11} "
          f"{'rounds to target':>17}")
    for r in rows:
        e = r["final_gap"] if args.problem == "lsq" else r["accuracy"]
        rt = (f"{r['rounds_to_target']:.1f}" if r["rounds_to_target"] is not None
              else f"not reached ({r['reached']}/{ns})")
        print(f"{r['algorithm']:<11} {_fmt(r['final_loss'], '>11.4g'):>11} {_fmt(e, '>10.4g'):>10} "
              f"{_fmt(r['mean_drift'], '>11.4g'):>11} {rt:>17}")
    return 0
