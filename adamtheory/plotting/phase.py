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

from ..errors import InputError
from ._basic import _pyplot, wrap

#: Okabe-Ito colours for the run labels (grey, outside the palette, for "undecided").
LABEL_COLORS = {
    "converged": "#009E73",
    "stuck": "#E69F00",
    "diverged": "#D55E00",
    "undecided": "#BBBBBB",
}
LABEL_TEXT = {"converged": "converged", "stuck": "stuck at a wrong point",
              "diverged": "diverged", "undecided": "undecided"}
METRIC_TEXT = {
    "x": r"$x_T$", "dist": r"$\|x_T - x^\star\|$", "fgap": r"$f(x_T) - f^\star$",
    "gnorm": r"$\|\nabla f(x_T)\|$", "pgnorm": r"projected gradient norm at $x_T$",
    "regret": r"average regret $R_T/T$", "grad43": r"$\frac{1}{T}\sum_t \|\nabla f(x_t)\|^{4/3}$",
    "gradmin2": r"$\min_{t\leq T} \|\nabla f(x_t)\|^2$",
}
SYMBOLS = {"beta1": r"\beta_1", "beta2": r"\beta_2", "lr": r"\alpha", "theta": r"\theta",
           "lam": r"\lambda", "eps": r"\epsilon", "eps_root": r"\epsilon_{root}",
           "delta": r"\delta", "sigma": r"\sigma", "x0": "x_1"}
#: Named boundary curves: (independent axis, dependent axis, function, legend text).
CURVES = {
    "r=2s": ("s", "r", lambda u: 2.0 * u, r"$r = 2s$ (SC3 boundary)"),
    "s=1": ("r", "s", lambda u: np.ones_like(u), r"$s = 1$ (T$\alpha_T$ stops growing)"),
    "beta1=sqrt(beta2)": ("beta2", "beta1", np.sqrt, r"$\beta_1 = \sqrt{\beta_2}$ (SC4 boundary)"),
}
#: What ``overlay`` may name: the full guarantee ("theory") or one condition of the checker.
OVERLAYS = ("theory", "SC1", "SC2", "SC3", "SC4", "convergence")
BAD = ("stuck", "diverged")
_CACHE: dict = {}  # (sweep fingerprint, numeric range) -> {cell values: Verdict}


def symbol(name: str) -> str:
    """Mathtext for a grid axis name (``beta1`` -> ``\\beta_1``)."""
    if name == "seed":
        return r"\mathrm{seed}"
    return SYMBOLS.get(name, name.replace("_", r"\_"))


def _fmt(v) -> str:
    return f"{float(v):.6g}"


# ---------------------------------------------------------------------- selecting cells
def _match(ds, axis: str, value) -> float:
    vals = np.asarray(ds[axis].values, dtype=float)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"--slice {axis}={value}: the value must be a number") from None
    hit = np.flatnonzero(np.isclose(vals, v, rtol=1e-9, atol=1e-12))
    if hit.size == 0:
        shown = ", ".join(_fmt(x) for x in vals[:12]) + (", ..." if vals.size > 12 else "")
        raise InputError(f"--slice {axis}={value}: not a value of the grid axis {axis} "
                         f"(values: {shown})")
    return ds[axis].values[hit[0]]


def parse_slices(items) -> dict:
    """``["seed=0", "C=50"]`` -> ``{"seed": "0", "C": "50"}`` (values matched later)."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise InputError(f"--slice {item!r}: write AXIS=VALUE, e.g. --slice seed=0")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def select_cells(ds, x: str, y: str, slices: dict | None = None, facet: str | None = None):
    """Check the axes and return ``(fixed, facet_values)``.

    ``fixed`` maps every grid axis that is neither plotted nor faceted to its (matched) value;
    raises :class:`InputError` for an axis with several values that is not sliced or faceted.
    """
    if "label" not in ds:
        raise InputError("the results have no 'label' variable; give the -o directory of a sweep")
    dims = list(ds["label"].dims)
    slices = dict(slices or {})
    for name, what in ((x, "--x"), (y, "--y")) + (((facet, "--facet"),) if facet else ()):
        if name not in dims:
            raise InputError(f"{what} {name}: not a grid axis of these results "
                             f"(axes: {', '.join(dims)})")
    if x == y:
        raise InputError(f"--x and --y are both {x}; give two different axes")
    if facet in (x, y):
        raise InputError(f"--facet {facet} is also plotted on --x/--y; facet another axis")
    fixed = {}
    for k, v in slices.items():
        if k not in dims:
            raise InputError(f"--slice {k}={v}: {k} is not a grid axis (axes: {', '.join(dims)})")
        if k in (x, y, facet):
            raise InputError(f"--slice {k}={v}: {k} is plotted or faceted; slice another axis")
        fixed[k] = _match(ds, k, v)
    for d in dims:
        if d in (x, y, facet) or d in fixed:
            continue
        n = ds.sizes[d]
        if n == 1:
            fixed[d] = ds[d].values[0]
            continue
        shown = ", ".join(_fmt(v) for v in ds[d].values[:8]) + (", ..." if n > 8 else "")
        raise InputError(f"axis {d} has {n} values ({shown}) and is neither plotted, sliced nor "
                         f"faceted: add --slice {d}={_fmt(ds[d].values[0])} or --facet {d} "
                         "(results are never averaged)")
    fvals = list(ds[facet].values) if facet else [None]
    return fixed, fvals


# ---------------------------------------------------------------------- theory on the cells
def stored_theory(ds):
    """The checker's verdicts stored with the results ``ds`` (read as data, never recomputed
    from the stored sweep file), a :class:`adamtheory.sweep.theory.StoredTheory`."""
    from ..sweep.theory import StoredTheory

    return StoredTheory(ds)


def _spec_names(opt) -> set:
    names = set(opt.free) if opt.form == "schedules" else set(opt.sweepable)
    return names | {"eps", "eps_root"}


def _mask(verdicts, condition: str) -> np.ndarray:
    if condition == "theory":
        return np.array([v.converges is True for v in verdicts], dtype=bool)
    out = []
    for v in verdicts:
        if condition not in v.conditions:
            raise InputError(f"--overlay {condition}: the verdicts have no condition "
                             f"{condition} (they have: {', '.join(v.conditions)})")
        out.append(v.conditions[condition].status == "holds")
    return np.array(out, dtype=bool)


def theory_cells(source, cells, condition: str = "theory", workers: int = 1,
                 numeric_range: int = 10**5):
    """The checker's verdict on each cell.

    Parameters
    ----------
    source : StoredTheory, xarray.Dataset or Sweep
        Results (their stored verdicts are read, nothing is recomputed), or a
        :class:`~adamtheory.sweep.config.Sweep` loaded by the caller from a sweep file it
        trusts (the cells' specs are then built and checked now).
    cells : list of dict
        Axis values of each cell (names of the grid axes; others are ignored).
    condition : str
        ``"theory"``: the checker guarantees convergence (``converges`` is true); or one
        of SC1-SC4, ``convergence``: that condition ``holds``.

    Returns
    -------
    (mask, verdicts) : bool array (one per cell) and the list of verdicts (one per cell).
    """
    from ..conditions import check_many
    from ..sweep.theory import StoredTheory

    if condition not in OVERLAYS:
        raise InputError(f"--overlay {condition}: use one of {', '.join(OVERLAYS)}")
    if not hasattr(source, "optimizer"):
        theory = source if isinstance(source, StoredTheory) else StoredTheory(source)
        out = theory.verdicts(cells)
        if any(v is None for v in out):
            raise InputError("--overlay: the sweep's optimizer uses a running max of v "
                             "(AMSGrad); it is outside the Generic Adam family, the checker "
                             "makes no claim")
        return _mask(out, condition), out
    sweep = source
    opt = sweep.optimizer
    names = _spec_names(opt)
    cache = _CACHE.setdefault((sweep.fingerprint, numeric_range), {})
    keys, unique = [], {}
    for c in cells:
        vals = {k: float(v) for k, v in c.items() if k in names}
        key = tuple(sorted(vals.items()))
        if key not in unique:
            unique[key] = opt.spec(vals)
        keys.append(key)
    specs = list(unique.values())
    if specs and not specs[0].in_family:
        raise InputError("--overlay: the sweep's optimizer uses a running max of v (AMSGrad); it "
                         "is outside the Generic Adam family, the checker makes no claim")
    todo = [k for k in unique if k not in cache]
    cache.update(zip(todo, check_many([unique[k] for k in todo], numeric_range=numeric_range,
                                      workers=workers)))
    out = [cache[k] for k in keys]
    return _mask(out, condition), out


# ---------------------------------------------------------------------- axes of the picture
class _Axis:
    """Where the cells of one grid axis go: linear, log or (uneven spacing) index positions."""

    def __init__(self, name: str, values):
        v = np.asarray(values, dtype=float)
        self.name, self.values, n = name, v, v.size
        self.kind = "linear"
        if n == 1:
            w = 0.5 if v[0] == 0 else 0.1 * abs(v[0])
            self.edges = np.array([v[0] - w, v[0] + w])
            return
        d = np.diff(v)
        if np.allclose(d, d[0], rtol=1e-6, atol=0):
            self.edges = np.concatenate([v - d[0] / 2, [v[-1] + d[0] / 2]])
        elif (v > 0).all() and np.allclose(np.diff(np.log(v)), np.log(v[1] / v[0]), rtol=1e-6):
            self.kind = "log"
            q = np.sqrt(v[1] / v[0])
            self.edges = np.concatenate([v / q, [v[-1] * q]])
        else:
            self.kind = "index"
            self.edges = np.arange(n + 1) - 0.5

    def pos(self, u):
        u = np.asarray(u, dtype=float)
        if self.kind != "index":
            return u
        return np.interp(u, self.values, np.arange(self.values.size), left=np.nan, right=np.nan)

    def setup(self, ax, which: str) -> None:
        lim = (self.edges[0], self.edges[-1])
        if which == "x":
            ax.set_xlim(*lim)
        else:
            ax.set_ylim(*lim)
        if self.kind == "log":
            (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        elif self.kind == "index":
            n = self.values.size
            idx = np.arange(0, n, max(1, int(np.ceil(n / 10))))
            (ax.set_xticks if which == "x" else ax.set_yticks)(
                idx, [_fmt(self.values[i]) for i in idx], fontsize=6,
                rotation=45 if which == "x" and idx.size > 6 else 0)


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
                "fixed": {k: float(v) for k, v in self.fixed.items()},
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

    segs = []
    p = np.pad(m, 1, constant_values=False)
    ny, nx = m.shape
    for i in range(ny + 1):           # horizontal edges between rows i-1 and i
        for j in range(nx):
            if p[i, j + 1] != p[i + 1, j + 1]:
                segs.append([(xe[j], ye[i]), (xe[j + 1], ye[i])])
    for i in range(ny):               # vertical edges between columns j-1 and j
        for j in range(nx + 1):
            if p[i + 1, j] != p[i + 1, j + 1]:
                segs.append([(xe[j], ye[i]), (xe[j], ye[i + 1])])
    if segs:
        ax.add_collection(LineCollection(segs, **kw))


def _draw_curve(ax, name, x_ax, y_ax):
    indep, dep, f, text = CURVES[name]
    if (x_ax.name, y_ax.name) == (indep, dep):
        u = np.linspace(x_ax.values.min(), x_ax.values.max(), 400)
        px, py = x_ax.pos(u), y_ax.pos(f(u))
    elif (x_ax.name, y_ax.name) == (dep, indep):
        u = np.linspace(y_ax.values.min(), y_ax.values.max(), 400)
        px, py = x_ax.pos(f(u)), y_ax.pos(u)
    else:
        raise InputError(f"--curve {name} relates the axes {indep} and {dep}; this diagram "
                         f"plots {x_ax.name} and {y_ax.name}")
    style = ("--", ":", "-.")[list(CURVES).index(name) % 3]
    ax.plot(px, py, color="k", ls=style, lw=1.1, label=text)


def phase_diagram(ds, x: str, y: str, path, *, metric: str | None = None,
                  slices: dict | None = None, facet: str | None = None,
                  overlay: str | None = None, curves=(), title: str | None = None,
                  note: str | None = None, workers: int = 1, verdicts=None,
                  dpi: int = 200) -> PhaseResult:
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
    """
    from ._basic import output_path

    path = output_path(path)
    if metric is not None and (metric not in ds or "step" not in ds[metric].dims):
        known = [k for k in ds.data_vars if "step" in ds[k].dims]
        raise InputError(f"--metric {metric}: not a metric of these results "
                         f"(metrics: {', '.join(known)})")
    for c in curves:
        if c not in CURVES:
            raise InputError(f"--curve {c}: unknown; known: {', '.join(CURVES)}")
    fixed, fvals = select_cells(ds, x, y, slices, facet)
    labels = _grid(ds, "label", x, y, fixed, facet, fvals).astype(str)
    values = _grid(ds, metric, x, y, fixed, facet, fvals).astype(float) if metric else None
    xa, ya = _Axis(x, ds[x].values), _Axis(y, ds[y].values)
    nf, ny, nx = labels.shape

    mask = None
    if overlay:
        if overlay not in OVERLAYS:
            raise InputError(f"--overlay {overlay}: use one of {', '.join(OVERLAYS)}")
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
            flat = _mask(verdicts, overlay)
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
    _render(ds, res, xa, ya, metric, curves, title, lines, dpi)
    return res


def _subtitle(ds, res) -> str:
    bits = [str(ds.attrs.get("problem", ""))]
    if "step" in ds.coords:
        bits.append(f"$T = {int(ds['step'].values[-1])}$ steps")
    for k, v in res.fixed.items():
        bits.append(f"${symbol(k)} = {_fmt(v)}$")
    return ", ".join(b for b in bits if b)


def _render(ds, res, xa, ya, metric, curves, title, lines, dpi):
    plt = _pyplot()
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
        ax.tick_params(labelsize=7)
        ax.set_xlabel(f"${symbol(xa.name)}$", fontsize=8)
        ax.set_ylabel(f"${symbol(ya.name)}$", fontsize=8)
        if res.facet:
            ax.set_title(f"${symbol(res.facet)} = {_fmt(res.facet_values[k])}$", fontsize=7)
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
    fig.text(0.5, 1 - (0.16 + 0.15 * n_title) / fig_h, _subtitle(ds, res), ha="center", va="top", fontsize=7)
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
