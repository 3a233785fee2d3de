"""The ``adamtheory plot`` subcommand (wired into :mod:`adamtheory.cli` by add_plot_parser)."""

from __future__ import annotations

import argparse

from ..errors import InputError

EPILOG = """examples:
  adamtheory sweep examples/phase_sr_sec5_online_quick.toml -o out/sr
  adamtheory plot phase out/sr --x s --y r --overlay theory --curve r=2s -o sr.png
  adamtheory plot phase out/sr --x s --y r --metric dist -o sr_dist.pdf
  adamtheory plot phase out/beta --x beta2 --y beta1 --overlay SC4 --curve "beta1=sqrt(beta2)" -o beta.svg
  adamtheory plot phase out/rates --x s --y r --facet seed --metric grad43 -o rates.png

Every grid axis other than --x and --y (the seed included) must be sliced (--slice AXIS=VALUE)
or faceted (--facet AXIS); axes with one value are sliced automatically; nothing is averaged.
The overlay is the condition checker's verdict on each cell's schedules (rebuilt from the sweep
file stored with the results): hatched and outlined where convergence is guaranteed (or where
the named condition holds); the figure states how many guaranteed cells the runs label stuck or
diverged (marked x)."""


def add_plot_parser(subparsers, formatter_class=argparse.RawDescriptionHelpFormatter):
    """Add ``plot`` (with the kind ``phase``) to ``subparsers``."""
    from .phase import CURVES, OVERLAYS

    p = subparsers.add_parser(
        "plot", help="draw figures from sweep results (phase diagrams with the theory overlay)",
        description="Draw figures from the results of 'adamtheory sweep'.",
        epilog=EPILOG, formatter_class=formatter_class)
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    ph = kinds.add_parser(
        "phase", help="a 2-d phase diagram: run labels or a metric, theory overlaid",
        description="A phase diagram of sweep results over two grid axes: cells coloured by "
        "the run's label (converged, stuck, diverged, undecided) or by a metric at the last "
        "checkpoint, with the checker's verdict on the same cells drawn over it.",
        epilog=EPILOG, formatter_class=formatter_class)
    ph.add_argument("results", metavar="RESULTS", help="output directory of a sweep (or its "
                    "results.zarr)")
    ph.add_argument("--x", required=True, metavar="AXIS", help="grid axis on the horizontal axis")
    ph.add_argument("--y", required=True, metavar="AXIS", help="grid axis on the vertical axis")
    ph.add_argument("--metric", metavar="NAME",
                    help="colour by this metric at the last checkpoint (dist, gnorm, regret, "
                    "fgap, grad43, ...) instead of the labels")
    ph.add_argument("--overlay", choices=OVERLAYS, metavar="WHAT",
                    help="hatch the cells where the checker guarantees convergence ('theory') "
                    "or where one condition holds (SC1, SC2, SC3, SC4, convergence)")
    ph.add_argument("--slice", action="append", default=[], metavar="AXIS=VALUE",
                    help="fix another grid axis, e.g. seed=0 (repeatable)")
    ph.add_argument("--facet", metavar="AXIS", help="one panel per value of this axis")
    ph.add_argument("--curve", action="append", default=[], choices=list(CURVES),
                    metavar="NAME", help=f"draw a named boundary ({', '.join(CURVES)})")
    ph.add_argument("--title", help="figure title (default: the sweep's title)")
    ph.add_argument("--workers", type=int, default=1, metavar="N",
                    help="processes for the checker (default 1)")
    ph.add_argument("-o", "--out", required=True, metavar="FILE",
                    help="output file: .png, .pdf or .svg")
    ph.set_defaults(func=cmd_plot_phase)
    p.set_defaults(func=_need_kind(p))
    return p


def _need_kind(parser):
    def run(args):
        raise InputError("give a kind of plot: adamtheory plot phase RESULTS --x AXIS --y AXIS "
                         "-o FILE (see 'adamtheory plot --help')")
    return run


def cmd_plot_phase(args) -> int:
    from ..sweep import open_results
    from .phase import parse_slices, phase_diagram

    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    ds = open_results(args.results)
    res = phase_diagram(ds, args.x, args.y, args.out, metric=args.metric,
                        slices=parse_slices(args.slice), facet=args.facet, overlay=args.overlay,
                        curves=args.curve, title=args.title, workers=args.workers)
    msg = f"wrote {args.out}: {res.labels.size} cells (" + ", ".join(
        f"{k} {n}" for k, n in res.counts.items()) + ")"
    if res.overlay:
        msg += f"; {res.text}"
    print(msg)
    return 0
