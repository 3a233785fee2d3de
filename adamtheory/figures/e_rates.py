"""(e) ``e_rates.png``: measured rates (E||∇f||^{4/3})^{3/2} against T of Generic Adam on
nonconvex-separable (d = 10, σ = 0.1), α_t = 0.1 t^{-s}, β = 0.9, θ_t = 1 - 0.1 t^{-r}, beside
the slopes the checker predicts.

Sweep files ``fig_e_rates.toml`` (quick: ``fig_e_rates_quick.toml``).
"""

from __future__ import annotations

import time

from .common import sweep_dataset, sweep_entry
from .shape import Figure, Job


def compute(job: Job) -> dict:
    from ..plotting.rates import rate_series

    t0 = time.perf_counter()
    ds, path = sweep_dataset(job, "e")
    series, rows = rate_series(ds)
    return {"series": series, "rows": rows, "seeds": int(ds.sizes["seed"]),
            "entry": sweep_entry(path), "t0": t0}


def draw(job: Job, parts: dict) -> dict:
    from ..plotting.rates import RATE_NOTE, rate_plot

    d = parts[job.group]
    rate_plot(d["series"], job.path(), title="Measured rates of Generic Adam on "
              "nonconvex-separable", subtitle=r"$d = 10$, $\sigma = 0.1$, "
              r"$\alpha_t = 0.1\,t^{-s}$, $\beta = 0.9$, $\theta_t = 1 - 0.1\,t^{-r}$",
              note=RATE_NOTE.format(n=d["seeds"]))
    return {**d["entry"], "python": "adamtheory.figures.e_rates.compute", "rates": d["rows"],
            "seconds": round(time.perf_counter() - d["t0"], 1)}


FIGURE = Figure(
    key="e", files=("e_rates.png",),
    summary="measured rates of Generic Adam against the checker's predicted slopes",
    compute=compute, draw=draw, groups=("stochastic",),
    sweeps={"e": ("fig_e_rates.toml", "fig_e_rates_quick.toml")})
