"""(b) ``b_theta_r.png``: θ_t = 1 - 0.01 t^{-r}, r in {0, 0.25, 0.5, 0.75, 1}, on Reddi et al.'s
Section 5 problems (online and stochastic), x_t and R_t/t, each r with the checker's verdict.

Sweep files ``fig_b_sec5_online[_quick].toml`` and ``fig_b_sec5_stochastic[_quick].toml``.
"""

from __future__ import annotations

import numpy as np

from .common import sweep_dataset, sweep_entry
from .shape import Figure, Job

NAMES = {"online": "Reddi Sec. 5 online", "stochastic": "Reddi Sec. 5 stochastic"}


def compute(job: Job) -> dict:
    from ..sweep.theory import stored_theory

    ds, path = sweep_dataset(job, job.group)
    verdicts = stored_theory(ds)  # the checker's verdicts, stored with the results
    out = {"steps": ds["step"].values, "series": {}, **sweep_entry(path)}
    for rv in ds["r"].values:
        d = ds.sel(r=rv)
        v = verdicts.verdicts([{"r": float(rv)}])[0]
        theory = ("guaranteed, " + v.rate) if v.converges else "no guarantee"
        out["series"][float(rv)] = {"x": d["x"].values, "regret": d["regret"].values,
                                    "labels": [str(x) for x in d["label"].values],
                                    "theory": theory}
    return out


def draw(job: Job, parts: dict) -> dict:
    from ..plotting.traces import trace_figure

    rows = {}
    for group, name in NAMES.items():
        d = parts[group]
        rows[name] = {"steps": d["steps"], "series": {
            f"$r = {r:g}$": {**tr, "x": np.atleast_2d(tr["x"]),
                             "regret": np.atleast_2d(tr["regret"])}
            for r, tr in d["series"].items()}}
    trace_figure(rows, job.path(), r"Generic Adam, $\theta_t = 1 - 0.01\,t^{-r}$, "
                 r"$\alpha_t = 0.5/\sqrt{t}$, $\beta = 0.9$ ($r = 0$: Adam, $\theta = 0.99$)")
    return {"sweep": [parts[g]["sweep"] for g in NAMES],
            "command": "; ".join(parts[g]["command"] for g in NAMES),
            "result": {f"b_{g}": {f"r={r:g}": {
                "labels": tr["labels"], "theory": tr["theory"],
                "x_T_mean": float(np.mean(np.atleast_2d(tr["x"])[..., -1]))}
                for r, tr in parts[g]["series"].items()} for g in NAMES}}


FIGURE = Figure(
    key="b", files=("b_theta_r.png",),
    summary="the θ_t = 1 - 0.01 t^{-r} family on Reddi Section 5: converges for r > 0",
    compute=compute, draw=draw, groups=("online", "stochastic"),
    sweeps={"online": ("fig_b_sec5_online.toml", "fig_b_sec5_online_quick.toml"),
            "stochastic": ("fig_b_sec5_stochastic.toml", "fig_b_sec5_stochastic_quick.toml")})
