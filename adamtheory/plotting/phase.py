"""Phase diagrams of a sweep's results, with the checker's verdict drawn over the same cells.

A phase diagram is a 2-d slice ``(y, x)`` of a sweep dataset (see
:func:`adamtheory.sweep.open_results`): each cell is coloured by the run's label (converged,
stuck at a wrong point, diverged, undecided) or by a metric at the last checkpoint. Every other
grid axis, the seed included, must be *sliced* (one value) or *faceted* (one panel per value):
results are never averaged silently. An axis with a single value is sliced automatically.

The theory overlay is not drawn by hand: when the sweep ran, each cell's
:class:`~adamtheory.specs.OptimizerSpec` (the one the sweep ran) was decided by
:func:`adamtheory.conditions.check` and the verdict stored with the results (see
:mod:`adamtheory.sweep.theory`); the overlay reads ``converges`` (true / false / null) or one
condition's ``status`` from there, as data. Nothing named in the results is imported or run.
Cells where the checker guarantees convergence (or where one named condition holds) are
hatched and their region outlined. The figure states how many cells
the theory guarantees but the run labels stuck or diverged (the *mismatch* count).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine.metrics import METRICS
from ..errors import InputError
from ..sweep.theory import OVERLAYS, condition_mask, stored_theory, theory_cells  # noqa: F401 (re-exported)
from ._basic import output_path, wrap
from .cells import fmt, parse_slices, select_cells, symbol  # noqa: F401 (re-exported)
from .geometry import CURVES, CellAxis, curve_points, outline_segments
from .style import pyplot

#: Okabe-Ito colours for the run labels (grey, outside the palette, for "undecided").
LABEL_COLORS = {
    "converged": "#009E73",
    "stuck": "#E69F00",
    "diverged": "#D55E00",
    "undecided": "#BBBBBB",
}
LABEL_TEXT = {"converged": "converged", "stuck": "stuck at a wrong point",
              "diverged": "diverged", "undecided": "undecided"}
#: Colour-bar labels of the engine's metrics (other metrics are labelled by their name).
METRIC_TEXT = {name: m.tex for name, m in METRICS.items()}
BAD = ("stuck", "diverged")


# ---------------------------------------------------------------------- the figure
@dataclass
class PhaseResult:
    """What a phase diagram shows, for tests and the figure manifest.

    ``labels`` and ``values`` have shape ``(n_facets, len(y_values), len(x_values))``; ``mask`` is
    the overlay (None without one); ``mismatch`` counts cells with mask True whose label is
    stuck or diverged.
    """

    path: object
    x: str
    y: str
    x_values: np.ndarray
    y_values: np.ndarray
    facet: str | None
    facet_values: list
    fixed: dict
    labels: np.ndarray
    values: np.ndarray | None
    mask: np.ndarray | None
    verdicts: list | None
    overlay: str | None
    guaranteed: int = 0
    mismatch: int = 0
    mismatch_cells: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    text: str = ""

    def summary(self) -> dict:
        return {"x": self.x, "y": self.y, "facet": self.facet,
                "fixed": {k: str(v) if np.asarray(v).dtype.kind in "USb" else float(v)
                          for k, v in self.fixed.items()},
                "cells": int(self.labels.size), "label_counts": self.counts,
                "overlay": self.overlay, "guaranteed": self.guaranteed,
                "mismatch": self.mismatch, "mismatch_cells": self.mismatch_cells,
                "text": self.text}


def _grid(ds, var, x, y, fixed, facet, fvals):
    out = []
    for f in fvals:
        sel = dict(fixed)
        if facet:
            sel[facet] = f
        da = ds[var].sel(sel)
        if "step" in da.dims:
            da = da.isel(step=-1)
        out.append(da.transpose(y, x).values)
    return np.stack(out)


def _outline(ax, m, xe, ye, **kw):
    """Draw the boundary of the True region of the (ny, nx) mask ``m`` on cell edges."""
    from matplotlib.collections import LineCollection

    segs = outline_segments(m, xe, ye)
    if segs:
        ax.add_collection(LineCollection(segs, **kw))


def _draw_curve(ax, name, x_ax, y_ax):
    px, py = curve_points(name, x_ax, y_ax)
    style = ("--", ":", "-.")[list(CURVES).index(name) % 3]
    ax.plot(px, py, color="k", ls=style, lw=1.1, label=CURVES[name][3])


def phase_diagram(ds, x: str, y: str, path, *, metric: str | None = None,
                  slices: dict | None = None, facet: str | None = None,
                  overlay: str | None = None, curves=(), title: str | None = None,
                  note: str | None = None, workers: int = 1, verdicts=None,
                  dpi: int = 200, render: bool = True) -> PhaseResult:
    """Draw the (x, y) phase diagram of the sweep results ``ds`` into ``path``.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`adamtheory.sweep.open_results`.
    x, y : str
        Grid axes on the horizontal and vertical axis.
    metric : str, optional
        A metric variable (``dist``, ``gnorm``, ``regret``, ...) at the last checkpoint, drawn
        with a colour bar; default: the labels in categorical colours.
    slices : dict, optional
        ``{axis: value}`` for the other axes (the seed included).
    facet : str, optional
        One panel per value of this axis.
    overlay : str, optional
        ``"theory"`` (hatch where the checker guarantees convergence) or SC1-SC4/convergence.
    curves : sequence of str
        Keys of :data:`CURVES` to draw (both axes of the curve must be plotted).
    note : str, optional
        An extra line of text under the figure (e.g. the cause of a mismatch).
    workers : int
        Processes for the checker.
    render : bool
        False: only what the diagram shows (cells, labels, overlay, mismatch, text), nothing
        drawn or written (``path`` may be None).
    """
    path = output_path(path) if render else path
    known = [k for k in ds.data_vars if "step" in ds[k].dims]
    if metric is not None and metric not in known:
        raise InputError(f"metric {metric}: not a metric of these results "
                         f"(metrics: {', '.join(known)})")
    if metric is None and "label" not in ds:
        raise InputError(f"these results ({ds.attrs.get('simulator', 'a simulator')}) have no "
                         f"run labels; colour the cells by a metric (metrics: {', '.join(known)})")
    for c in curves:
        if c not in CURVES:
            raise InputError(f"curve {c}: unknown; known: {', '.join(CURVES)}")
    fixed, fvals = select_cells(ds, x, y, slices, facet)
    values = _grid(ds, metric, x, y, fixed, facet, fvals).astype(float) if metric else None
    labels = (_grid(ds, "label", x, y, fixed, facet, fvals).astype(str) if "label" in ds
              else np.full(values.shape, "", dtype="<U9"))
    xa, ya = CellAxis(x, ds[x].values), CellAxis(y, ds[y].values)
    nf, ny, nx = labels.shape

    mask = None
    if overlay:
        if overlay not in OVERLAYS:
            raise InputError(f"overlay {overlay}: use one of {', '.join(OVERLAYS)}")
        cells = []
        for f in fvals:
            for yv in ds[y].values:
                for xv in ds[x].values:
                    c = {**fixed, y: yv, x: xv}
                    if facet:
                        c[facet] = f
                    cells.append(c)
        if verdicts is None:
            flat, verdicts = theory_cells(stored_theory(ds), cells, overlay, workers=workers)
        else:
            flat = condition_mask(verdicts, overlay)
        mask = flat.reshape(nf, ny, nx)

    counts = {k: int((labels == k).sum()) for k in LABEL_COLORS if (labels == k).any()}
    res = PhaseResult(path, x, y, np.asarray(ds[x].values), np.asarray(ds[y].values), facet,
                      fvals, fixed, labels, values, mask, verdicts, overlay, counts=counts)
    lines = []
    if mask is not None:
        bad = mask & np.isin(labels, BAD) if overlay == "theory" else np.zeros_like(mask)
        res.guaranteed, res.mismatch = int(mask.sum()), int(bad.sum())
        for f_i, i, j in zip(*np.nonzero(bad)):
            cell = {x: float(res.x_values[j]), y: float(res.y_values[i]),
                    "label": str(labels[f_i, i, j])}
            if facet:
                cell[facet] = float(fvals[f_i])
            res.mismatch_cells.append(cell)
        what = "guarantees convergence" if overlay == "theory" else f"says {overlay} holds"
        under = {k: int((labels[mask] == k).sum()) for k in LABEL_COLORS}
        lines.append(f"Checker {what} on {res.guaranteed} of {labels.size} cells (hatched); runs "
                     f"there: {under['converged']} converged, {under['undecided']} undecided, "
                     f"{under['stuck']} stuck, {under['diverged']} diverged.")
        if overlay == "theory":
            lines.append(f"Guaranteed but labelled stuck or diverged: {res.mismatch} cells.")
    if note:
        lines.append(note)
    res.text = " ".join(lines)
    if render:
        _render(ds, res, xa, ya, metric, curves, title, lines, dpi)
    return res


def _subtitle(ds, res) -> str:
    bits = [str(ds.attrs.get("problem", ""))]
    if "step" in ds.coords:
        bits.append(f"$T = {int(ds['step'].values[-1])}$ steps")
    for k, v in res.fixed.items():
        bits.append(f"${symbol(k)} = {fmt(v)}$")
    return ", ".join(b for b in bits if b)


def _render(ds, res, xa, ya, metric, curves, title, lines, dpi):
    plt = pyplot()
    from matplotlib.colors import ListedColormap, LogNorm, Normalize
    from matplotlib.patches import Patch, Rectangle

    nf = res.labels.shape[0]
    ncols = min(nf, 3)
    nrows = int(np.ceil(nf / ncols))
    pw = 3.4 if nf == 1 else 2.3
    wrapped = [wrap(t, int(72 * ncols * pw / 3.4)) for t in lines]
    n_text = sum(t.count("\n") + 1 for t in wrapped)
    n_handles = ((0 if metric else len(res.counts)) + (res.mask is not None)
                 + bool(res.mismatch) + len(curves))
    legend_h = 0.125 * np.ceil(n_handles / 2) + 0.06
    line_h = 0.105
    rot = 0.22 if xa.kind == "index" and xa.values.size > 6 else 0.0  # rotated tick labels
    foot = legend_h + line_h * n_text + 0.1 + rot
    fig_w = pw * ncols + (0.5 if metric else 0.0)
    panel_h = 2.6 if nf == 1 else 2.1
    fig_h = panel_h * nrows + foot + 0.55 + 0.15 * (len(title or ds.attrs.get("title") or "")
                                                     > 52 * pw * ncols / 3.4)
    fig, axes = plt.subplots(nrows, ncols, figsize=(fig_w, fig_h), dpi=dpi, squeeze=False)
    keys = list(LABEL_COLORS)
    cmap_lab = ListedColormap([LABEL_COLORS[k] for k in keys])
    if metric:
        vals = res.values[np.isfinite(res.values)]
        if vals.size and (vals > 0).all() and vals.max() / vals.min() > 100:
            norm = LogNorm(vals.min(), vals.max())
        else:
            norm = Normalize(*(vals.min(), vals.max()) if vals.size else (0, 1))
        cmap = plt.get_cmap("viridis").with_extremes(bad="#DDDDDD")
    mesh = None
    for k in range(nrows * ncols):
        ax = axes.flat[k]
        if k >= nf:
            ax.set_visible(False)
            continue
        if metric:
            mesh = ax.pcolormesh(xa.edges, ya.edges, np.ma.masked_invalid(res.values[k]),
                                 cmap=cmap, norm=norm)
        else:
            codes = np.full(res.labels[k].shape, np.nan)
            for c, key in enumerate(keys):
                codes[res.labels[k] == key] = c
            ax.pcolormesh(xa.edges, ya.edges, np.ma.masked_invalid(codes), cmap=cmap_lab,
                          vmin=-0.5, vmax=len(keys) - 0.5)
        if res.mask is not None:
            m = res.mask[k]
            for i, j in zip(*np.nonzero(m)):
                ax.add_patch(Rectangle((xa.edges[j], ya.edges[i]), xa.edges[j + 1] - xa.edges[j],
                                       ya.edges[i + 1] - ya.edges[i], fill=False, hatch="////",
                                       edgecolor="k", linewidth=0, alpha=0.55))
            _outline(ax, m, xa.edges, ya.edges, colors="k", linewidths=1.4)
            bad = (m & np.isin(res.labels[k], BAD) if res.overlay == "theory"
                   else np.zeros_like(m))
            small = max(m.shape) > 16
            for i, j in zip(*np.nonzero(bad)):
                ax.plot(xa.pos(res.x_values[j]), ya.pos(res.y_values[i]), "kx",
                        ms=2.0 if small else 4, mew=0.7 if small else 1.2)
        for c in curves:
            _draw_curve(ax, c, xa, ya)
        xa.setup(ax, "x")
        ya.setup(ax, "y")
        ax.tick_params(which="both", labelsize=7)
        ax.set_xlabel(f"${symbol(xa.name)}$", fontsize=8)
        ax.set_ylabel(f"${symbol(ya.name)}$", fontsize=8)
        if res.facet:
            ax.set_title(f"${symbol(res.facet)} = {fmt(res.facet_values[k])}$", fontsize=7)
    handles = []
    if not metric:
        handles += [Patch(color=LABEL_COLORS[key], label=f"{LABEL_TEXT[key]} ({n})")
                    for key, n in res.counts.items()]
    if res.mask is not None:
        what = ("checker: convergence guaranteed" if res.overlay == "theory"
                else f"checker: {res.overlay} holds")
        handles.append(Patch(facecolor="white", edgecolor="k", hatch="////", label=what))
        if res.mismatch:
            handles.append(plt.Line2D([], [], color="k", marker="x", ls="", ms=4,
                                      label="guaranteed, but stuck/diverged"))
    seen = set()
    for ax in axes.flat[:nf]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in seen:
                seen.add(lab)
                handles.append(h)
    if metric:
        cb = fig.colorbar(mesh, ax=list(axes.flat[:nf]), fraction=0.05, pad=0.03)
        cb.set_label(f"{METRIC_TEXT.get(metric, metric)} at the last step", fontsize=7)
        cb.ax.tick_params(labelsize=6)
    ttl = wrap(title or ds.attrs.get("title") or "phase diagram", int(52 * fig_w / 3.4))
    n_title = ttl.count("\n") + 1
    fig.suptitle(ttl, fontsize=8.5, y=0.995)
    fig.text(0.5, 1 - (0.16 + 0.15 * n_title) / fig_h, _subtitle(ds, res), ha="center",
             va="top", fontsize=7)
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=5.8, frameon=False,
                   columnspacing=1.0, handlelength=1.6,
                   bbox_to_anchor=(0.5, (line_h * n_text + 0.08) / fig_h))
    if wrapped:
        fig.text(0.02, 0.06 / fig_h, "\n".join(wrapped), ha="left", va="bottom", fontsize=6)
    top = 1 - (0.4 + 0.15 * n_title) / fig_h
    bottom = foot / fig_h + 0.45 / fig_h
    if metric:
        fig.subplots_adjust(left=0.55 / fig_w, right=0.88, top=top, bottom=bottom, wspace=0.35,
                            hspace=0.45)
    else:
        fig.subplots_adjust(left=0.55 / fig_w, right=0.97, top=top, bottom=bottom,
                            wspace=0.3, hspace=0.45)
    fig.savefig(res.path)
    plt.close(fig)
