"""Federated experiments: every algorithm at its tuned rates across heterogeneity levels
(:func:`comparison`), and rounds to a target against the number of sampled clients
(:func:`speedup`). Figures (i)-(k) draw them; ``tests/test_federated_claims.py`` checks their
claims.

All runs go through :func:`adamtheory.federated.simulator.run_many` (the sweep plug-in's code
path).

Example
-------
>>> from adamtheory.federated.experiments import SPEEDUP_S
>>> SPEEDUP_S[-1]
64
"""

from __future__ import annotations

import numpy as np

from .tuned import TUNED

ALGS = ("fedavg", "fedadam", "local-adam", "fedcm", "scaffold", "fedlada")
LABELS = {"fedavg": "FedAvg", "fedadam": "FedAdam", "local-adam": "local Adam",
          "fedcm": "FedCM", "scaffold": "SCAFFOLD", "fedlada": "FedLADA"}
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
