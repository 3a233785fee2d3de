"""(f) ``f_speedup.png``: linear speedup of distributed Adam (uncompressed), iterations until
the averaged gradient norm stays below the target, against N (log-log).

Geometric mean over seeds, the least-squares slope over N = 1..64, the heuristic slope -1 and
the plateau of large N, whose crossing with the fit is where it flattens; beside it the
**proved** end of the linear speedup, N b = N_b* = d σ²/(G_f² + d ε) (:func:`proved_threshold`;
docs/derivations.md, "Mini-batch and distributed Adam"), with the region past it marked
heuristic.

Sweep files ``dist_speedup[_quick].toml`` and ``dist_speedup_flat[_quick].toml`` on
nonconvex-separable; the full figure adds ``dist_speedup_logreg[_flat].toml``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..plotting.style import SERIES_NO_BLACK, pyplot
from .common import distributed_arrays, gmean, sweep_entry
from .shape import Figure, Job

#: panels: problem -> (main part, flat part) of :data:`FIGURE`'s sweeps
PANELS = {"nonconvex-separable": ("speedup", "flat"),
          "logreg-nonconvex": ("speedup_logreg", "flat_logreg")}


def proved_threshold(settings: dict) -> dict:
    r"""End of the linear speedup that Theorem 1 proves for mini-batch / distributed Adam.

    With N b samples per round, independent given the past, ||∇f(x)|| ≤ G_f and per-sample
    variance E||∇f(x, ξ) - ∇f(x)||² ≤ d σ² for every x, the round's gradient satisfies A4 (in
    the conditional form) with G_N² = G_f² + d σ²/(N b), and the bound gives
    T(ε_target) = Õ((d ε + G_f² + d σ²/(N b))/ε_target⁴): linear in 1/(N b) (up to a factor 2)
    only while

    .. math::  N b \le N_b^* = \frac{d \sigma^2}{G_f^2 + d \varepsilon}.

    Neither catalog problem declares G_f or σ² among its constants; they are computed here from
    the formulas in the problems' docstrings:

    * ``nonconvex-separable``: |r'(u)| ≤ 3√3/8 for r(u) = u²/(1+u²), so G_f² = 27 d/64; the
      noise is σ ξ with ξ ~ N(0, I_d), so d σ² is exact.
    * ``logreg-nonconvex``: ∇f(w) = Aᵀc/n + λ r'(w) with |c_i| = |σ(a_iᵀw) - y_i| < 1, so
      ||Aᵀc/n|| ≤ ||A||₂ √n/n = √λ_max(AᵀA/n) = 2 √(L - 2λ) (L as the problem declares it) and
      G_f = 2 √(L - 2λ) + λ (3√3/8) √d; a sample's deviation c_i a_i - Aᵀc/n has variance
      ≤ mean_i ||a_i||² (computed from the problem's data, 31 for standardised features and the
      bias). The regulariser is added in full and carries no noise.

    Parameters
    ----------
    settings : dict
        The sweep settings (``problem``, ``d``, ``sigma``, ``lam``, ``eps``, ``batch``).

    Returns
    -------
    dict
        ``{"applicable": True, "N_b_star", "N_star" (= N_b*/b, on the figure's N axis), "G_f",
        "d_sigma2", "eps", "formula"}``, or ``{"applicable": False, "reason"}`` for a problem to
        which Theorem 1 does not apply.
    """
    from ..distributed.sweep_plugin import problem_for

    name = settings["problem"]
    eps = float(settings.get("eps", 1e-8))
    if name == "nonconvex-separable":
        d, sigma = int(settings["d"]), float(settings["sigma"])
        Gf2 = 27.0 * d / 64.0                                   # (3√3/8)² per coordinate
        ds2 = d * sigma * sigma
    elif name == "logreg-nonconvex":
        lam = float(settings["lam"])
        p, _ = problem_for(name, lam=lam)
        d = p.dim
        a = np.asarray(p.data)[:, :d]
        Gf = 2.0 * math.sqrt(p.constants["L"] - 2.0 * lam) + lam * (3.0 * math.sqrt(3.0) / 8.0) \
            * math.sqrt(d)
        Gf2 = Gf * Gf
        ds2 = float(np.mean(np.sum(a * a, axis=1)))
    else:
        return {"applicable": False,
                "reason": f"{name}: Theorem 1 does not apply (no global G_f, A2, or constrained)"}
    n_b = ds2 / (Gf2 + d * eps)
    return {"applicable": True, "N_b_star": n_b, "N_star": n_b / int(settings.get("batch", 1)),
            "G_f": math.sqrt(Gf2), "d_sigma2": ds2, "eps": eps,
            "formula": "N b <= d sigma^2 / (G_f^2 + d eps)"}


def speedup_numbers(main: dict, flat: dict) -> dict:
    """Fitted slope over the main file's N, the plateau of the flat file's N, and N_flat."""
    N = np.array(main["axes"]["workers"], float)
    it = np.round(gmean(main["out"]["iters_to_target"], axis=-1), 3)       # over seeds
    ok = np.isfinite(it)
    slope, icpt = np.polyfit(np.log(N[ok]), np.log(it[ok]), 1)
    Nf = np.array(flat["axes"]["workers"], float)
    itf = gmean(flat["out"]["iters_to_target"], axis=-1)
    plateau = float(gmean(itf[np.isfinite(itf)])) if np.isfinite(itf).any() else math.nan
    n_flat = float(np.exp((math.log(plateau) - icpt) / slope)) if math.isfinite(plateau) else None
    return {"N": N.tolist(), "iters": it.tolist(), "fitted_slope": round(float(slope), 4),
            "fit_intercept": float(icpt), "derived_slope": -1.0,
            "within_0.15_of_-1": bool(abs(slope + 1) <= 0.15),
            "N_large": Nf.tolist(), "iters_large": itf.tolist(), "plateau_iters": plateau,
            "N_flat": n_flat, "target": float(main["fixed"]["target"]),
            "proved_threshold": proved_threshold(main["fixed"]),
            "seeds": int(main["seeds"].size), "steps": main["steps"],
            "iters_per_seed": main["out"]["iters_to_target"].tolist()}


def _plot_speedup(panels: list, path: Path):
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.9 * len(panels) + 0.2, 4.9), dpi=150,
                             squeeze=False)
    for ax, (name, main, _flat, num) in zip(axes[0], panels):
        N, it = np.array(num["N"]), np.array(num["iters"])
        per = np.asarray(num["iters_per_seed"], float)
        ax.plot(N, it, "o", color=SERIES_NO_BLACK[0], ms=5, label=f"measured, N ≤ {int(N.max())}")
        if per.shape[-1] > 1:
            lo, hi = np.nanmin(per, axis=-1), np.nanmax(per, axis=-1)
            ax.vlines(N, lo, hi, color=SERIES_NO_BLACK[0], lw=1, alpha=0.6)
        Nf, itf = np.array(num["N_large"]), np.array(num["iters_large"])
        ax.plot(Nf, itf, "s", color=SERIES_NO_BLACK[1], ms=5, label="measured, large N")
        grid = np.geomspace(1, max(Nf.max(), N.max()) * 1.2, 50)
        ax.plot(grid, np.exp(num["fit_intercept"]) * grid ** num["fitted_slope"], "-",
                color=SERIES_NO_BLACK[0], lw=1, label=f"fit: slope {num['fitted_slope']:.2f}")
        ax.plot(grid, it[0] * grid ** -1.0, "--", color="k", lw=0.9,
                label="heuristic: slope $-1$")
        thr = num["proved_threshold"]
        if thr.get("applicable"):
            ns = thr["N_star"]
            ax.axvspan(ns, grid[-1], color="#dddddd", alpha=0.45, lw=0, zorder=0,
                       label=r"heuristic: past $N_b^*$ (not proved)")
            ax.axvline(ns, color="k", lw=1.1, ls="-", zorder=1,
                       label=r"proved linear range ends: "
                             r"$N_b^* = d\sigma^2/(G_f^2 + d\varepsilon)$")
            ax.annotate(f"proved: linear\nup to $N b = {thr['N_b_star']:.2f}$", (ns, 0.97),
                        xycoords=("data", "axes fraction"), fontsize=6.5, ha="left", va="top",
                        xytext=(3, 0), textcoords="offset points")
            ax.annotate("shaded: heuristic\n(past the proved range)", (0.98, 0.97),
                        xycoords="axes fraction", fontsize=6, ha="right", va="top",
                        color="#444444", style="italic",
                        bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.0})
        if math.isfinite(num["plateau_iters"]):
            ax.axhline(num["plateau_iters"], color=SERIES_NO_BLACK[1], ls=":", lw=1,
                       label="plateau (deterministic part)")
        if num["N_flat"]:
            ax.axvline(num["N_flat"], color="#999999", lw=0.8, ls="-.")
            ax.annotate(f"measured: flattens\nat $N b \\approx {num['N_flat']:.0f}$",
                        (num["N_flat"], it[0] ** 0.5 * num["plateau_iters"] ** 0.5),
                        fontsize=6.5, ha="left", xytext=(4, 0), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(rf"workers $N$ (batch $b = {int(main['fixed'].get('batch', 1))}$ each)",
                      fontsize=8)
        ax.set_ylabel("iterations to target", fontsize=8)
        ax.set_title(f"{name}: target $\\overline{{\\|\\nabla f\\|}} < {num['target']:g}$ "
                     f"({num['seeds']} seed{'s' if num['seeds'] > 1 else ''})", fontsize=7.5)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
        ax.legend(fontsize=5.8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                  frameon=False)
    fig.suptitle("Speedup of distributed Adam (uncompressed)\nlinear speedup proved only for "
                 "$N b \\leq N_b^*$; heuristic past it\n"
                 + r"$\alpha_t = \alpha/\sqrt{t}$, $\theta_t = 1 - 0.1/\sqrt{t}$, $\beta = 0.9$",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def compute(job: Job) -> dict:
    t0 = time.perf_counter()
    panels, result, files = [], {}, []
    for name, (a, b) in PANELS.items():
        if a not in job.parts():
            continue
        main, flat = distributed_arrays(job, a), distributed_arrays(job, b)
        num = speedup_numbers(main, flat)
        panels.append((name, main, flat, num))
        result[name] = num
        files += [main["path"], flat["path"]]
    return {"panels": panels, "result": result, "files": files, "t0": t0}


def draw(job: Job, parts: dict) -> dict:
    d = parts[job.group]
    _plot_speedup(d["panels"], job.path())
    entries = [sweep_entry(f) for f in d["files"]]
    return {"sweep": [e["sweep"] for e in entries],
            "command": "; ".join(e["command"] for e in entries),
            "python": "adamtheory.figures.f_speedup.compute",
            "measure": "iters_to_target per seed (first step from which the exponential "
                       "average of ||grad f||^2 stays below target^2), geometric mean over "
                       "seeds; least-squares fit of log iters on log N over the main file",
            "result": d["result"], "seconds": round(time.perf_counter() - d["t0"], 1)}


FIGURE = Figure(
    key="f", files=("f_speedup.png",),
    summary="linear speedup of distributed Adam against N, with the proved end N_b*",
    compute=compute, draw=draw, groups=("distributed",),
    sweeps={"speedup": ("dist_speedup.toml", "dist_speedup_quick.toml"),
            "flat": ("dist_speedup_flat.toml", "dist_speedup_flat_quick.toml"),
            "speedup_logreg": ("dist_speedup_logreg.toml", None),
            "flat_logreg": ("dist_speedup_logreg_flat.toml", None)})
