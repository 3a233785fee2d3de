"""(h) ``h_ef_counterexamples.png``: the two error-feedback counterexamples (Karimireddy et al.
2019) in the (x1, x2) plane with the invariant line x1 + x2 = const, trajectories with and
without EF, and f - f* against t.

Sweep file ``dist_ef.toml`` (the same in both modes).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..plotting.style import SERIES_NO_BLACK, pyplot
from .common import distributed_arrays, sweep_entry
from .shape import Figure, Job


def _plot_ef(res: dict, path: Path) -> dict:
    import counterexamples as cx

    plt = pyplot()
    ax_ = res["axes"]
    o = res["out"]
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 6.2), dpi=150)
    summary = {}
    styles = {("sign", False): (SERIES_NO_BLACK[1], "-", "sign, no EF (signSGD)"),
              ("sign", True): (SERIES_NO_BLACK[4], "-", "sign + EF"),
              ("scaled_sign", False): (SERIES_NO_BLACK[3], "--", "scaled sign, no EF"),
              ("scaled_sign", True): (SERIES_NO_BLACK[2], "-", "scaled sign + EF")}
    t = res["checkpoints"]
    for j, pname in enumerate(ax_["problem"]):
        p = cx.get(pname)
        top, bot = axes[0, j], axes[1, j]
        xs = np.linspace(-0.6, 1.6, 160)
        X, Y = np.meshgrid(xs, xs)
        # the oracle's Python function: 25 600 calls of the compiled one from Python cost
        # more than its first compilation (0.9 s); the values are the same
        f = getattr(p.objective, "py_func", p.objective)
        F = np.array([[f(np.array([a, b]), p.params, p.data, np.empty(2)) for a in xs]
                      for b in xs])
        top.contour(X, Y, F, levels=12, colors="#bbbbbb", linewidths=0.5)
        c0 = float(p.x0.sum())
        top.plot(xs, c0 - xs, ":", color="k", lw=1, label=f"invariant line $x_1 + x_2 = {c0:g}$")
        summary[pname] = {}
        for a, comp in enumerate(ax_["compressor"]):
            for b, ef in enumerate(ax_["ef_worker"]):
                col, ls, lab = styles[(comp, ef)]
                x1, x2 = o["x1"][j, a, b, 0], o["x2"][j, a, b, 0]
                top.plot(np.r_[p.x0[0], x1], np.r_[p.x0[1], x2], ls, color=col, lw=1, label=lab)
                bot.plot(t, np.maximum(o["fgap"][j, a, b, 0], 1e-12), ls, color=col, lw=1.1,
                         label=lab)
                summary[pname][f"{comp}|ef_worker={ef}"] = {
                    "x1_plus_x2_final": float(x1[-1] + x2[-1]),
                    "max_drift_of_x1_plus_x2": float(np.max(np.abs(x1 + x2 - c0))),
                    "fgap_final": float(o["fgap"][j, a, b, 0, -1])}
        top.plot([0], [0], "k*", ms=8, label=r"$x^\star = 0$")
        top.plot([p.x0[0]], [p.x0[1]], "ko", ms=4)
        top.set_xlim(-0.6, 1.6)
        top.set_ylim(-0.6, 1.6)
        top.set_aspect("equal")
        top.set_xlabel("$x_1$", fontsize=8)
        top.set_ylabel("$x_2$", fontsize=8)
        top.set_title(f"{pname}: iterates", fontsize=8)
        bot.axhline(p.meta["line_minimum"], color="k", ls=":", lw=0.8,
                    label="min of f on the line")
        bot.set_xscale("log")
        bot.set_yscale("log")
        bot.set_xlabel("step $t$", fontsize=8)
        bot.set_ylabel(r"$f(x_t) - f^\star$", fontsize=8)
        bot.set_title(f"{pname}: loss", fontsize=8)
        for a in (top, bot):
            a.tick_params(which="both", labelsize=7)
        bot.grid(True, which="both", lw=0.3, alpha=0.4)
    axes[0, 0].legend(fontsize=6, loc="upper left")
    axes[1, 0].legend(fontsize=6, loc="lower left")
    fig.suptitle(r"Error-feedback counterexamples (Karimireddy et al. 2019): "
                 r"$x_{t+1} = x_t - \alpha_t\,Q(g_t + e_t)$, $\alpha_t = 0.05/\sqrt{t}$",
                 fontsize=8.5)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return summary


def compute(job: Job) -> dict:
    t0 = time.perf_counter()
    return {"res": distributed_arrays(job, "ef"), "t0": t0}


def draw(job: Job, parts: dict) -> dict:
    d = parts[job.group]
    summary = _plot_ef(d["res"], job.path())
    return {**sweep_entry(d["res"]["path"]), "python": "adamtheory.figures.h_ef.compute",
            "result": summary, "seconds": round(time.perf_counter() - d["t0"], 1)}


FIGURE = Figure(
    key="h", files=("h_ef_counterexamples.png",),
    summary="error-feedback counterexamples: without EF the iterates stay on x1 + x2 = const",
    compute=compute, draw=draw, groups=("distributed",),
    sweeps={"ef": ("dist_ef.toml", "dist_ef.toml")})
