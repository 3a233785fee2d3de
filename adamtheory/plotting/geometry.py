"""Where the cells of a phase diagram go: cell edges per axis, region outlines, boundary curves.

No drawing here: the functions return coordinates, which :mod:`.phase` hands to matplotlib.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .cells import fmt

#: Named boundary curves: (independent axis, dependent axis, function, legend text).
CURVES = {
    "r=2s": ("s", "r", lambda u: 2.0 * u, r"$r = 2s$ (SC3 boundary)"),
    "s=1": ("r", "s", lambda u: np.ones_like(u), r"$s = 1$ (T$\alpha_T$ stops growing)"),
    "beta1=sqrt(beta2)": ("beta2", "beta1", np.sqrt, r"$\beta_1 = \sqrt{\beta_2}$ (SC4 boundary)"),
}


class CellAxis:
    """Where the cells of one grid axis go: linear, log or (uneven spacing) index positions.

    ``edges`` has one more entry than ``values``: cell i spans [edges[i], edges[i+1]]. Evenly
    spaced values are centred in their cells; geometric ones on a log axis; others are placed
    at their index with the values as tick labels.
    """

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
        """Plot coordinates of the axis values ``u`` (interpolated on an index axis)."""
        u = np.asarray(u, dtype=float)
        if self.kind != "index":
            return u
        return np.interp(u, self.values, np.arange(self.values.size), left=np.nan, right=np.nan)

    def setup(self, ax, which: str) -> None:
        """Limits, scale and (index axis) tick labels of ``ax``'s ``which`` ("x"/"y") axis."""
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
                idx, [fmt(self.values[i]) for i in idx], fontsize=6,
                rotation=45 if which == "x" and idx.size > 6 else 0)


def outline_segments(m: np.ndarray, xe, ye) -> list:
    """The boundary of the True region of the (ny, nx) mask ``m`` as segments on the cell
    edges ``xe`` (nx + 1) and ``ye`` (ny + 1)."""
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
    return segs


def curve_points(name: str, x_ax: CellAxis, y_ax: CellAxis):
    """Plot coordinates (px, py) of the boundary curve ``name`` of :data:`CURVES` on the axes."""
    indep, dep, f, _ = CURVES[name]
    if (x_ax.name, y_ax.name) == (indep, dep):
        u = np.linspace(x_ax.values.min(), x_ax.values.max(), 400)
        return x_ax.pos(u), y_ax.pos(f(u))
    if (x_ax.name, y_ax.name) == (dep, indep):
        u = np.linspace(y_ax.values.min(), y_ax.values.max(), 400)
        return x_ax.pos(f(u)), y_ax.pos(u)
    raise InputError(f"curve {name} relates the axes {indep} and {dep}; this diagram "
                     f"plots {x_ax.name} and {y_ax.name}")
