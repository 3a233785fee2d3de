"""Trajectories against t: the iterate x_t and the average regret R_t/t (or other metrics).

:func:`trace_figure` draws panel rows of named runs (mean over seeds with a min-max band, the
checker's verdict in the legend); :func:`trajectory_plot` selects the runs from a sweep's results
(one axis swept, the others sliced) and is what ``adamtheory plot trajectories`` calls.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..engine.metrics import METRICS
from ..errors import InputError
from .style import DPI, PALETTE, pyplot

PANEL_TEXT = {name: m.tex for name, m in METRICS.items()}
PANEL_TITLE = {name: m.title for name, m in METRICS.items()}
MAX_SERIES = len(PALETTE)


def math_rate(text: str) -> str:
    """``converges (Corollary 1), O(log(T)/T**(1/4))`` -> mathtext ``$O(\\log T / T^{1/4})$``."""

    def conv(m):
        e = m.group(0)
        e = re.sub(r"T\*\*\(([^)]*)\)", r"T^{\1}", e)
        e = e.replace("sqrt(T)", r"\sqrt{T}").replace("log(T)", r"\log T")
        return "$" + e + "$"

    return re.sub(r"O\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)", conv, text)


def trace_figure(rows: dict, path, title: str, legend_title: str | None = None,
                 panels=("x", "regret"), x_star: float | None = -1.0, box=(-1.0, 1.0)):
    """Panel rows of runs against t (log axis).

    ``rows`` maps a row name to ``{"steps": (n_ck,), "series": {name: {metric: (seed, step)
    array, "theory": verdict text}}}``; each panel of a row shows one metric of ``panels``: the
    mean over seeds, with the min-max band when there are several. ``x_star`` draws the optimum on
    the iterate panel and ``box`` fixes its limits (a one-dimensional problem on a box).
    """
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), len(panels), figsize=(7.0, 2.35 * len(rows) + 0.9),
                             dpi=DPI, squeeze=False)
    for (rname, data), row in zip(rows.items(), axes):
        t = data["steps"]
        for (name, tr), color in zip(data["series"].items(), PALETTE):
            lab = f"{name} ({math_rate(tr['theory'])})" if tr.get("theory") else name
            for ax, metric in zip(row, panels):
                y = np.atleast_2d(tr[metric])
                ax.plot(t, np.nanmean(y, axis=0), color=color, lw=1.2, label=lab)
                if y.shape[0] > 1:
                    ax.fill_between(t, np.nanmin(y, axis=0), np.nanmax(y, axis=0), color=color,
                                    alpha=0.18, lw=0)
        n = np.atleast_2d(next(iter(data["series"].values()))[panels[0]]).shape[0]
        how = f"mean of {n} seeds, band: min-max" if n > 1 else "one run"
        for ax, metric in zip(row, panels):
            ax.set_xscale("log")
            ax.set_xlabel(r"step $t$", fontsize=8)
            ax.set_ylabel(PANEL_TEXT.get(metric, metric), fontsize=8)
            ax.tick_params(which="both", labelsize=7)
            ax.grid(True, lw=0.3, alpha=0.5)
            what = PANEL_TITLE.get(metric, metric)
            # two lines: "row: metric (mean of n seeds, band: min-max)" is wider than a panel
            ax.set_title(f"{rname}: {what}\n({how})" if rname else f"{what} ({how})", fontsize=7)
            vals = np.concatenate([np.ravel(tr[metric]) for tr in data["series"].values()])
            vals = vals[np.isfinite(vals)]
            if metric == "x":
                if x_star is not None:
                    ax.axhline(x_star, color="k", ls=":", lw=0.8, label=r"$x^\star = "
                               f"{x_star:g}$")
                if box is not None:
                    pad = 0.04 * (box[1] - box[0])
                    ax.set_ylim(box[0] - pad, box[1] + pad)
            elif vals.size and np.nanmin(vals) > 0:
                ax.set_yscale("log")
            elif vals.size:  # stochastic regret against x* can be negative
                ax.set_yscale("symlog", linthresh=0.1)
                ax.axhline(0, color="k", lw=0.5)
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=2, fontsize=6.5, frameon=False,
               title=legend_title, title_fontsize=6.5)
    fig.suptitle(title, fontsize=9)
    n_leg = (len(lab) + 1) // 2 + (1 if legend_title else 0)
    fig.tight_layout(rect=(0, (0.16 * n_leg + 0.1) / fig.get_figheight(), 1, 0.97))
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def verdict_texts(source, cells: list) -> list:
    """The checker's verdict on each cell as legend text: its
    :func:`adamtheory.conditions.headline` (``converges (Corollary 1), O(...)``, ``no
    guarantee: ...``, ``undecided: ...``) or ``outside the family`` (AMSGrad).

    ``source``: results' stored verdicts (:func:`adamtheory.sweep.theory.stored_theory`) or a
    sweep the caller loaded from a file it trusts (see
    :func:`adamtheory.sweep.theory.theory_cells`)."""
    from ..conditions import headline
    from ..sweep.theory import theory_cells

    in_family = source.in_family(cells[0])
    if not in_family:
        return ["outside the family"] * len(cells)
    _, verdicts = theory_cells(source, cells)
    return [headline(v) for v in verdicts]


def trajectory_plot(ds, along: str, path, *, slices: dict | None = None, panels=None,
                    title: str | None = None):
    """Traces of the runs along one grid axis of a sweep's results, the others sliced.

    The seed axis may be left unsliced: the panels then show the mean over seeds with a min-max
    band (and say so). Every other axis with several values must be sliced. Each run's legend
    entry carries the checker's verdict on its schedules. Returns the path written.
    """
    from ..sweep.identity import as_float
    from ..sweep.theory import problem_for, stored_theory
    from ._basic import output_path
    from .cells import fmt, match, symbol

    path = output_path(path)
    if "label" not in ds:
        raise InputError("the results have no 'label' variable; give the -o directory of an "
                         "engine sweep (plug-in simulators have their own figures)")
    dims = [d for d in ds["label"].dims]
    if along not in dims or along == "seed":
        raise InputError(f"along = {along}: not a grid axis of these results (axes: "
                         f"{', '.join(d for d in dims if d != 'seed')})")
    if ds.sizes[along] > MAX_SERIES:
        raise InputError(f"along = {along} has {ds.sizes[along]} values; at most {MAX_SERIES} "
                         "runs fit one figure: run a sweep with fewer values of it")
    fixed = {}
    for k, v in (slices or {}).items():
        if k not in dims:
            raise InputError(f"slice {k}={v}: {k} is not a grid axis (axes: {', '.join(dims)})")
        if k == along:
            raise InputError(f"slice {k}={v}: {k} is the axis runs are drawn along; slice "
                             "another axis")
        fixed[k] = match(ds, k, v)
    for d in dims:
        if d in fixed or d in (along, "seed"):
            continue
        if ds.sizes[d] == 1:
            fixed[d] = ds[d].values[0]
            continue
        raise InputError(f"axis {d} has {ds.sizes[d]} values and is not the one runs are drawn "
                         f"along: slice it ({d}={fmt(ds[d].values[0])}; results are never "
                         "averaged over it)")
    sub = ds.sel(fixed)
    if panels is None:
        has_regret = bool(np.isfinite(sub["regret"].values).any())
        panels = ("x", "regret") if has_regret else ("x", "gnorm")
    for p in panels:
        if p not in ds or "step" not in ds[p].dims:
            raise InputError(f"panel {p}: not a metric of these results (metrics: "
                             f"{', '.join(k for k in ds.data_vars if 'step' in ds[k].dims)})")
    theory = stored_theory(ds)
    cells = [{**{k: val for k, val in fixed.items() if k != "seed"}, along: v}
             for v in sub[along].values]
    series = {}
    for v, text in zip(sub[along].values, verdict_texts(theory, cells)):
        run = sub.sel({along: v})
        tr = {p: np.atleast_2d(run[p].transpose(..., "step").values) for p in panels}
        tr["theory"] = text
        series[f"${symbol(along)} = {fmt(v)}$"] = tr
    dim = int(ds.attrs.get("dim", 0)) or (ds.sizes["coord"] if "coord" in ds.dims else 1)
    # the problem's metadata as stored with the results: the problem is never built here
    problem = problem_for(ds, {**fixed, along: sub[along].values[0]}) if dim == 1 else None
    x_star = (as_float(problem["x_star"][0]) if problem is not None and problem.get("x_star")
              else None)
    box = ((as_float(problem["lower"][0]), as_float(problem["upper"][0]))
           if problem is not None and problem.get("bounded") else None)
    where = ", ".join(f"{k} = {fmt(v)}" for k, v in fixed.items())
    ttl = title or (ds.attrs.get("title") or "trajectories") + (f" ({where})" if where else "")
    return trace_figure({"": {"steps": ds["step"].values, "series": series}}, path, ttl,
                        panels=tuple(panels), x_star=x_star, box=box,
                        legend_title="in brackets: the checker's verdict")
