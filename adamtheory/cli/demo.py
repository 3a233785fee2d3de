"""``adamtheory demo``: the checker's verdicts for named optimizers, an (s, r) map, a replay."""

from __future__ import annotations

from .args import FORMATTER


def add_parser(sub) -> None:
    d = sub.add_parser(
        "demo",
        help="the checker's verdicts for named optimizers, an (s, r) map and a Section 5 replay",
        description="Run the checker on the named optimizers and on an (s, r) grid of the "
        "polynomial family; write verdicts.json and theory_map.png.",
        epilog="examples:\n  adamtheory demo -o out\n  adamtheory demo --quick -o out",
        formatter_class=FORMATTER)
    d.add_argument("-o", "--out", default="out", help="output directory (default: out)")
    d.add_argument("--quick", action="store_true", help="a coarse grid (a few seconds)")
    d.add_argument("--workers", type=int, default=2, help="processes for the grid (default 2)")
    d.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from ..demo import run_demo
    from ..limits import check_int, check_output_dir

    workers = check_int(args.workers, "--workers", 1, 1024)
    run_demo(check_output_dir(args.out), quick=args.quick, workers=workers)
    return 0
