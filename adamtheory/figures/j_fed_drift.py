"""(j) ``j_fed_drift.png``: client drift (1/S) Σ_j ||y_j - ȳ|| per round, the runs of figure (i)
(it draws (i)'s data: ``data_of="i"``).
"""

from __future__ import annotations

import sys

from ..plotting.style import DPI, pyplot
from .fed_common import COLORS, PYTHON, command, level_name, style
from .shape import Figure, Job


def draw(job: Job, parts: dict) -> dict:
    from ..federated.experiments import ALGS, LABELS, LEVELS
    from .common import finite
    from .i_fed_curves import PROBLEMS

    d = parts[job.group]
    runs = d["runs"]
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(7.0, 4.8), dpi=DPI, sharex="row")
    for row, p in enumerate(PROBLEMS):
        key, levels = LEVELS[p]
        for col, lev in enumerate(levels):
            ax = axes[row, col]
            for a in ALGS:
                v = runs[p][(a, lev)]["drift"].mean(axis=0)
                ax.plot(runs[p]["rounds"], v, color=COLORS[a],
                        lw=1.6 if a == "fedlada" else 1.0, label=LABELS[a],
                        ls="--" if a == "fedavg" else "-")
            ax.set_yscale("log")
            style(ax, ("digits, " if p == "digits" else "least squares, ") + level_name(p, lev),
                  "round", "client drift")
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle(r"Client drift $\frac{1}{S}\sum_j \|y_j - \bar y\|$ per round (same runs as "
                 "figure i)", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    return finite({"command": command(job.quick), "python": PYTHON,
                   "python_version": sys.version.split()[0], "sweep": None,
                   "mean_drift": {p: {lev: {a: v["mean_drift"] for a, v in dd.items()}
                                      for lev, dd in f.items()}
                                  for p, f in d["finals"].items()}})


FIGURE = Figure(
    key="j", files=("j_fed_drift.png",),
    summary="client drift per round of the federated algorithms (the runs of (i))",
    compute=None, draw=draw, groups=("federated",), data_of="i")
