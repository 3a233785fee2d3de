"""Figures (f), (g), (h) of ``adamtheory figures``: linear speedup, loss against bits, and the
error-feedback counterexamples. Each runs the sweep files ``examples/dist_*.toml`` through the
plug-in's own :func:`~adamtheory.distributed.sweep_plugin.compute` (the sweep code path) and
returns manifest entries with the numbers shown.

(f) iterations until the averaged gradient norm stays below the target, against N (log-log):
    geometric mean over seeds, the least-squares slope over N = 1..64, the heuristic slope -1
    and the plateau of large N, whose crossing with the fit is where it flattens; beside it the
    **proved** end of the linear speedup, N b = N_b* = d σ²/(G_f² + d ε)
    (:func:`proved_threshold`; docs/derivations.md, "Mini-batch and distributed Adam"), with the
    region past it marked heuristic.
(g) f - f* against transmitted bits (uplink + downlink) for every compressor, error feedback on
    both sides (solid) and off (dashed); the factors of scaled sign with two-way EF against the
    uncompressed run (iterations to the target, and bits).
(h) the two EF counterexamples in the (x1, x2) plane with the invariant line x1 + x2 = const,
    trajectories with and without EF, and f - f* against t.

>>> # from adamtheory.distributed.figures import make; make(Path("out"), quick=True)
"""

from __future__ import annotations

import itertools
import math
import time
import tomllib
from pathlib import Path

import numpy as np

FILES = {"f": "f_speedup.png", "g": "g_bits.png", "h": "h_ef_counterexamples.png"}
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255",
           "#999999"]          # Okabe-Ito without black, and Tol's wine


# ------------------------------------------------------------------------------ sweep files
def _examples() -> Path:
    from ..figures import examples_dir

    return examples_dir()


def _rel(path: Path) -> str:
    return f"examples/{path.name}"


def run_file(path: Path) -> dict:
    """Run a ``simulator = "distributed"`` sweep file with the plug-in's ``compute``.

    Returns ``{"axes": {name: values}, "seeds", "steps", "checkpoints", "out": {var: array of
    shape (*axes, seed[, step])}}`` (the dataset layout of the sweep runner).
    """
    from .sweep_plugin import PARAMS, compute, validate

    raw = tomllib.loads(Path(path).read_text())
    fixed = {k: raw.get("settings", {}).get(k, v[1]) for k, v in PARAMS.items()}
    axes = {}
    for k, v in raw["grid"].items():
        axes[k] = list(v["values"] if isinstance(v, dict) else v)
        fixed.pop(k)
    run = raw["run"]
    steps = int(run["steps"])
    seeds = np.arange(run["seeds"]) if isinstance(run["seeds"], int) else np.array(run["seeds"])
    ck = run.get("checkpoints", 40)
    if isinstance(ck, int):
        from ..engine.batch import default_checkpoints

        ck = default_checkpoints(steps, ck)
    ck = np.asarray(ck, np.int64)
    combos = list(itertools.product(*axes.values()))
    rows = [dict(fixed, **dict(zip(axes, c))) for c in combos]
    for r in rows:
        validate(r)
    n = len(rows) * seeds.size
    st = {k: np.array([r[k] for r in rows for _ in seeds]) for k in PARAMS}
    res = compute(st, np.tile(seeds, len(rows)).astype(np.int64), steps, ck)
    shape = tuple(len(v) for v in axes.values()) + (seeds.size,)
    out = {k: v.reshape(shape + v.shape[1:]) for k, v in res.items()}
    assert n == int(np.prod(shape))
    return {"axes": axes, "seeds": seeds, "steps": steps, "checkpoints": ck, "out": out,
            "fixed": fixed, "title": raw.get("title", "")}


def _gmean(a, axis=-1):
    a = np.asarray(a, float)
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(a), axis=axis))


# ------------------------------------------------------------------------------ (f) speedup
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
    from .sweep_plugin import problem_for

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
    it = np.round(_gmean(main["out"]["iters_to_target"], axis=-1), 3)       # over seeds
    ok = np.isfinite(it)
    slope, icpt = np.polyfit(np.log(N[ok]), np.log(it[ok]), 1)
    Nf = np.array(flat["axes"]["workers"], float)
    itf = _gmean(flat["out"]["iters_to_target"], axis=-1)
    plateau = float(_gmean(itf[np.isfinite(itf)])) if np.isfinite(itf).any() else math.nan
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
    from ..plotting._basic import _pyplot

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.9 * len(panels) + 0.2, 4.9), dpi=150,
                             squeeze=False)
    for ax, (name, main, flat, num) in zip(axes[0], panels):
        N, it = np.array(num["N"]), np.array(num["iters"])
        per = np.asarray(num["iters_per_seed"], float)
        ax.plot(N, it, "o", color=PALETTE[0], ms=5, label=f"measured, N ≤ {int(N.max())}")
        if per.shape[-1] > 1:
            lo, hi = np.nanmin(per, axis=-1), np.nanmax(per, axis=-1)
            ax.vlines(N, lo, hi, color=PALETTE[0], lw=1, alpha=0.6)
        Nf, itf = np.array(num["N_large"]), np.array(num["iters_large"])
        ax.plot(Nf, itf, "s", color=PALETTE[1], ms=5, label="measured, large N")
        grid = np.geomspace(1, max(Nf.max(), N.max()) * 1.2, 50)
        ax.plot(grid, np.exp(num["fit_intercept"]) * grid ** num["fitted_slope"], "-",
                color=PALETTE[0], lw=1, label=f"fit: slope {num['fitted_slope']:.2f}")
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
            ax.axhline(num["plateau_iters"], color=PALETTE[1], ls=":", lw=1,
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
        ax.tick_params(labelsize=7)
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


def _speedup(out: Path, quick: bool) -> dict:
    t0 = time.perf_counter()
    ex = _examples()
    pairs = [("nonconvex-separable", "dist_speedup_quick.toml", "dist_speedup_flat_quick.toml")]
    if not quick:
        pairs = [("nonconvex-separable", "dist_speedup.toml", "dist_speedup_flat.toml"),
                 ("logreg-nonconvex", "dist_speedup_logreg.toml",
                  "dist_speedup_logreg_flat.toml")]
    panels, result, files = [], {}, []
    for name, a, b in pairs:
        main, flat = run_file(ex / a), run_file(ex / b)
        num = speedup_numbers(main, flat)
        panels.append((name, main, flat, num))
        result[name] = num
        files += [ex / a, ex / b]
    _plot_speedup(panels, out / FILES["f"])
    return {"sweep": [_rel(f) for f in files],
            "command": "; ".join(f"adamtheory sweep {_rel(f)} -o OUT" for f in files),
            "python": "adamtheory.distributed.figures._speedup",
            "measure": "iters_to_target per seed (first step from which the exponential "
                       "average of ||grad f||^2 stays below target^2), geometric mean over "
                       "seeds; least-squares fit of log iters on log N over the main file",
            "result": result, "seconds": round(time.perf_counter() - t0, 1)}


# ------------------------------------------------------------------------------ (g) bits
def bits_numbers(res: dict) -> dict:
    """Iterations and bits of every (compressor, EF) cell, and the factors of scaled sign with
    two-way EF against identity64 (iterations ratio, bits ratio) and against identity32."""
    from .compressors import get

    ax = res["axes"]
    comps = ax["compressor"]
    o = res["out"]
    cells = {}
    fx = res["fixed"]
    d = int(fx["d"]) if fx["problem"] == "nonconvex-separable" else 31
    down = {c: c if fx["downlink"] == "same" else fx["downlink"] for c in comps}
    per_round = {c: float(fx["workers"] * (get(c, k=fx["k"], s=fx["levels"]).bits(d) + get(
        down[c], k=fx["k"], s=fx["levels"]).bits(d))) for c in comps}   # N up and N down
    for i, c in enumerate(comps):
        for a, w in enumerate(ax["ef_worker"]):
            for b, s in enumerate(ax["ef_server"]):
                it = _gmean(o["iters_to_target"][i, a, b])
                cells[f"{c}|ef_worker={w}|ef_server={s}"] = {
                    "iters_to_target": None if not np.isfinite(it) else round(float(it), 3),
                    "bits_per_round": per_round[c],
                    "diverged_seeds": int(np.isnan(o["fgap"][i, a, b, :, -1]).sum()),
                    "final_fgap": float(_gmean(o["fgap"][i, a, b, :, -1]))}
    ref = cells["identity64|ef_worker=False|ef_server=False"]
    ss = cells["scaled_sign|ef_worker=True|ef_server=True"]
    out = {"target": float(res["fixed"]["target"]), "cells": cells, "dim": d}
    if ref["iters_to_target"] and ss["iters_to_target"]:
        out["scaled_sign_two_way_ef"] = {
            "iterations_factor": round(ss["iters_to_target"] / ref["iters_to_target"], 4),
            "bits_factor_vs_identity64": round(ref["bits_per_round"] / ss["bits_per_round"], 3),
            "bits_factor_vs_identity32": round(get("identity32").bits(d)
                                               / get("scaled_sign").bits(d), 3),
            "bits_to_target_factor_vs_identity64": round(
                ref["bits_per_round"] * ref["iters_to_target"]
                / (ss["bits_per_round"] * ss["iters_to_target"]), 3)}
    return out


def _plot_bits(panels: list, path: Path):
    from ..plotting._basic import _pyplot

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(2.9 * len(panels) + 1.3, 3.7), dpi=150,
                             squeeze=False)
    for ax, (name, res, num) in zip(axes[0], panels):
        o, comps = res["out"], res["axes"]["compressor"]
        for i, c in enumerate(comps):
            col = PALETTE[i % len(PALETTE)]
            for ef, ls in ((True, "-"), (False, "--")):
                a = res["axes"]["ef_worker"].index(ef)
                b = res["axes"]["ef_server"].index(ef)
                bits = (o["bits_up"][i, a, b] + o["bits_down"][i, a, b])[0]   # same per seed
                f = _gmean(np.maximum(o["fgap"][i, a, b], 1e-300), axis=0)
                ax.plot(bits, f, ls, color=col, lw=1.1,
                        label=f"{c}" if ef else None)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("transmitted bits (uplink + downlink)", fontsize=8)
        ax.set_ylabel(r"$f(x_t) - f^\star$" if name != "logreg-nonconvex" else
                      r"$f(x_t)$  ($f^\star$ unknown, $\geq 0$)", fontsize=8)
        fac = num.get("scaled_sign_two_way_ef", {})
        extra = (f"\nscaled sign, 2-way EF: {fac.get('bits_factor_vs_identity64', 0):.0f}× "
                 f"fewer bits,\n{fac.get('iterations_factor', math.nan):.2f}× iterations "
                 "(vs identity64)") if fac else ""
        ax.set_title(f"{name} (d = {num['dim']}, N = {int(res['fixed']['workers'])}){extra}",
                     fontsize=7)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(True, which="both", lw=0.3, alpha=0.4)
    h, lab = axes[0, 0].get_legend_handles_labels()
    h += [plt.Line2D([], [], color="#555555", ls=ls) for ls in ("-", "--")]
    lab += ["EF on both sides", "no EF"]
    fig.legend(h, lab, loc="center right", fontsize=6.5, frameon=False)
    fig.suptitle("Efficient-Adam (workers send compressed local Adam steps):\nloss against "
                 "transmitted bits", fontsize=8.5)
    fig.tight_layout(rect=(0, 0, 1 - 1.25 / fig.get_figwidth(), 1))
    fig.savefig(path)
    plt.close(fig)


def _bits(out: Path, quick: bool) -> dict:
    t0 = time.perf_counter()
    ex = _examples()
    files = [("nonconvex-separable", "dist_bits_quick.toml")] if quick else [
        ("nonconvex-separable", "dist_bits.toml"), ("logreg-nonconvex", "dist_bits_logreg.toml")]
    panels, result = [], {}
    for name, fname in files:
        res = run_file(ex / fname)
        num = bits_numbers(res)
        panels.append((name, res, num))
        result[name] = num
    _plot_bits(panels, out / FILES["g"])
    return {"sweep": [_rel(ex / f) for _, f in files],
            "command": "; ".join(f"adamtheory sweep {_rel(ex / f)} -o OUT" for _, f in files),
            "python": "adamtheory.distributed.figures._bits",
            "result": result, "seconds": round(time.perf_counter() - t0, 1)}


# ------------------------------------------------------------------------------ (h) EF
def _plot_ef(res: dict, path: Path) -> dict:
    import counterexamples as cx

    from ..plotting._basic import _pyplot

    plt = _pyplot()
    ax_ = res["axes"]
    o = res["out"]
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 6.2), dpi=150)
    summary = {}
    styles = {("sign", False): (PALETTE[1], "-", "sign, no EF (signSGD)"),
              ("sign", True): (PALETTE[4], "-", "sign + EF"),
              ("scaled_sign", False): (PALETTE[3], "--", "scaled sign, no EF"),
              ("scaled_sign", True): (PALETTE[2], "-", "scaled sign + EF")}
    t = res["checkpoints"]
    for j, pname in enumerate(ax_["problem"]):
        p = cx.get(pname)
        top, bot = axes[0, j], axes[1, j]
        xs = np.linspace(-0.6, 1.6, 160)
        X, Y = np.meshgrid(xs, xs)
        F = np.array([[p.objective(np.array([a, b]), p.params, p.data, np.empty(2))
                       for a in xs] for b in xs])
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
            a.tick_params(labelsize=7)
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


def _ef(out: Path, quick: bool) -> dict:
    t0 = time.perf_counter()
    path = _examples() / "dist_ef.toml"
    res = run_file(path)
    summary = _plot_ef(res, out / FILES["h"])
    return {"sweep": _rel(path), "command": f"adamtheory sweep {_rel(path)} -o OUT",
            "python": "adamtheory.distributed.figures._ef", "result": summary,
            "seconds": round(time.perf_counter() - t0, 1)}


def make(out: Path, quick: bool) -> dict:
    """Figures (f), (g), (h) into ``out``; returns ``{key: manifest entry}``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return {"h": _ef(out, quick), "f": _speedup(out, quick), "g": _bits(out, quick)}
