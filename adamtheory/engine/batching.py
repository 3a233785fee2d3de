"""The batching helper shared by the simulators: per-configuration inputs as kernel arrays.

Every simulator that runs n configurations of one problem in one compiled call turns the same
user inputs into the same arrays: a scalar or one value per configuration (:func:`per_config`),
the problem's parameter rows as a deduplicated table plus a row index per configuration
(:func:`param_table`), the starting points projected on the box (:func:`start_points`), and the
checkpoint steps (:func:`checkpoint_steps`). Numpy only; used by :mod:`adamtheory.engine.batch`
and :mod:`adamtheory.distributed.simulator`.

>>> import numpy as np
>>> from adamtheory.engine.batching import checkpoint_steps, per_config
>>> per_config(0.5, 3, np.float64, "eps")
array([0.5, 0.5, 0.5])
>>> checkpoint_steps([0, 5, 50, 200], 100)          # outside [1, T] dropped, T added
array([  5,  50, 100])
"""

from __future__ import annotations

import numpy as np


def per_config(value, n: int, dtype, what: str) -> np.ndarray:
    """``value`` as a contiguous array of n entries: a scalar is repeated, an array must have
    exactly one entry per configuration (else ValueError naming ``what``)."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return np.full(n, arr, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{what} must be a scalar or have one entry per configuration ({n})")
    return np.ascontiguousarray(arr)


def param_table(problem, params, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Problem parameters as ``(table, row)``: the distinct parameter rows (at least one column,
    so that the kernels always receive a 2-d float64 array) and each configuration's row.

    ``params`` is None (``problem.params`` for every configuration), one row, or one row per
    configuration (shape (n, n_params)).
    """
    prm = np.asarray(problem.params if params is None else params, dtype=np.float64)
    if prm.ndim <= 1:
        tab, row = np.ascontiguousarray(prm.reshape(1, -1)), np.zeros(n, np.int64)
    else:
        if prm.shape[0] != n:
            raise ValueError("params must be one row or one row per configuration")
        tab, row = np.unique(prm, axis=0, return_inverse=True)
        tab, row = np.ascontiguousarray(tab), row.reshape(-1).astype(np.int64)
    if tab.shape[1] == 0:
        tab = np.zeros((tab.shape[0], 1))
    return tab, row


def start_points(problem, x0, n: int) -> np.ndarray:
    """Starting points (n, dim), projected on the box: ``x0`` ((dim,) or (n, dim)), else
    ``problem.x0``, else ones."""
    xs = problem.x0 if x0 is None else x0
    xs = np.ones(problem.dim) if xs is None else xs
    full = np.broadcast_to(np.asarray(xs, dtype=np.float64), (n, int(problem.dim)))
    return np.ascontiguousarray(np.clip(full, problem.lower, problem.upper))


def checkpoint_steps(checkpoints, steps: int) -> np.ndarray:
    """The sorted distinct checkpoints within [1, steps], always including ``steps`` (int64)."""
    ck = np.asarray(checkpoints, np.int64).reshape(-1)
    return np.union1d(ck[(ck >= 1) & (ck <= steps)], [steps]).astype(np.int64)
