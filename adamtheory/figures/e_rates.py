"""(e) ``e_rates.png``: measured rates (E||∇f||^{4/3})^{3/2} against T of Generic Adam on
nonconvex-separable (d = 10, σ = 0.1), α_t = 0.1 t^{-s}, β = 0.9, θ_t = 1 - 0.1 t^{-r}, beside
the slopes the checker predicts; ``e_bounds.png``: for a few schedules, Theorem 1's bound, both
statements of Theorem 2 (uniform τ, α-weighted τ) and the measured left side of each against T,
with the worst-case ratios of :func:`adamtheory.tightness.search` in the manifest entry.

Sweep files ``fig_e_rates.toml`` (quick: ``fig_e_rates_quick.toml``).
"""

from __future__ import annotations

import time

import numpy as np

from .common import sweep_dataset, sweep_entry
from .shape import Figure, Job

#: the schedules of the bounds panel (α_t, β_t, θ_t)
BOUND_SCHEDULES = (("0.05/sqrt(t)", "0", "1 - 0.5/t"),
                   ("0.05/sqrt(t)", "0.9", "1 - 0.5/t"),
                   ("0.02/sqrt(t)", "0.9", "0.999"))


def bounds_data(quick: bool, seed: int = 0) -> dict:
    """Bounds and measured left sides on nonconvex-separable (d = 10, σ = 0.1) for
    :data:`BOUND_SCHEDULES`, and the worst-case search of each schedule."""
    import counterexamples as cx

    from ..bounds import STATEMENT_LHS, generic_bound
    from ..engine.batch import default_checkpoints
    from ..simulate import simulate_grid
    from ..specs import OptimizerSpec
    from ..tightness import dense_checkpoints, search, weighted_lhs

    steps, seeds = (10**4, 3) if quick else (10**5, 5)
    prob = cx.get("nonconvex-separable", d=10, sigma=0.1)
    specs = [OptimizerSpec.from_text(*s) for s in BOUND_SCHEDULES]
    ck = default_checkpoints(steps, 25)
    dense = dense_checkpoints(steps, ck)
    pos = np.searchsorted(dense, ck)
    g = simulate_grid(specs, prob, steps, seeds=list(range(seed, seed + seeds)), checkpoints=dense)
    m43 = np.nanmean(g.batch.grad43.reshape(len(dense), len(specs), seeds), axis=2)
    series = []
    for j, (s, text) in enumerate(zip(specs, BOUND_SCHEDULES)):
        b = generic_bound(s, prob, ck)
        lhs = {"uniform": m43[pos, j] ** 1.5,
               "alpha-weighted": weighted_lhs(dense, m43[:, j], s.alpha.values(steps))[pos]}
        ratios = {k: float(np.min(np.asarray(v) / lhs[STATEMENT_LHS[k]]))
                  for k, v in b.statements.items()}
        wc = search(text, T=300 if quick else 1000, starts=3 if quick else 8,
                    maxfev=120 if quick else 200, seed=seed)
        series.append({"schedule": list(text), "T": ck.tolist(),
                       "bounds": {k: np.asarray(v).tolist() for k, v in b.statements.items()},
                       "measured": {k: v.tolist() for k, v in lhs.items()},
                       "constants": {k: {c: b.statement_constants[k][c]
                                         for c in ("C", "C'", "C''", "C'''")}
                                     for k in b.statements},
                       "min_bound_over_measured": ratios,
                       "worst_case": {k: {"ratio": wc[k]["ratio"], "at_T": wc[k]["at_T"]}
                                      for k in ("uniform", "alpha-weighted")}})
    return {"series": series, "steps": steps, "seeds": seeds}


def compute(job: Job) -> dict:
    from ..plotting.rates import rate_series

    t0 = time.perf_counter()
    ds, path = sweep_dataset(job, "e")
    series, rows = rate_series(ds)
    return {"series": series, "rows": rows, "seeds": int(ds.sizes["seed"]),
            "entry": sweep_entry(path), "t0": t0, "bounds": bounds_data(job.quick)}


_LABEL = {"theorem-1": "Theorem 1 (uniform τ)", "theorem-2-uniform": "Theorem 2, uniform τ",
          "theorem-2-weighted": "Theorem 2, α-weighted τ"}


def draw_bounds(path, data: dict) -> None:
    """Bounds and measured left sides against T, one panel per schedule (log-log)."""
    from ..plotting.style import DPI, FONT, PALETTE, pyplot

    plt = pyplot()
    n = len(data["series"])
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n, 3.2), dpi=DPI, sharey=True)
    for ax, s in zip(np.atleast_1d(axes), data["series"]):
        T = np.asarray(s["T"])
        for i, (k, v) in enumerate(s["bounds"].items()):
            ax.loglog(T, v, color=PALETTE[i], lw=1.4, label=_LABEL[k])
        for i, (k, v) in enumerate(s["measured"].items()):
            ax.loglog(T, v, color="black", ls=("-", "--")[i], lw=1.0,
                      label=f"measured, {'uniform' if k == 'uniform' else 'α-weighted'} τ")
        ax.set_title(f"α={s['schedule'][0]}, β={s['schedule'][1]}, θ={s['schedule'][2]}",
                     fontsize=FONT["label"])
        ax.set_xlabel("T", fontsize=FONT["label"])
        ax.tick_params(which="both", labelsize=FONT["tick"])
    np.atleast_1d(axes)[0].set_ylabel(r"$(E\|\nabla f(x_\tau)\|^{4/3})^{3/2}$", fontsize=FONT["label"])
    np.atleast_1d(axes)[0].legend(fontsize=FONT["legend"] - 1, loc="lower left")
    fig.suptitle(f"Bounds against measured left sides, nonconvex-separable (d = 10, σ = 0.1), "
                 f"{data['seeds']} seeds", fontsize=FONT["title"])
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def draw(job: Job, parts: dict) -> dict:
    from ..plotting.rates import RATE_NOTE, rate_plot

    d = parts[job.group]
    rate_plot(d["series"], job.path(), title="Measured rates of Generic Adam on "
              "nonconvex-separable", subtitle=r"$d = 10$, $\sigma = 0.1$, "
              r"$\alpha_t = 0.1\,t^{-s}$, $\beta = 0.9$, $\theta_t = 1 - 0.1\,t^{-r}$",
              note=RATE_NOTE.format(n=d["seeds"]))
    draw_bounds(job.path(1), d["bounds"])
    tight = [{"schedule": s["schedule"], "constants": s["constants"],
              "min_bound_over_measured": s["min_bound_over_measured"],
              "worst_found_over_bound": s["worst_case"]} for s in d["bounds"]["series"]]
    return {**d["entry"], "python": "adamtheory.figures.e_rates.compute", "rates": d["rows"],
            "bounds_file": job.figure.files[1], "tightness": tight,
            "seconds": round(time.perf_counter() - d["t0"], 1)}


FIGURE = Figure(
    key="e", files=("e_rates.png", "e_bounds.png"),
    summary="measured rates against the checker's predicted slopes; Theorem 1 and Theorem 2 "
            "(both τ statements) against the measured left sides, with worst-case ratios",
    compute=compute, draw=draw, groups=("stochastic",),
    sweeps={"e": ("fig_e_rates.toml", "fig_e_rates_quick.toml")})
