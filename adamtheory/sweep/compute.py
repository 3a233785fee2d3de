"""Compute one chunk of a sweep with the engine (:func:`adamtheory.engine.run_batch`).

The chunk's configurations are grouped by problem parameters (one problem object per group) and
each group is one ``run_batch`` call with the factorized tables and per-configuration rows. The
engine's results do not depend on how configurations are batched, so a chunk's numbers are the
same whatever the chunk layout, the process or the machine role.

Output arrays, one entry per configuration of the chunk in C order of its box:

============  =================  ==========================================================
name          shape              content
============  =================  ==========================================================
metrics       (n, n_ck) × 8      ``x dist fgap gnorm pgnorm regret grad43 gradmin2``
label         (n,) int8          index into :data:`adamtheory.engine.LABELS`
flag          (n,) int8          engine flag code (see :mod:`adamtheory.engine.codes`)
stop_step     (n,) int64         step at which a flagged configuration stopped
x_final       (n, d) float64     final iterate (NaN-padded if d varies over the grid)
============  =================  ==========================================================
"""

from __future__ import annotations

import time

import numpy as np

from ..engine import LABELS, run_batch
from ..engine.metrics import NAMES as METRICS
from .optimizer import ROLES
from .tables import global_tables, local_tables

_PROBLEMS: dict = {}


def _problem(sweep, row: int):
    key = (sweep.fingerprint, row)
    if key not in _PROBLEMS:
        if len(_PROBLEMS) > 256:
            _PROBLEMS.clear()
        _PROBLEMS[key] = sweep.build_problem(row)
    return _PROBLEMS[key]


def _rows(sweep, key, idx) -> np.ndarray:
    dep = sweep.depends[key]
    if not dep:
        return np.zeros(idx[0].size, dtype=np.int64)
    return np.ravel_multi_index(tuple(idx[p] for p in dep),
                                [sweep.axes[p].size for p in dep]).astype(np.int64)


def _field(sweep, name, idx, default):
    """Per-configuration values of a numeric field (an axis) or its fixed value."""
    for p, a in enumerate(sweep.axes):
        if a.name == name and "field" in a.kind:
            return a.values[idx[p]]
    return default


def compute_chunk(sweep, plan, cid: int) -> tuple[dict, dict]:
    """Run chunk ``cid``; returns (arrays, meta) with meta holding timings."""
    t0 = time.perf_counter()
    idx = plan.indices(cid)
    n = idx[0].size
    seeds = sweep.seeds[idx[-1]]
    rows = {r: _rows(sweep, r, idx) for r in ROLES}
    if plan.tables_mode == "global":
        tabs, crow = global_tables(sweep), rows
    else:
        tabs, crow = local_tables(sweep, rows)
    prow = _rows(sweep, "problem", idx)
    sw = sweep.optimizer.switches
    spec0 = sweep.optimizer.spec({a.name: float(a.values[0]) for a in sweep.axes
                                  if "field" not in a.kind})
    eps = np.broadcast_to(_field(sweep, "eps", idx, spec0.eps), (n,))
    eps_root = np.broadcast_to(_field(sweep, "eps_root", idx, spec0.eps_root), (n,))
    x0_axis = _field(sweep, "x0", idx, None)
    n_ck = sweep.checkpoints.size
    out = {m: np.full((n, n_ck), np.nan) for m in METRICS}
    out["label"] = np.zeros(n, np.int8)
    out["flag"] = np.zeros(n, np.int8)
    out["stop_step"] = np.zeros(n, np.int64)
    out["x_final"] = np.full((n, sweep.dim), np.nan)
    engine_s = 0.0
    for row in np.unique(prow):
        sel = np.flatnonzero(prow == row)
        prob = _problem(sweep, int(row))
        if x0_axis is not None:
            x0 = np.repeat(np.asarray(x0_axis)[sel][:, None], prob.dim, axis=1)
        else:
            x0 = sw.get("x0")
        res = run_batch(
            prob, tabs["alpha"], tabs["beta"], tabs["theta"],
            alpha_row=crow["alpha"][sel], beta_row=crow["beta"][sel],
            theta_row=crow["theta"][sel], n=sel.size, eps=eps[sel], eps_mode=spec0.eps_mode,
            bias_correction=spec0.bias_correction, amsgrad=spec0.amsgrad,
            eps_root=eps_root[sel], seeds=seeds[sel], x0=x0, checkpoints=sweep.checkpoints,
            regret=sweep.regret, grad_metrics=sweep.grad_metrics, block=sweep.block)
        engine_s += res.elapsed
        for m in METRICS:
            out[m][sel] = getattr(res, m).T
        codes = {lab: i for i, lab in enumerate(LABELS)}
        out["label"][sel] = [codes[str(lab)] for lab in res.labels()]
        out["flag"][sel] = res.flag
        out["stop_step"][sel] = res.stop_step
        out["x_final"][sel, :prob.dim] = res.x_final
    meta = {"chunk": int(cid), "configs": int(n), "config_steps": int(n) * sweep.steps,
            "seconds": time.perf_counter() - t0, "engine_seconds": engine_s}
    return out, meta
