"""``adamtheory figures``: every registered figure with a manifest (:mod:`adamtheory.figures`)."""

from __future__ import annotations

import sys

from ..errors import InputError
from .args import FORMATTER

EPILOG = """examples:
  adamtheory figures --quick -o out/figures      # a few minutes on 2 cores
  adamtheory figures                             # the full versions, into figures/
  adamtheory figures --list                      # the figures and their sweep files

writes one file per figure and manifest.json (for each figure: the command and sweep file
that made it, the package version and its numbers: label counts, mismatch count, fitted
slopes). The sweep files ship with the package (adamtheory/figures/sweeps/): the command
runs from any directory."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "figures", help="regenerate every figure with a manifest",
        description="Regenerate the project's figures: Reddi Section 5 replays, the θ_t "
        "schedule family, the (s, r) and (β1, β2) phase diagrams with the checker's overlay, "
        "measured rates against the predicted slopes, distributed Adam's speedup, compression "
        "and error feedback, and FedLADA against the federated baselines.",
        epilog=EPILOG, formatter_class=FORMATTER)
    p.add_argument("--quick", action="store_true",
                   help="small grids and fewer steps (a few minutes on 2 cores)")
    p.add_argument("-o", "--out", default="figures", metavar="DIR",
                   help="output directory (default: figures/)")
    p.add_argument("--processes", type=int, default=2, metavar="N",
                   help="1: compute in this process; N > 1 (default 2): a pool of N processes "
                   "over the figure groups")
    p.add_argument("--list", action="store_true",
                   help="list the figures, their files and sweep files, and exit")
    p.set_defaults(func=cmd_figures)


def cmd_figures(args) -> int:
    from ..figures import FIGURES, make_figures, sweeps_dir
    from ..limits import check_output_dir

    if args.list:
        print(f"sweep files: {sweeps_dir()}")
        for key, fig in FIGURES.items():
            files = sorted({n for pair in fig.sweeps.values() for n in pair if n})
            print(f"({key}) {', '.join(fig.files)}: {fig.summary}")
            if files:
                print(f"     sweeps: {', '.join(files)}")
        return 0
    if not 1 <= args.processes <= 64:
        raise InputError(f"--processes must be between 1 and 64, got {args.processes}")
    make_figures(check_output_dir(args.out), quick=args.quick, processes=args.processes,
                 echo=lambda m: print(m, file=sys.stderr, flush=True),
                 live=sys.stderr.isatty())
    return 0
