"""Figures (i)-(k) of ``adamtheory figures``: FedLADA against the federated baselines.

(i) ``i_fed_curves.png``: global loss (digits) and gap f - f* (least squares) per round, one
    panel per heterogeneity level, one curve per algorithm (each at its tuned rates, :data:`TUNED`);
(j) ``j_fed_drift.png``: client drift per round, the same runs;
(k) ``k_fed_speedup.png``: rounds to a target gap against the number S of sampled clients,
    log-log, with the global rate scaled linearly in S; fitted slope over the range where the
    step stays in the stable range of the theory (η_g S η_l K L <= 1, L the largest client
    curvature), and that range shaded.

All runs go through :func:`adamtheory.federated.simulator.compute` (the sweep plug-in's code path).

Example
-------
>>> from adamtheory.federated.figures import FILES
>>> FILES["k"]
'k_fed_speedup.png'
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

FILES = {"i": "i_fed_curves.png", "j": "j_fed_drift.png", "k": "k_fed_speedup.png"}
ALGS = ("fedavg", "fedadam", "local-adam", "fedcm", "scaffold", "fedlada")
LABELS = {"fedavg": "FedAvg", "fedadam": "FedAdam", "local-adam": "local Adam",
          "fedcm": "FedCM", "scaffold": "SCAFFOLD", "fedlada": "FedLADA"}
COLORS = {"fedavg": "#0072B2", "fedadam": "#E69F00", "local-adam": "#D55E00",
          "fedcm": "#009E73", "scaffold": "#CC79A7", "fedlada": "#000000"}
#: rates per (problem, algorithm): the best final error of a 10-point log grid of lr_local
#: (and lr_global in {0.01, 0.03, 0.1} for FedAdam), 2 seeds, digits at alpha = 0.1 after 100
#: rounds, lsq at zeta = 1 after 200 rounds, M = 20, S = 5, K = 10, batch 16 (docs/federated.md).
TUNED = {
    "digits": {"fedavg": (0.5, 1.0), "fedadam": (0.02, 0.1), "local-adam": (0.1, 1.0),
               "fedcm": (0.5, 1.0), "scaffold": (1.0, 1.0), "fedlada": (0.05, 1.0)},
    "lsq": {"fedavg": (0.002, 1.0), "fedadam": (0.001, 0.03), "local-adam": (0.02, 1.0),
            "fedcm": (0.002, 1.0), "scaffold": (0.005, 1.0), "fedlada": (0.02, 1.0)},
}
BASE = {"M": 20, "S": 5, "K": 10, "batch": 16, "a": 0.5}
LEVELS = {"digits": ("alpha", (0.1, 1.0, 0.0)), "lsq": ("zeta", (3.0, 1.0, 0.0))}
#: the speedup experiment (figure k)
SPEEDUP = {"problem": "lsq", "M": 64, "K": 5, "batch": 4, "zeta": 0.0, "lr_local": 0.01,
           "lr_global": 0.2, "linear_scaling": True, "target": 0.05}
SPEEDUP_S = (1, 2, 4, 8, 16, 32, 64)
#: series of figure k: name -> (algorithm, extra settings)
SPEEDUP_SERIES = {"fedavg": ("fedavg", {}), "fedlada": ("fedlada", {}),
                  "fedlada, fresh v": ("fedlada", {"carry_v": False})}


def comparison(problem: str, rounds: int, seeds, levels=None, algs=ALGS, every: int = 1,
               **over) -> dict:
    """Every algorithm at its tuned rates on every heterogeneity level of ``problem``.

    Returns ``{(alg, level): {metric: (n_seeds, n_checkpoints)}}`` plus the finals and
    ``"rounds"`` (the checkpoint rounds: every ``every``-th round and the last). No target is
    measured (the objective is evaluated at the checkpoints only)."""
    from .simulator import run_many

    key, default_levels = LEVELS[problem]
    levels = default_levels if levels is None else levels
    cfgs, keys = [], []
    for lev in levels:
        for alg in algs:
            lr_l, lr_g = TUNED[problem][alg]
            cfgs.append({**BASE, "problem": problem, "algorithm": alg, key: float(lev),
                         "lr_local": lr_l, "lr_global": lr_g, "target": float("inf"), **over})
            keys.append((alg, float(lev)))
    seeds = np.atleast_1d(np.asarray(seeds))
    ck = np.union1d(np.arange(every, rounds + 1, every), [rounds])
    out = run_many(cfgs, rounds, seeds=seeds, checkpoints=ck)
    ns = seeds.size
    res = {k: {m: np.asarray(v)[i * ns:(i + 1) * ns] for m, v in out.items() if m != "rounds"}
           for i, k in enumerate(keys)}
    res["rounds"] = ck
    return res


def curvature(M: int, n: int, d: int, zeta: float, noise: float, seeds) -> float:
    """Largest eigenvalue of any client Hessian A_iᵀA_i/n over the seeds (the L of the range)."""
    from .data import heterogeneous_lsq

    L = 0.0
    for s in np.atleast_1d(seeds):
        A = heterogeneous_lsq(M, n, d, zeta, noise, int(s))["A"].reshape(M, n, d)
        L = max(L, float(max(np.linalg.eigvalsh(a.T @ a / n).max() for a in A)))
    return L


def speedup(rounds: int, seeds, S_values=SPEEDUP_S, series=None) -> dict:
    """Rounds to the target gap against S (geometric mean over seeds; NaN where any seed
    misses), the theory range S <= 1/(η_g η_l K L) and least-squares slopes inside it."""
    from .simulator import PARAMS, run_many

    series = SPEEDUP_SERIES if series is None else series
    algs = list(series)
    seeds = np.atleast_1d(np.asarray(seeds))
    cfgs = [{**SPEEDUP, "algorithm": series[a][0], **series[a][1], "S": int(s)}
            for a in algs for s in S_values]
    out = run_many(cfgs, rounds, seeds=seeds, checkpoints=[rounds])
    r = out["rounds_to_target"].reshape(len(algs), len(S_values), seeds.size)
    gap = out["gap"][:, -1].reshape(len(algs), len(S_values), seeds.size)
    sp = SPEEDUP
    L = curvature(sp["M"], PARAMS["n_local"][1], PARAMS["dim"][1], sp["zeta"],
                  PARAMS["noise"][1], seeds)
    s_max = 1.0 / (sp["lr_global"] * sp["lr_local"] * sp["K"] * L)
    S = np.asarray(S_values, dtype=float)
    res = {"S": S.tolist(), "s_max": s_max, "L": L, "rounds": rounds, "seeds": seeds.tolist(),
           "algs": {}}
    for i, a in enumerate(algs):
        with np.errstate(invalid="ignore"):
            gm = np.exp(np.log(r[i]).mean(axis=1))
        ok = np.isfinite(gm) & (S <= s_max)
        slope = float(np.polyfit(np.log(S[ok]), np.log(gm[ok]), 1)[0]) if ok.sum() >= 2 \
            else float("nan")
        res["algs"][a] = {"rounds_to_target": gm.tolist(), "fit_S": S[ok].tolist(),
                          "slope": slope, "final_gap": gap[i].mean(axis=1).tolist()}
    return res


def _style(ax, title, xlabel, ylabel):
    from matplotlib.ticker import NullFormatter

    if ax.get_yscale() == "log":
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)


def _level_name(problem, lev):
    if problem == "digits":
        return "IID" if lev == 0 else rf"Dirichlet $\alpha = {lev:g}$"
    return rf"$\zeta = {lev:g}$" + (" (IID)" if lev == 0 else "")


def make(out: Path, quick: bool) -> dict:
    """Write figures (i), (j), (k) into ``out``; return {key: manifest entry}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    seeds = [0, 1] if quick else [0, 1, 2, 3]
    R = {"digits": 60 if quick else 200, "lsq": 100 if quick else 300}
    runs = {p: comparison(p, R[p], seeds, every=1 if p == "lsq" else 2) for p in ("digits", "lsq")}
    python = ("adamtheory.federated.figures.comparison(problem, rounds, seeds) and "
              "speedup(rounds, seeds)")
    command = "adamtheory figures" + (" --quick" if quick else "")
    finals = {}
    for p, res in runs.items():
        key, levels = LEVELS[p]
        err = "gap" if p == "lsq" else "loss"
        finals[p] = {str(lev): {a: {"final_" + err: float(np.mean(res[(a, lev)][err][:, -1])),
                                    "final_accuracy": float(np.mean(res[(a, lev)]["accuracy"][:, -1])),
                                    "mean_drift": float(np.mean(res[(a, lev)]["mean_drift"]))}
                                for a in ALGS} for lev in levels}

    # (i) curves
    fig, axes = plt.subplots(2, 3, figsize=(7.0, 4.8), sharex="row")
    for row, p in enumerate(("digits", "lsq")):
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
            _style(ax, ("digits, " if p == "digits" else "least squares, ") + _level_name(p, lev),
                   "round", r"loss $f(x)$" if p == "digits" else r"gap $f(x) - f^\star$")
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle(r"FedLADA and baselines: $M = 20$, $S = 5$, $K = 10$, $a = 0.5$ (tuned rates)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out / FILES["i"], dpi=150)
    plt.close(fig)

    # (j) drift
    fig, axes = plt.subplots(2, 3, figsize=(7.0, 4.8), sharex="row")
    for row, p in enumerate(("digits", "lsq")):
        key, levels = LEVELS[p]
        for col, lev in enumerate(levels):
            ax = axes[row, col]
            for a in ALGS:
                v = runs[p][(a, lev)]["drift"].mean(axis=0)
                ax.plot(runs[p]["rounds"], v, color=COLORS[a],
                        lw=1.6 if a == "fedlada" else 1.0, label=LABELS[a],
                        ls="--" if a == "fedavg" else "-")
            ax.set_yscale("log")
            _style(ax, ("digits, " if p == "digits" else "least squares, ") + _level_name(p, lev),
                   "round", "client drift")
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=6, fontsize=7, frameon=False)
    fig.suptitle(r"Client drift $\frac{1}{S}\sum_j \|y_j - \bar y\|$ per round (same runs as "
                 "figure i)", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out / FILES["j"], dpi=150)
    plt.close(fig)

    # (k) speedup
    sp = speedup(800 if quick else 2000, seeds)
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    S = np.asarray(sp["S"])
    ax.axvspan(S[0] * 0.8, min(sp["s_max"], S[-1] * 1.25), color="0.9",
               label=rf"theory range $\eta_g \eta_l K L \leq 1$ ($S \leq {sp['s_max']:.0f}$)")
    algs_k = list(sp["algs"])
    sty = {"fedavg": ("o-", COLORS["fedavg"]), "fedlada": ("s-", COLORS["fedlada"]),
           "fedlada, fresh v": ("^--", "#56B4E9")}
    for a, d in sp["algs"].items():
        name = {"fedlada, fresh v": "FedLADA, $v$ reset each round"}.get(a, LABELS.get(a, a))
        ax.loglog(S, d["rounds_to_target"], sty[a][0], color=sty[a][1],
                  label=rf"{name}: slope {d['slope']:.2f}")
        if d["fit_S"]:
            fs = np.asarray(d["fit_S"])
            gm = np.asarray(d["rounds_to_target"])[np.isin(S, fs)]
            c = np.exp(np.mean(np.log(gm) + np.log(fs)))
            ax.loglog(fs, c / fs, ":", color=sty[a][1], lw=0.9,
                      label="slope $-1$ reference" if a == algs_k[0] else None)
    ax.set_xlim(S[0] * 0.8, S[-1] * 1.25)
    _style(ax, rf"Rounds to gap $\leq {SPEEDUP['target']}$ against $S$ ($\eta_g = "
           rf"{SPEEDUP['lr_global']}\,S$, IID least squares, $M = {SPEEDUP['M']}$)",
           r"sampled clients per round $S$", "rounds to target")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / FILES["k"], dpi=150)
    plt.close(fig)

    ver = sys.version.split()[0]
    man = {
        "i": {"command": command, "python": python, "python_version": ver, "sweep": None,
              "rounds": R, "seeds": seeds, "tuned_rates": TUNED, "finals": finals},
        "j": {"command": command, "python": python, "python_version": ver, "sweep": None,
              "mean_drift": {p: {lev: {a: v["mean_drift"] for a, v in d.items()}
                                 for lev, d in f.items()} for p, f in finals.items()}},
        "k": {"command": command, "python": python, "python_version": ver, "sweep": None,
              "equivalent_sweep": "examples/fed_speedup.toml (the FedAvg and FedLADA series)",
              **sp},
    }
    return _finite(man)


def _finite(obj):
    """NaN -> None (strict JSON), recursively."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
