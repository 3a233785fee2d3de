"""The engine's checkpoint metrics: one table of names, descriptions and plot labels.

Every run of the engine records, at each checkpoint t (default: :func:`default_checkpoints`),
the quantities below (in this order:
the order of the kernels' output arrays and of :class:`~adamtheory.engine.batch.BatchResult`).
Results, the sweep dataset, the chunk files and the plots all read their names here.

=============  ===============================================================================
name           quantity at checkpoint t
=============  ===============================================================================
``x``          the iterate x_t (d = 1) or its Euclidean norm ||x_t||
``dist``       ||x_t - x*|| (NaN without a declared optimum)
``fgap``       f(x_t) - f* (f(x_t) when f* is unknown)
``gnorm``      ||∇f(x_t)||
``pgnorm``     projected-gradient norm ||x_t - P(x_t - ∇f(x_t))||
``regret``     average regret R_t / t = (1/t) Σ_{k≤t} (f_k(x_k) - f_k(x*))
``grad43``     (1/t) Σ_{k≤t} ||∇f(x_k)||^{4/3} (the left side of the rate theorem, before ^{3/2})
``gradmin2``   min_{k≤t} ||∇f(x_k)||²
=============  ===============================================================================

>>> NAMES
('x', 'dist', 'fgap', 'gnorm', 'pgnorm', 'regret', 'grad43', 'gradmin2')
>>> METRICS["gradmin2"].description
'min_k ||grad f(x_k)||^2'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Checkpoints of a run when none are given (log-spaced, see :func:`default_checkpoints`).
N_CHECKPOINTS = 40


@dataclass(frozen=True)
class Metric:
    """One checkpoint metric: its name, a one-line description (dataset attribute), a
    mathtext label (plot axes) and a short title (plot panels)."""

    name: str
    description: str
    tex: str
    title: str


_TABLE = (
    Metric("x", "iterate (d = 1) or its Euclidean norm", r"iterate $x_t$", "iterate"),
    Metric("dist", "||x - x*||", r"$\|x_t - x^\star\|$", "distance to the optimum"),
    Metric("fgap", "f(x) - f* (f(x) when f* is unknown)", r"$f(x_t) - f^\star$",
           "optimality gap"),
    Metric("gnorm", "||grad f(x)||", r"$\|\nabla f(x_t)\|$", "gradient norm"),
    Metric("pgnorm", "projected-gradient norm", r"projected gradient norm",
           "projected gradient norm"),
    Metric("regret", "average regret R_t / t", r"average regret $R_t/t$", "average regret"),
    Metric("grad43", "(1/t) sum_k ||grad f(x_k)||^(4/3)",
           r"$\frac{1}{t}\sum_k \|\nabla f(x_k)\|^{4/3}$",
           "running mean of the gradient norm^(4/3)"),
    Metric("gradmin2", "min_k ||grad f(x_k)||^2", r"$\min_{k \leq t} \|\nabla f(x_k)\|^2$",
           "best squared gradient norm"),
)

#: name -> :class:`Metric`, in the engine's output order.
METRICS: dict[str, Metric] = {m.name: m for m in _TABLE}
#: The metric names in the engine's output order.
NAMES: tuple[str, ...] = tuple(METRICS)
#: name -> one-line description.
DESCRIPTIONS: dict[str, str] = {m.name: m.description for m in _TABLE}


def default_checkpoints(steps: int, n: int = N_CHECKPOINTS) -> np.ndarray:
    """About ``n`` log-spaced steps in [1, steps], always including ``steps`` (where the
    metrics are recorded when no checkpoints are given)."""
    ck = np.unique(np.round(np.logspace(0.0, np.log10(max(steps, 1)), n)).astype(np.int64))
    return np.union1d(ck[(ck >= 1) & (ck <= steps)], [steps]).astype(np.int64)
