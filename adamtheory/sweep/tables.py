"""Schedule tables of a sweep, factorized over the grid axes each schedule depends on.

A role (``alpha``, ``beta``, ``theta``) that depends on axes ``D`` has one row per distinct value
of those axes (``sweep.n_rows(role)``), evaluated once with :meth:`Schedule.values` (the same call
as ``adamtheory run``, so a sweep cell is bitwise the run of its bound spec). Tables have the
engine's layout ``(T, n_rows)``.

Rows are validated as they are evaluated (:func:`check_row`) by the checker's own range rule,
:func:`adamtheory.specs.check_range`: α_t > 0, β_t and θ_t in [0, 1), all finite, for
t = 1..T; a float value at the edge (e.g. ``1 - 1e-20/t`` rounding to 1) is confirmed with
exact arithmetic before it is called an error (so ``1 - 0.5**(1e29*t)`` is decided in
microseconds and never expanded).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, ScheduleError
from ..specs import check_range
from .errors import SweepFileError
from .optimizer import ROLES


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
    """Raise a one-line SweepFileError if ``values`` break the role's range on t = 1..T
    (:func:`adamtheory.specs.check_range`, the checker's own rule)."""
    try:
        check_range(role, sched, values)
    except ScheduleError as exc:
        raise SweepFileError(f"{_label(sweep, role)}{_where(sweep, role, row)}: {exc}") from None


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
