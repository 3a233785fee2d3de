"""(i) ``i_fed_curves.png``: FedLADA against the federated baselines: global loss (digits) and
gap f - f* (least squares) per round, one panel per heterogeneity level, one curve per
algorithm, each at its tuned rates (:data:`adamtheory.federated.tuned.TUNED`).

M = 20, S = 5, K = 10, a = 0.5; seeds 0-1 (quick) or 0-3; digits 60/200 rounds, least squares
100/300 rounds. The runs call :func:`adamtheory.federated.experiments.comparison` directly: a
sweep grid cannot tie each algorithm to its own tuned rates (one sweep file per algorithm and
problem would be needed), so this figure has no sweep file.
"""

from __future__ import annotations

import sys

import numpy as np

from ..plotting.style import DPI, pyplot
from .fed_common import COLORS, PYTHON, command, level_name, style
from .shape import Figure, Job

PROBLEMS = ("digits", "lsq")


def compute(job: Job) -> dict:
    from ..federated.experiments import ALGS, LEVELS, comparison

    seeds = [0, 1] if job.quick else [0, 1, 2, 3]
    R = {"digits": 60 if job.quick else 200, "lsq": 100 if job.quick else 300}
    runs = {p: comparison(p, R[p], seeds, every=1 if p == "lsq" else 2) for p in PROBLEMS}
    finals = {}
    for p, res in runs.items():
        key, levels = LEVELS[p]
        err = "gap" if p == "lsq" else "loss"
        finals[p] = {str(lev): {a: {
            "final_" + err: float(np.mean(res[(a, lev)][err][:, -1])),
            "final_accuracy": float(np.mean(res[(a, lev)]["accuracy"][:, -1])),
            "mean_drift": float(np.mean(res[(a, lev)]["mean_drift"]))}
            for a in ALGS} for lev in levels}
    return {"runs": runs, "finals": finals, "seeds": seeds, "rounds": R}


def draw(job: Job, parts: dict) -> dict:
    from ..federated.experiments import ALGS, LABELS, LEVELS
    from ..federated.tuned import TUNED
    from .common import finite

    d = parts[job.group]
    runs = d["runs"]
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(7.0, 4.8), dpi=DPI, sharex="row")
    for row, p in enumerate(PROBLEMS):
        key, levels = LEVELS[p]
        err = "gap" if p == "lsq" else "loss"
        for col, lev in enumerate(levels):
            ax = axes[row, col]
            for a in ALGS:
                v = runs[p][(a, lev)][err]
                t = runs[p]["rounds"]
                ax.plot(t, np.exp(np.log(np.abs(v)).mean(axis=0)), color=COLORS[a],
                        lw=1.6 if a == "fedlada" else 1.0, label=LABELS[a],
                        ls="--" if a == "fedavg" else "-")
            if p == "digits":   # linear: the interesting range is 0.25-1 (starts at ln 10)
                ax.set_ylim(0.2, 1.0)
            else:
                ax.set_yscale("log")
            style(ax, ("digits, " if p == "digits" else "least squares, ") + level_name(p, lev),
                  "round", r"loss $f(x)$" if p == "digits" else r"gap $f(x) - f^\star$")
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle(r"FedLADA and baselines: $M = 20$, $S = 5$, $K = 10$, $a = 0.5$ (tuned rates)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    return finite({"command": command(job.quick), "python": PYTHON,
                   "python_version": sys.version.split()[0], "sweep": None,
                   "rounds": d["rounds"], "seeds": d["seeds"], "tuned_rates": TUNED,
                   "finals": d["finals"]})


FIGURE = Figure(
    key="i", files=("i_fed_curves.png",),
    summary="FedLADA against FedAvg, FedAdam, local Adam, FedCM, SCAFFOLD: loss per round",
    compute=compute, draw=draw, groups=("federated",))
