"""``adamtheory plot``: phase diagrams, trajectories and rates from sweep results."""

from __future__ import annotations

from ..errors import InputError
from .args import FORMATTER, image_output

EPILOG = """examples:
  adamtheory sweep examples/phase_sr_sec5_online_quick.toml -o out/sr
  adamtheory plot phase out/sr --x s --y r --overlay theory --curve r=2s -o sr.png
  adamtheory plot phase out/sr --x s --y r --metric dist -o sr_dist.pdf
  adamtheory plot phase out/beta --x beta2 --y beta1 --overlay SC4 \\
      --curve "beta1=sqrt(beta2)" -o beta.svg
  adamtheory plot phase out/rates --x s --y r --facet seed --metric grad43 -o rates.png

Every grid axis other than --x and --y (the seed included) must be sliced (--slice AXIS=VALUE)
or faceted (--facet AXIS); axes with one value are sliced automatically; nothing is averaged.
The overlay is the condition checker's verdict on each cell's schedules (rebuilt from the sweep
file stored with the results): hatched and outlined where convergence is guaranteed (or where
the named condition holds); the figure states how many guaranteed cells the runs label stuck or
diverged (marked x)."""


EPILOG_TRACES = """examples (trajectories):
  adamtheory sweep adamtheory/figures/sweeps/fig_b_sec5_online_quick.toml -o out/b
  adamtheory plot trajectories out/b --along r -o b.png
  adamtheory plot trajectories out/rates --along s --slice r=1 --panel gnorm --panel grad43 \\
      -o s.png"""

EPILOG_RATES = """examples (rates):
  adamtheory sweep adamtheory/figures/sweeps/fig_e_rates_quick.toml -o out/e
  adamtheory plot rates out/e -o rates.png
  adamtheory plot rates out/e --slice r=1 --json -o rates_r1.pdf"""


def add_parser(sub) -> None:
    from ..plotting.geometry import CURVES
    from ..plotting.traces import MAX_SERIES
    from ..sweep.theory import OVERLAYS

    p = sub.add_parser(
        "plot", help="draw figures from sweep results: phase diagrams with the theory overlay, "
        "trajectories, rates",
        description="Draw figures from the results of 'adamtheory sweep'.",
        epilog=EPILOG, formatter_class=FORMATTER)
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    p.epilog = EPILOG + "\n\n" + EPILOG_TRACES + "\n\n" + EPILOG_RATES
    ph = kinds.add_parser(
        "phase", help="a 2-d phase diagram: run labels or a metric, theory overlaid",
        description="A phase diagram of sweep results over two grid axes: cells coloured by "
        "the run's label (converged, stuck, diverged, undecided) or by a metric at the last "
        "checkpoint, with the checker's verdict on the same cells drawn over it.",
        epilog=EPILOG, formatter_class=FORMATTER)
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

    tr = kinds.add_parser(
        "trajectories", help="x_t and R_t/t (or other metrics) against t along one grid axis",
        description="Trajectories of the runs along one grid axis (the other axes sliced): the "
        "iterate and the average regret (or the gradient norm when there is no regret) against "
        "t, mean over seeds with a min-max band, each run labelled with the checker's verdict.",
        epilog=EPILOG_TRACES, formatter_class=FORMATTER)
    tr.add_argument("results", metavar="RESULTS", help="output directory of a sweep")
    tr.add_argument("--along", required=True, metavar="AXIS",
                    help=f"one run per value of this grid axis (at most {MAX_SERIES})")
    tr.add_argument("--slice", action="append", default=[], metavar="AXIS=VALUE",
                    help="fix another grid axis (repeatable); seed may be left free (mean "
                    "and band over seeds)")
    tr.add_argument("--panel", action="append", metavar="METRIC",
                    help="a metric per panel (repeatable; default: x and regret, or x and gnorm)")
    tr.add_argument("--title", help="figure title (default: the sweep's title)")
    tr.add_argument("-o", "--out", required=True, metavar="FILE", help=".png, .pdf or .svg")
    tr.set_defaults(func=cmd_plot_trajectories)

    ra = kinds.add_parser(
        "rates", help="measured (E||grad f||^(4/3))^(3/2) against T beside the predicted slope",
        description="The theorem's left-hand side (E ||∇f(x_τ)||^{4/3})^{3/2}, τ uniform on "
        "{1..T}, measured at every checkpoint (mean over seeds) on log-log axes, beside the "
        "slope the checker predicts for each cell; the fitted slope of the last decade is "
        "printed. Needs grad_metrics = true (the default).",
        epilog=EPILOG_RATES, formatter_class=FORMATTER)
    ra.add_argument("results", metavar="RESULTS", help="output directory of a sweep")
    ra.add_argument("--slice", action="append", default=[], metavar="AXIS=VALUE",
                    help="fix a grid axis (repeatable) so that at most 7 cells remain")
    ra.add_argument("--title", help="figure title (default: the sweep's title)")
    ra.add_argument("--json", action="store_true", help="print the fitted and predicted slopes "
                    "as JSON")
    ra.add_argument("-o", "--out", required=True, metavar="FILE", help=".png, .pdf or .svg")
    ra.set_defaults(func=cmd_plot_rates)
    p.set_defaults(func=_need_kind(p))


def _need_kind(parser):
    def run(args):
        raise InputError("give a kind of plot: phase, trajectories or rates, e.g. adamtheory "
                         "plot phase RESULTS --x AXIS --y AXIS -o FILE (see 'adamtheory plot "
                         "--help')")
    return run


def _check_title(title) -> None:
    """Refuse (one line) a --title that matplotlib cannot draw (bad mathtext such as ``$x^$``),
    before any work: the error would otherwise come from deep inside the drawing."""
    if title is None:
        return
    if len(title) > 300 or "\x00" in title:
        raise InputError("--title: give at most 300 characters of text")
    if "$" not in title:
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    FigureCanvasAgg(fig)
    fig.suptitle(title)
    try:
        fig.canvas.draw()
    except (ValueError, RuntimeError, KeyError, IndexError) as exc:
        why = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "")
        raise InputError(f"--title {title[:60]!r} is not valid mathtext"
                         + (f" ({why[:80]})" if why else "")
                         + "; write a literal dollar sign as \\$") from None


def _check_output(args):
    """The -o file as a Path, checked before any work (suffix, writable place; see limits)."""
    path = image_output(args.out)
    _check_title(getattr(args, "title", None))
    return path


def cmd_plot_phase(args) -> int:
    from ..plotting.cells import parse_slices
    from ..plotting.phase import phase_diagram
    from ..sweep import open_results

    if not 1 <= args.workers <= 1024:
        raise InputError("--workers must be between 1 and 1024")
    _check_output(args)
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


def cmd_plot_trajectories(args) -> int:
    from ..plotting.cells import parse_slices
    from ..plotting.traces import trajectory_plot
    from ..sweep import open_results

    _check_output(args)
    ds = open_results(args.results)
    path = trajectory_plot(ds, args.along, args.out, slices=parse_slices(args.slice),
                           panels=tuple(args.panel) if args.panel else None, title=args.title)
    print(f"wrote {path}: {ds.sizes[args.along]} runs along {args.along}")
    return 0


def cmd_plot_rates(args) -> int:
    from ..limits import dumps
    from ..plotting.cells import parse_slices
    from ..plotting.rates import RATE_NOTE, rate_plot, rate_series
    from ..sweep import open_results

    path = _check_output(args)
    ds = open_results(args.results)
    series, rows = rate_series(ds, parse_slices(args.slice))
    rate_plot(series, path, title=args.title or ds.attrs.get("title") or "measured rates",
              note=RATE_NOTE.format(n=ds.sizes["seed"]))
    if args.json:
        print(dumps(rows, indent=1))
    else:
        for r in rows:
            keys = list(r)[:list(r).index("fit_last_decade")]  # the cell's axis values
            cell = ", ".join(f"{k}={r[k]:g}" for k in keys)
            pred = ("no guarantee" if r["predicted_exponent"] is None
                    else f"T^{r['predicted_exponent']:.3f}")
            print(f"{cell or 'run'}: fitted slope {r['fit_last_decade']:+.3f}, predicted {pred}"
                  f"{'' if r['bound_holds'] else '  (falls slower than predicted)'}")
        print(f"wrote {path}")
    return 0
