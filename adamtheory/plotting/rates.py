"""Measured rates against the checker's predicted slopes (log-log)."""

from __future__ import annotations

import numpy as np

from ._basic import wrap
from .style import PALETTE, pyplot


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
    plt = pyplot()
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
    ax.tick_params(which="both", labelsize=7)
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


RATE_NOTE = ("Mean over {n} seeds (band: min-max over seeds) of the running mean of "
             "$\\|\\nabla f(x_t)\\|^{{4/3}}$, raised to 3/2. The theorem is an upper bound: "
             "where it is guaranteed, the measured curve must fall at least as fast as the "
             "predicted slope (it may fall faster). Fit: least-squares slope over the last "
             "decade of T.")


def rate_series(ds, slices: dict | None = None, max_series: int = len(PALETTE)):
    """The measured rate of every cell of a sweep's results beside the checker's prediction.

    Every grid axis except ``seed`` is either sliced (``slices``) or enumerated (at most
    ``max_series`` cells). The measured quantity is the theorem's left-hand side:
    (E ||∇f(x_τ)||^{4/3})^{3/2} with τ uniform on {1..T}, i.e. the ``grad43`` metric (the running
    mean over τ) averaged over seeds (the expectation over the noise), raised to 3/2.

    Returns ``(series, rows)``: the input of :func:`rate_plot` and one summary dict per cell
    (axis values, fitted slope over the last decade, predicted exponent and log power, rate text,
    whether the measured slope is at most the predicted one + 0.05).
    """
    import itertools

    from ..errors import InputError
    from ..sweep.theory import stored_theory, theory_cells
    from .cells import fmt, match, symbol

    if "grad43" not in ds or not np.isfinite(ds["grad43"].values).any():
        raise InputError("the results have no grad43 metric (run the sweep with grad_metrics = "
                         "true in [run])")
    dims = [d for d in ds["grad43"].dims if d not in ("seed", "step")]
    fixed = {}
    for k, v in (slices or {}).items():
        if k not in dims:
            raise InputError(f"slice {k}={v}: {k} is not a grid axis (axes: {', '.join(dims)})")
        fixed[k] = match(ds, k, v)
    fixed.update({d: ds[d].values[0] for d in dims if d not in fixed and ds.sizes[d] == 1})
    free = [d for d in dims if d not in fixed]
    n = int(np.prod([ds.sizes[d] for d in free])) if free else 1
    if n > max_series:
        raise InputError(f"{n} cells ({' x '.join(f'{d}: {ds.sizes[d]}' for d in free)}) do not "
                         f"fit one figure (at most {max_series}); slice an axis (AXIS=VALUE)")
    sub = ds.sel(fixed)
    theory = stored_theory(ds)  # the verdicts stored when the sweep ran, read as data
    T = ds["step"].values.astype(float)
    cells = []
    for combo in itertools.product(*[sub[d].values for d in free]):
        cells.append({**dict(zip(free, combo)), **fixed})
    verdicts = (theory_cells(theory, cells)[1] if theory.in_family(cells[0])
                else [None] * len(cells))
    series, rows = [], []
    for c, v in zip(cells, verdicts):
        g = sub["grad43"].sel({d: c[d] for d in free}).transpose("seed", "step").values
        meas = np.nanmean(g, axis=0) ** 1.5
        fit = fit_slope(T, meas)
        p = v.rate_exponent if v is not None and v.converges else None
        q = (v.rate_log_power or 0) if p is not None else 0
        label = ", ".join(f"{symbol(d)}={fmt(c[d])}" for d in free) or "run"
        series.append({"label": f"${label}$", "T": T, "measured": meas,
                       "band": (np.nanmin(g, axis=0) ** 1.5, np.nanmax(g, axis=0) ** 1.5),
                       "exponent": p, "log_power": q, "fit": fit})
        rows.append({**{d: float(c[d]) for d in free}, "fit_last_decade": round(fit, 4),
                     "predicted_exponent": p, "predicted_log_power": q,
                     "rate": v.rate if v is not None else "outside the family",
                     "converges": v.converges if v is not None else None,
                     "bound_holds": (p is None) or bool(fit <= p + 0.05)})
    return series, rows
