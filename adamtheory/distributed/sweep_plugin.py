"""Sweep plug-in ``simulator = "distributed"``: the parameter-server simulator in sweep files.

Every parameter of :data:`PARAMS` can be fixed in ``[settings]`` or be a ``[grid]`` axis
(workers, batch, compressor, placement, the two error-feedback switches, the schedule, ...).
:func:`compute` groups configurations by problem and dimension (the only structural settings:
array shapes and compiled oracles); compressor, placement and EF switches are integer data of
one compiled kernel, and each configuration runs independently, so results do not depend on
how the runner chunks the grid.

Schedules: by default α_t = lr t^{-s}, β_t = beta, θ_t = 1 - theta t^{-r} (:data:`SCHEDULES`;
the parameters lr, s, beta, theta, r), v_0 = eps (SC3 needs r <= 2s). ``theta = 0`` with
``eps = 1`` turns the Adam step into SGD with momentum. An ``[optimizer]`` table replaces any of
the three texts, like the engine's (see :mod:`adamtheory.sweep.plugin`)::

    [optimizer]
    alpha = "a / sqrt(t)"
    a = 0.2

Each configuration runs the Generic Adam spec of its schedules with v_0 = eps
(:func:`optimizer_spec`), so the checker judges every cell of a sweep and ``adamtheory plot
phase --overlay theory`` draws the theory over an (s, r) grid.

Example sweep file: ``examples/dist_speedup.toml``::

    simulator = "distributed"
    [settings]
    problem = "nonconvex-separable"
    sigma = 1.0
    [grid]
    workers = [1, 2, 4, 8, 16, 32, 64]
    [run]
    steps = 20000
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..simulators import ModuleSimulator
from .settings import COMPRESSORS, PARAMS, PLACEMENTS, PROBLEMS, SCHEDULES  # noqa: F401
from .simulator import family_tables, simulate

NAME = "distributed"
METRICS = {
    "gnorm": "||grad f(x_t)|| at the checkpoint",
    "gnorm_avg": "sqrt of the exponential average (weight 1/16, over a 1.02-geometric grid of "
                 "steps) of ||grad f||^2",
    "fgap": "f(x_t) - f* (f(x_t) when f* is only a lower bound 0)",
    "bits_up": "cumulative uplink bits (N messages per round)",
    "bits_down": "cumulative downlink bits (N messages per round)",
    "x1": "first coordinate of x_t",
    "x2": "second coordinate of x_t (NaN if d = 1)",
}
FINALS = {
    "iters_to_target": "first evaluated step from which gnorm_avg stays below target (NaN: never)",
    "bits_to_target": "uplink + downlink bits sent up to iters_to_target (NaN: never)",
}

_NEEDS_ADAM_SCALE = "sign"


def validate(settings: dict) -> None:
    """Raise ValueError (one line) for a configuration the simulator cannot run."""
    g = {k: settings.get(k, v[1]) for k, v in PARAMS.items()}

    def need(ok, msg):
        if not ok:
            raise ValueError(msg)

    need(g["problem"] in PROBLEMS, f"problem {g['problem']!r} is not supported; use one of "
         f"{', '.join(PROBLEMS)}")
    need(1 <= g["workers"] <= 4096, f"workers must be in [1, 4096], got {g['workers']}")
    need(1 <= g["batch"] <= 4096, f"batch must be in [1, 4096], got {g['batch']}")
    need(g["workers"] * g["batch"] <= 65536, "workers * batch must be <= 65536")
    need(1 <= g["d"] <= 100000, f"d must be in [1, 100000], got {g['d']}")
    need(g["k"] >= 1, f"k must be >= 1, got {g['k']}")
    need(1 <= g["levels"] <= 2**20, f"levels must be in [1, 2^20], got {g['levels']}")
    need(g["sigma"] >= 0, f"sigma must be >= 0, got {g['sigma']}")
    need(g["lam"] >= 0, f"lam must be >= 0, got {g['lam']}")
    need(0 < g["ef_eps"] < 1, f"ef_eps must be in (0, 1), got {g['ef_eps']}")
    need(g["lr"] > 0, f"lr must be > 0, got {g['lr']}")
    need(g["s"] >= 0, f"s must be >= 0, got {g['s']}")
    need(0 <= g["beta"] < 1, f"beta must be in [0, 1), got {g['beta']}")
    need(0 <= g["theta"] <= 1, f"theta must be in [0, 1] (theta_t = 1 - theta t^-r), "
         f"got {g['theta']}")
    need(g["r"] >= 0, f"r must be >= 0, got {g['r']}")
    need(g["eps"] > 0, f"eps must be > 0 (v_0 = eps), got {g['eps']}")
    need(g["target"] > 0, f"target must be > 0, got {g['target']}")
    down = g["compressor"] if g["downlink"] == "same" else g["downlink"]
    need(not (g["placement"] == "worker-adam" and g["compressor"] == "sign"),
         "unscaled sign drops the step size of a worker-adam message; use scaled_sign, or "
         "placement server-adam (sign of gradients)")
    need(down != "sign", "unscaled sign drops the step size of the downlink message; set "
         "downlink to scaled_sign or another compressor")


def problem_for(name: str, d=10, sigma=1.0, lam=0.1, ef_eps=0.5):
    """The catalog problem of a configuration and the parameter row the kernel reads."""
    import counterexamples as cx

    if name == "nonconvex-separable":
        p = cx.get(name, d=int(d), sigma=float(sigma))
    elif name == "logreg-nonconvex":
        p = cx.get(name, lam=float(lam), batch=1)
    else:
        p = cx.get(name, eps=float(ef_eps))
    return p, p.params.copy()


def compute(settings: dict, seeds, steps: int, checkpoints) -> dict:
    """The METRICS (n, n_checkpoints) and FINALS (n,) of n configurations (see the module)."""
    seeds = np.asarray(seeds, np.int64)
    n = seeds.size
    ck = np.asarray(checkpoints, np.int64)
    full = {k: np.asarray(settings[k]) if k in settings else np.full(n, v[1], dtype=object)
            for k, v in PARAMS.items()}
    out = {k: np.full((n, ck.size), np.nan) for k in METRICS}
    out.update({k: np.full(n, np.nan) for k in FINALS})
    prob = full["problem"].astype(str)
    dims = np.where(prob == "nonconvex-separable", full["d"].astype(np.int64), 0)
    for key in sorted(set(zip(prob.tolist(), dims.tolist()))):
        sel = np.nonzero((prob == key[0]) & (dims == key[1]))[0]
        rows = []
        for i in sel:
            p, row = problem_for(key[0], d=full["d"][i], sigma=full["sigma"][i],
                                 lam=full["lam"][i], ef_eps=full["ef_eps"][i])
            rows.append(row)
        down = np.where(full["downlink"][sel].astype(str) == "same",
                        full["compressor"][sel].astype(str), full["downlink"][sel].astype(str))
        f = lambda k, dt, sel=sel: full[k][sel].astype(dt)  # noqa: E731
        tabs = _tables(settings, f, int(steps), sel)
        res = simulate(
            p, int(steps), seeds[sel], **tabs, workers=f("workers", np.int64),
            batch=f("batch", np.int64), compressor=f("compressor", str), downlink=down,
            k=f("k", np.int64), levels=f("levels", np.int64), placement=f("placement", str),
            ef_worker=f("ef_worker", bool), ef_server=f("ef_server", bool),
            eps=f("eps", float), target=f("target", float),
            params=np.array(rows), checkpoints=ck)
        if not np.array_equal(res["steps"], ck):
            raise ValueError("checkpoints must be sorted steps in [1, steps] ending at steps")
        for k in METRICS:
            out[k][sel] = res[k]
        it = res["iters_to_target"]
        out["iters_to_target"][sel] = it
        per_round = (res["bits_up"][:, -1] + res["bits_down"][:, -1]) / steps
        out["bits_to_target"][sel] = per_round * it
    return out


def _tables(settings: dict, f, steps: int, sel) -> dict:
    """The schedule tables of the configurations ``sel``: those of an ``[optimizer]`` table
    (``settings["schedules"]``, a ScheduleTables (T, rows)), else the default family computed
    from lr, s, beta, theta, r (one row per distinct tuple, the compiled expression the kernel
    always used, bit for bit)."""
    if "schedules" in settings:
        tabs = settings["schedules"]
        return {**{r: np.ascontiguousarray(tabs.table(r).T) for r in ("alpha", "beta", "theta")},
                **{f"{r}_row": np.asarray(tabs.rows[r])[sel] for r in ("alpha", "beta", "theta")}}
    fam, row = np.unique(np.stack([f(k, float) for k in ("lr", "s", "beta", "theta", "r")],
                                  axis=1), axis=0, return_inverse=True)
    A, B, TH = family_tables(steps, *fam.T)
    row = row.reshape(-1)
    return {"alpha": A, "beta": B, "theta": TH, "alpha_row": row, "beta_row": row,
            "theta_row": row}


def optimizer_spec(settings: dict, spec):
    """The Generic Adam spec one configuration runs: its schedules with v_0 = ε = ``eps``
    (no bias correction, no AMSGrad: the server's and the workers' update is the generic one)."""
    return replace(spec, eps=float(settings["eps"]))


SIMULATOR = ModuleSimulator(__name__)
