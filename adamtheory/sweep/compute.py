"""Compute one chunk of a sweep: build the chunk's settings and call its simulator.

For a sweep with schedules, the chunk's schedule rows come from the factorized tables (the
whole sweep's, cached per process, or only the rows the chunk uses) as a
:class:`~adamtheory.simulators.ScheduleTables`. A simulator's results do not depend on how
configurations are batched, so a chunk's numbers are the same whatever the chunk layout, the
process or the machine role.

For the engine (``"problem"`` layout) the output arrays, one entry per configuration of the
chunk in C order of its box, are:

============  =================  ==========================================================
name          shape              content
============  =================  ==========================================================
metrics       (n, n_ck) each     :data:`adamtheory.engine.metrics.NAMES`
label         (n,) int8          index into :data:`adamtheory.engine.LABELS`
flag          (n,) int8          engine flag code (see :mod:`adamtheory.engine.codes`)
stop_step     (n,) int64         step at which a flagged configuration stopped
x_final       (n, d) float64     final iterate (NaN-padded if d varies over the grid)
============  =================  ==========================================================
"""

from __future__ import annotations

import time

import numpy as np

from ..simulators import ROLES, ScheduleTables
from .tables import global_tables, local_tables

_PROBLEMS: dict = {}


def problem(sweep, row: int):
    """The problem of row ``row`` of ``sweep`` (built once per process)."""
    key = (sweep.fingerprint, row)
    if key not in _PROBLEMS:
        if len(_PROBLEMS) > 256:
            _PROBLEMS.clear()
        _PROBLEMS[key] = sweep.build_problem(row)
    return _PROBLEMS[key]


def schedule_tables(sweep, plan, idx) -> ScheduleTables:
    """The schedule rows of the configurations ``idx`` (see the module docstring)."""
    rows = {r: sweep.rows(r, idx) for r in ROLES}
    if plan is None or plan.tables_mode == "global":
        tabs, crow = global_tables(sweep), rows
    else:
        tabs, crow = local_tables(sweep, rows)
    return ScheduleTables(tabs["alpha"], tabs["beta"], tabs["theta"], crow)


def compute_chunk(sweep, plan, cid: int) -> tuple[dict, dict]:
    """Run chunk ``cid``; returns (arrays, meta) with meta holding timings."""
    t0 = time.perf_counter()
    idx = plan.indices(cid)
    n = idx[0].size
    settings = sweep.settings(idx, plan)
    out = sweep.simulator.compute(settings, sweep.seeds[idx[-1]], sweep.steps, sweep.checkpoints)
    secs = time.perf_counter() - t0
    kernel = out.pop("kernel_seconds", secs)
    arrays = {}
    for name, var in sweep.variables().items():
        a = np.asarray(out.get(name), dtype=var.dtype if var.codes is None else None)
        want = (n, *var.sizes)
        if a.size != n * int(np.prod(var.sizes, dtype=np.int64)):
            raise RuntimeError(f"simulator {sweep.simulator.name}: {name} has shape "
                               f"{a.shape}, expected {want}")
        arrays[name] = a
    meta = {"chunk": int(cid), "configs": int(n), "config_steps": int(n) * sweep.steps,
            "seconds": secs, "engine_seconds": float(kernel)}
    return arrays, meta
