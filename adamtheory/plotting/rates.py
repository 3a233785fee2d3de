"""Measured rates against the checker's predicted slopes (log-log)."""

from __future__ import annotations

import numpy as np

from ._basic import _pyplot, wrap

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


def fit_slope(T, y, last_decades: float = 1.0) -> float:
    """Least-squares slope of log y against log T over the last ``last_decades`` decades of T."""
    T, y = np.asarray(T, float), np.asarray(y, float)
    keep = (T >= T[-1] / 10**last_decades) & np.isfinite(y) & (y > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(T[keep]), np.log(y[keep]), 1)[0])


def rate_plot(series, path, title: str, subtitle: str = "", note: str = "", dpi: int = 200):
    """Measured (E||∇f||^{4/3})^{3/2} against T beside the slope the checker predicts.

    ``series`` is a list of dicts with ``label`` (mathtext), ``T`` (checkpoint steps),
    ``measured`` (values per checkpoint), ``band`` (optional (low, high) arrays), ``exponent``
    (the checker's rate exponent p, the bound decays as T^p log(T)^q), ``log_power`` (q) and
    ``fit`` (the measured slope, see :func:`fit_slope`). The predicted line is drawn through the
    last measured point, dashed in the same colour.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.4, 4.6), dpi=dpi)
    for s, color in zip(series, PALETTE):
        T, m = np.asarray(s["T"], float), np.asarray(s["measured"], float)
        if s.get("band") is not None:
            ax.fill_between(T, s["band"][0], s["band"][1], color=color, alpha=0.15, lw=0)
        p, q = s.get("exponent"), s.get("log_power") or 0
        pred = "no guarantee" if p is None else (
            f"$T^{{{p:.3g}}}$" + (r"$\,\log T$" if q == 1 else (f"$\\log^{{{q}}} T$" if q else "")))
        ax.plot(T, m, "o-", color=color, ms=2.2, lw=1.1,
                label=f"{s['label']}: fit {s['fit']:+.2f}, theory {pred}")
        if p is not None:
            Tr = T[T >= T[-1] / 10**1.5]
            ref = m[-1] * (Tr / T[-1]) ** p
            if q:
                ref = ref * (np.log(Tr) / np.log(T[-1])) ** q
            ax.plot(Tr, ref, "--", color=color, lw=1.0)
    ax.plot([], [], "k--", lw=0.9, label="predicted slope (through the last point)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"horizon $T$ (steps)", fontsize=8)
    ax.set_ylabel(r"$(\mathbb{E}\,\|\nabla f(x_\tau)\|^{4/3})^{3/2}$, $\tau \sim U\{1..T\}$",
                  fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, which="major", lw=0.3, alpha=0.5)
    fig.suptitle(wrap(title, 52), fontsize=8.5)
    if subtitle:
        ax.set_title(subtitle, fontsize=6.5)
    note_txt = wrap(note, 70) if note else ""
    n_note = note_txt.count("\n") + 1 if note else 0
    n_leg = len(ax.get_legend_handles_labels()[1])
    bottom_in = 0.1 * n_note + 0.13 * n_leg + 0.15
    fig.legend(*ax.get_legend_handles_labels(), fontsize=5.8, loc="lower center",
               frameon=False, bbox_to_anchor=(0.5, (0.1 * n_note + 0.08) / 4.6))
    if note:
        fig.text(0.02, 0.01, note_txt, fontsize=5.6, ha="left", va="bottom")
    fig.tight_layout(rect=(0, bottom_in / 4.6, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path
