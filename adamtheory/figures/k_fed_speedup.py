"""(k) ``k_fed_speedup.png``: rounds to a target gap against the number S of sampled clients,
log-log, with the global rate scaled linearly in S; fitted slope over the range where the step
stays in the stable range of the theory (η_g S η_l K L <= 1, L the largest client curvature),
and that range shaded. :func:`adamtheory.federated.experiments.speedup`; the FedAvg and FedLADA
series are also ``examples/fed_speedup.toml``.
"""

from __future__ import annotations

import sys

import numpy as np

from ..plotting.style import DPI, pyplot
from .fed_common import COLORS, PYTHON, command, style
from .shape import Figure, Job


def compute(job: Job) -> dict:
    from ..federated.experiments import speedup

    seeds = [0, 1] if job.quick else [0, 1, 2, 3]
    return speedup(800 if job.quick else 2000, seeds)


def draw(job: Job, parts: dict) -> dict:
    from ..federated.experiments import LABELS, SPEEDUP
    from .common import finite

    sp = parts[job.group]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.6), dpi=DPI)
    S = np.asarray(sp["S"])
    ax.axvspan(S[0] * 0.8, min(sp["s_max"], S[-1] * 1.25), color="0.9",
               label=rf"theory range $\eta_g \eta_l K L \leq 1$ ($S \leq {sp['s_max']:.0f}$)")
    algs_k = list(sp["algs"])
    sty = {"fedavg": "o-", "fedlada": "s-", "fedlada, fresh v": "^--"}
    for a, d in sp["algs"].items():
        name = {"fedlada, fresh v": "FedLADA, $v$ reset each round"}.get(a, LABELS.get(a, a))
        ax.loglog(S, d["rounds_to_target"], sty[a], color=COLORS[a],
                  label=rf"{name}: slope {d['slope']:.2f}")
        if d["fit_S"]:
            fs = np.asarray(d["fit_S"])
            gm = np.asarray(d["rounds_to_target"])[np.isin(S, fs)]
            c = np.exp(np.mean(np.log(gm) + np.log(fs)))
            ax.loglog(fs, c / fs, ":", color=COLORS[a], lw=0.9,
                      label="slope $-1$ reference" if a == algs_k[0] else None)
    ax.set_xlim(S[0] * 0.8, S[-1] * 1.25)
    style(ax, rf"Rounds to gap $\leq {SPEEDUP['target']}$ against $S$ ($\eta_g = "
          rf"{SPEEDUP['lr_global']}\,S$, IID least squares, $M = {SPEEDUP['M']}$)",
          r"sampled clients per round $S$", "rounds to target")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    return finite({"command": command(job.quick), "python": PYTHON,
                   "python_version": sys.version.split()[0], "sweep": None,
                   "equivalent_sweep": "examples/fed_speedup.toml (the FedAvg and FedLADA series)",
                   **sp})


FIGURE = Figure(
    key="k", files=("k_fed_speedup.png",),
    summary="rounds to target against the number of sampled clients S (FedAvg, FedLADA)",
    compute=compute, draw=draw, groups=("federated",))
