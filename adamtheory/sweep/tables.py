"""Schedule tables of a sweep, factorized over the grid axes each schedule depends on.

A role (``alpha``, ``beta``, ``theta``) that depends on axes ``D`` has one row per distinct value
of those axes (``sweep.n_rows(role)``), evaluated once with :meth:`Schedule.values` (the same call
as ``adamtheory run``, so a sweep cell is bitwise the run of its bound spec). Tables have the
engine's layout ``(T, n_rows)``.

Rows are validated as they are evaluated (:func:`check_row`): α_t > 0, β_t and θ_t in [0, 1),
all finite, for t = 1..T; a float value at the edge (e.g. ``1 - 1e-20/t`` rounding to 1) is
confirmed with exact arithmetic before it is called an error (exact when cheap, else a 50-digit
evaluation with an arbitrary exponent, :func:`adamtheory.schedules.sign_at`, so
``1 - 0.5**(1e29*t)`` is decided in microseconds and never expanded).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..schedules import exact_at, sign_at
from .errors import SweepFileError
from .optimizer import ROLES

_RULES = {
    "alpha": ("α_t", "must be > 0"),
    "beta": ("β_t", "must lie in [0, 1)"),
    "theta": ("θ_t", "must lie in [0, 1)"),
}


def _ok(role, v):
    return v > 0 if role == "alpha" else (v >= 0) & (v < 1)


def _where(sweep, role, row) -> str:
    vals = sweep.row_values(role, row)
    return (" for " + ", ".join(f"{k} = {v:g}" for k, v in vals.items())) if vals else ""


def _label(sweep, role) -> str:
    o = sweep.optimizer
    return f"[optimizer] {role} = {o.texts[role]!r}" if o.form == "schedules" else \
        f"[optimizer] {o.name} {role}"


def evaluate_row(sweep, role: str, row: int) -> np.ndarray:
    """Float64 values of ``role`` at t = 1..T for one row, validated (raises SweepFileError)."""
    try:
        sched = sweep.optimizer.schedule(role, sweep.row_values(role, row))
        values = sched.values(sweep.steps)
    except InputError as exc:
        raise SweepFileError(f"{_label(sweep, role)}{_where(sweep, role, row)}: {exc}") from None
    check_row(sweep, role, row, sched, values)
    return values


def check_row(sweep, role, row, sched, values) -> None:
    """Raise a one-line SweepFileError if ``values`` break the role's range on t = 1..T."""
    sym, need = _RULES[role]
    T = sweep.steps
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.argmax(bad)) + 1
        raise SweepFileError(f"{_label(sweep, role)}{_where(sweep, role, row)}: {sym} is not "
                             f"finite at t = {k}; steps are t = 1..{T}")
    viol = ~_ok(role, values)
    if not viol.any():
        return
    expr = sched.bound_expr
    for k in np.flatnonzero(viol)[:5] + 1:
        # the signs of α_t, β_t, θ_t and 1 - β_t, 1 - θ_t at t = k: exact when cheap, else 50
        # digits with an arbitrary exponent (never expands (1/2)**(10^29)); see sign_at
        k = int(k)
        lo = sign_at(expr, k)
        hi = 1 if role == "alpha" else sign_at(1 - expr, k)
        if lo is None or hi is None:
            raise SweepFileError(
                f"{_label(sweep, role)}{_where(sweep, role, row)}: {sym} = {values[k - 1]!r} in "
                f"float64 at t = {k} and its exact value cannot be compared with the range; "
                f"{sym} {need}")
        fine = (lo == 1) if role == "alpha" else (lo in (0, 1) and hi == 1)
        if not fine:
            exact = exact_at(expr, k)
            raise SweepFileError(
                f"{_label(sweep, role)}{_where(sweep, role, row)}: {sym} = {float(exact):.6g} "
                f"at t = {k}; {sym} {need} for every step t = 1..{T}")


def validate(sweep, keep: bool = True, progress=None) -> dict | None:
    """Evaluate and check every distinct row of every role; return the tables if ``keep``.

    Returns ``{role: (T, n_rows) array}`` (or None). With ``keep=False`` rows are checked one by
    one and dropped (for sweeps whose tables do not fit in memory).
    """
    out = {}
    for role in ROLES:
        n = sweep.n_rows(role)
        tab = np.empty((sweep.steps, n)) if keep else None
        for row in range(n):
            vals = evaluate_row(sweep, role, row)
            if keep:
                tab[:, row] = vals
            if progress:
                progress()
        if keep:
            out[role] = tab
    return out if keep else None


def table_bytes(sweep) -> int:
    """Bytes of the full factorized tables of all roles."""
    return 8 * sweep.steps * sum(sweep.n_rows(r) for r in ROLES)


# ---------------------------------------------------------------------- per-process cache
_CACHE: dict = {}


def global_tables(sweep) -> dict:
    """The full tables of ``sweep`` in this process (evaluated once per process, then cached)."""
    key = sweep.fingerprint
    if key not in _CACHE:
        _CACHE.clear()  # one sweep at a time per process
        _CACHE[key] = validate(sweep, keep=True)
    return _CACHE[key]


def seed_cache(sweep, tables: dict) -> None:
    """Put tables computed by :func:`validate` in the cache (the in-process runner)."""
    _CACHE.clear()
    _CACHE[sweep.fingerprint] = tables


def local_tables(sweep, rows: dict) -> tuple[dict, dict]:
    """Tables holding only ``rows[role]`` (sorted unique global rows); returns (tables, remap)."""
    tabs, remap = {}, {}
    for role in ROLES:
        uniq = np.unique(rows[role])
        tab = np.empty((sweep.steps, uniq.size))
        for j, r in enumerate(uniq):
            tab[:, j] = evaluate_row(sweep, role, int(r))
        tabs[role] = tab
        remap[role] = np.searchsorted(uniq, rows[role])
    return tabs, remap
