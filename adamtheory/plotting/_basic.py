"""Basic figures of the checker (the theory map) and shared helpers. Agg backend."""

from __future__ import annotations

import numpy as np

from .style import pyplot

# Okabe-Ito colour-blind-safe palette
COLORS = {
    "converges": "#009E73",
    "SC3 fails": "#E69F00",
    "convergence fails": "#D55E00",
    "both fail": "#CC79A7",
    "undecided": "#999999",
}


def theory_map(s_values, r_values, categories, exponents, path, title=None):
    """The checker's verdict on an (s, r) grid for α_t = α t^{-s}, θ_t = 1 - θ t^{-r}.

    ``categories[i, j]`` is a key of :data:`COLORS` for s_values[j], r_values[i];
    ``exponents[i, j]`` the rate exponent where the condition holds (NaN elsewhere).
    """
    plt = pyplot()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    keys = list(COLORS)
    codes = np.vectorize(keys.index)(np.asarray(categories))
    fig, ax = plt.subplots(figsize=(4.8, 3.8), dpi=150)
    s, r = np.asarray(s_values, float), np.asarray(r_values, float)
    ds, dr = np.diff(s).mean() / 2, np.diff(r).mean() / 2
    ax.imshow(codes, origin="lower", aspect="auto", cmap=ListedColormap([COLORS[k] for k in keys]),
              vmin=-0.5, vmax=len(keys) - 0.5,
              extent=(s[0] - ds, s[-1] + ds, r[0] - dr, r[-1] + dr),
              interpolation="nearest")
    ex = np.asarray(exponents, float)
    if np.isfinite(ex).sum() > 3:
        cs = ax.contour(s, r, -ex, levels=[0.1, 0.2, 0.3, 0.4, 0.5], colors="k", linewidths=0.6)
        ax.clabel(cs, fmt=lambda v: f"$T^{{-{v:.1f}}}$", fontsize=6)
    grid = np.linspace(s[0] - ds, s[-1] + ds, 100)
    ax.plot(grid, 2 * grid, "k--", lw=1, label="$r = 2s$")
    ax.axvline(1.0, color="k", ls=":", lw=1, label="$s = 1$")
    ax.set_xlim(s[0] - ds, s[-1] + ds)
    ax.set_ylim(r[0] - dr, r[-1] + dr)
    ax.set_xlabel(r"$s$ in $\alpha_t = \alpha\, t^{-s}$")
    ax.set_ylabel(r"$r$ in $\theta_t = 1 - \theta\, t^{-r}$")
    present = [k for k in keys if (codes == keys.index(k)).any()]
    handles = [Patch(color=COLORS[k], label=k) for k in present]
    handles += ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=6, loc="upper left", framealpha=0.9)
    ax.set_title(title or "Sufficient condition (checker verdict per cell)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def wrap(text: str, width: int) -> str:
    """textwrap.fill that never breaks inside a mathtext ``$...$`` segment."""
    import re
    import textwrap

    nb = "\u2063"  # invisible separator: stands for a space inside math while wrapping
    protected = re.sub(r"\$[^$]*\$", lambda m: m.group(0).replace(" ", nb), text)
    return textwrap.fill(protected, width=width, break_on_hyphens=False).replace(nb, " ")


def output_path(path):
    """``path`` as a Path if it names a PNG, PDF or SVG file, else a one-line InputError."""
    from pathlib import Path

    from ..errors import InputError

    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise InputError(f"output file {path}: the name must end in .png, .pdf or .svg")
    if not path.parent.is_dir():
        raise InputError(f"output file {path}: the directory {path.parent} does not exist")
    return path
