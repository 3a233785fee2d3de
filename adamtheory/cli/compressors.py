"""``adamtheory compressors``: the compressors of the parameter-server simulator, with δ (or ω)
and exact bits per message (:mod:`adamtheory.distributed.compressors`)."""

from __future__ import annotations

from ..errors import InputError
from ..limits import dumps
from .args import FORMATTER
from .distributed import MAX_INT

EPILOG = """examples:
  adamtheory compressors --dim 100
  adamtheory compressors --dim 31 --k 3 --levels 8 --json"""


def add_parser(sub) -> None:
    c = sub.add_parser(
        "compressors", help="list the compressors with δ and bits per message",
        description="The compressors of the simulator: declared contraction factor δ (or "
        "variance bound ω for unbiased ones) and exact bits per message for --dim.",
        epilog=EPILOG, formatter_class=FORMATTER)
    c.add_argument("--dim", type=int, default=100, help="message dimension d (default 100)")
    c.add_argument("--k", type=int, default=1, help="k of topk / randk (default 1)")
    c.add_argument("--levels", type=int, default=4, help="levels s of qsgd (default 4)")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_compressors)


def cmd_compressors(args) -> int:
    from ..distributed.compressors import NAMES, get

    if not 1 <= args.dim <= 10**9:
        raise InputError(f"--dim must be between 1 and 10^9, got {args.dim}")
    if not (1 <= args.k <= MAX_INT and 1 <= args.levels <= 2**20):
        raise InputError(f"--k must be in [1, {MAX_INT}] and --levels in [1, 2^20], got "
                         f"{args.k} and {args.levels}")
    rows = []
    for n in NAMES:
        q = get(n, k=args.k, s=args.levels)
        rows.append({"name": n, "delta": q.delta(args.dim), "omega": q.omega(args.dim),
                     "unbiased": q.unbiased, "bits_per_message": q.bits(args.dim),
                     "bits_per_coordinate": q.bits(args.dim) / args.dim})
    if args.json:
        print(dumps({"dim": args.dim, "k": args.k, "levels": args.levels,
                          "compressors": rows}, indent=2))
        return 0
    print(f"compressors for d = {args.dim} (k = {args.k}, levels = {args.levels}); "
          "δ in E||Q(x)-x||² <= (1-δ)||x||², ω in E||Q(x)-x||² <= ω||x||² (unbiased)")
    print(f"  {'name':<12} {'δ':>12} {'ω':>10} {'bits/message':>13} {'bits/coord':>11}")
    for r in rows:
        dl = "-" if r["delta"] is None else f"{r['delta']:.12g}"
        om = "-" if r["omega"] is None else f"{r['omega']:.4g}"
        if r["name"] == "scaled_sign":
            dl = f">={r['delta']:.4g}"
        print(f"  {r['name']:<12} {dl:>12} {om:>10} {r['bits_per_message']:>13} "
              f"{r['bits_per_coordinate']:>11.4g}")
    return 0
