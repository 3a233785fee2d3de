"""``adamtheory distributed``: run the parameter-server simulator on every combination of the
given settings. A thin layer over :mod:`adamtheory.distributed.sweep_plugin`.
"""

from __future__ import annotations

import itertools
import math

from ..errors import InputError
from ..limits import dumps, require_memory
from .args import FORMATTER

#: Largest integer setting accepted (k, levels, workers, d: the simulator's int32 loops).
MAX_INT = 2**31 - 1
#: Bytes per coordinate per worker per run held by the simulator (iterate, moments, error
#: feedback, messages, sampled gradients), with margin.
STATE_BYTES = 16 * 8

EPILOG = """examples:
  adamtheory distributed --problem nonconvex-separable --workers 1,4,16 --steps 20000
  adamtheory distributed --compressor scaled_sign --placement worker-adam --ef-worker true \\
      --ef-server true --workers 4 --d 100 --target 0.5 --json
  adamtheory distributed --problem ef-least-squares --compressor sign --downlink identity64 \\
      --beta 0 --theta 0 --eps 1 --lr 0.05 --ef-worker false,true

every flag takes one value or a comma-separated list; the configurations are all combinations.
the update and the placements: docs/distributed.md."""

def _values(name: str, kind, text: str) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        if isinstance(kind, tuple):
            if part not in kind:
                raise InputError(f"--{name.replace('_', '-')} {part!r}: use one of "
                                 f"{', '.join(kind)}")
            out.append(part)
        elif kind == "bool":
            if part.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise InputError(f"--{name.replace('_', '-')} {part!r}: give true or false")
            out.append(part.lower() in ("true", "1", "yes"))
        else:
            flag = f"--{name.replace('_', '-')} {part[:30]!r}"
            try:
                v = float(part)
            except ValueError:
                raise InputError(f"{flag}: give a number or comma-separated numbers") from None
            if not math.isfinite(v):
                raise InputError(f"{flag}: give a finite number")
            if kind == "int":
                if v != int(v):
                    raise InputError(f"{flag}: give an integer")
                if abs(v) > MAX_INT:
                    raise InputError(f"{flag}: give an integer of at most {MAX_INT}")
                v = int(v)
            out.append(v)
    return out


def cmd_distributed(args) -> int:
    import numpy as np

    from ..distributed.sweep_plugin import FINALS, PARAMS, compute, validate

    if not 1 <= args.steps <= 10**8:
        raise InputError(f"--steps must be between 1 and 10^8, got {args.steps}")
    if not 1 <= args.seeds <= 1000:
        raise InputError(f"--seeds must be between 1 and 1000, got {args.seeds}")
    lists = {}
    for name, (kind, default, _) in PARAMS.items():
        text = getattr(args, name)
        lists[name] = [default] if text is None else _values(name, kind, text)
    combos = [dict(zip(lists, c)) for c in itertools.product(*lists.values())]
    if len(combos) > 256:
        raise InputError(f"{len(combos)} configurations; give at most 256 (use a sweep file "
                         "for more: adamtheory sweep adamtheory/figures/sweeps/dist_speedup.toml)")
    for c in combos:
        try:
            validate(c)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    seeds = np.arange(args.seeds)
    need = sum(STATE_BYTES * (c["workers"] + 2) * c["d"] + 64 * 8 * c["d"] for c in combos) \
        * args.seeds
    require_memory(need, f"{len(combos)} configurations x {args.seeds} seeds",
                   "reduce --workers, --d or --seeds")
    st = {k: np.array([c[k] for c in combos for _ in seeds]) for k in PARAMS}
    ck = np.unique(np.r_[np.round(np.geomspace(1, args.steps, 20)).astype(np.int64),
                         args.steps])
    res = compute(st, np.tile(seeds, len(combos)), args.steps, ck)
    varying = [k for k, v in lists.items() if len(v) > 1]
    rows = []
    ns = seeds.size
    for i, c in enumerate(combos):
        sl = slice(i * ns, (i + 1) * ns)
        it = res["iters_to_target"][sl]
        rows.append({
            "settings": {k: c[k] for k in (varying or ["problem", "workers"])},
            "bits_up": float(res["bits_up"][sl, -1].mean()),
            "bits_down": float(res["bits_down"][sl, -1].mean()),
            "gnorm": float(res["gnorm"][sl, -1].mean()),
            "gnorm_avg": float(res["gnorm_avg"][sl, -1].mean()),
            "fgap": float(res["fgap"][sl, -1].mean()),
            "iters_to_target": [None if not np.isfinite(v) else int(v) for v in it],
            "reached": int(np.isfinite(it).sum())})
    if args.json:
        print(dumps({"steps": args.steps, "seeds": int(ns), "target_measure":
                          FINALS["iters_to_target"], "fixed": {k: v[0] for k, v in lists.items()
                                                               if len(v) == 1},
                          "runs": rows}, indent=2))
        return 0
    fixed = ", ".join(f"{k}={v[0]}" for k, v in lists.items() if len(v) == 1 and k in (
        "problem", "workers", "batch", "compressor", "downlink", "placement", "ef_worker",
        "ef_server", "lr", "target"))
    print(f"parameter-server simulator, {args.steps} rounds, {ns} seed(s): {fixed}")
    print(f"  {'configuration':<40} {'bits up':>12} {'bits down':>12} {'||∇f||':>10} "
          f"{'avg ||∇f||':>10} {'f - f*':>10}  iterations to target (per seed)")
    for r in rows:
        lab = ", ".join(f"{k}={v}" for k, v in r["settings"].items())
        its = " ".join("-" if v is None else str(v) for v in r["iters_to_target"])
        print(f"  {lab:<40} {r['bits_up']:>12.4g} {r['bits_down']:>12.4g} {r['gnorm']:>10.4g} "
              f"{r['gnorm_avg']:>10.4g} {r['fgap']:>10.4g}  {its}")
    return 0


def add_parser(sub) -> None:
    from ..distributed.settings import PARAMS

    p = sub.add_parser(
        "distributed", help="run the parameter-server simulator (distributed Adam, "
        "Efficient-Adam with compression and error feedback)",
        description="Run distributed / mini-batch Adam and Efficient-Adam on a catalog problem "
        "and print bits sent, gradient norms and iterations to the target.",
        epilog=EPILOG, formatter_class=FORMATTER)
    for name, (kind, default, help_) in PARAMS.items():
        choices = f" ({', '.join(kind)})" if isinstance(kind, tuple) else ""
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="V[,V...]",
                       help=f"{help_}{choices}; default {default}")
    p.add_argument("--steps", type=int, default=2000, help="rounds (default 2000)")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..n-1 (default 1)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_distributed)
