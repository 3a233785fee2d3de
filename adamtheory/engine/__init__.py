"""The numeric engine: compiled batches of Generic Adam runs (numpy tables in, metrics out).

The engine knows nothing of schedules, specs or sympy: it takes float64 tables (see
:func:`run_batch`) and a problem following ``counterexamples._base.Problem``. The layer that turns
:class:`adamtheory.specs.OptimizerSpec` objects into tables is :mod:`adamtheory.simulate`.

>>> # res = run_batch(problem, alpha_table, beta_table, theta_table, eps=1e-8, seeds=0)
>>> # res.labels()  -> array of "converged" / "stuck" / "diverged" / "undecided"
"""

from .batch import CHUNK, N_CHECKPOINTS, BatchResult, default_checkpoints, run_batch
from .classify import LABELS, classify
from .codes import AMSGRAD_MODES, EPS_MODES, FLAG_NAMES, HUGE_STEP, HUGE_V
from .cache import cache_dir, compiled_kernel, kernels_cached

__all__ = [
    "run_batch", "BatchResult", "default_checkpoints", "classify", "LABELS", "cache_dir",
    "compiled_kernel", "kernels_cached",
    "EPS_MODES", "AMSGRAD_MODES", "FLAG_NAMES", "HUGE_STEP", "HUGE_V", "CHUNK", "N_CHECKPOINTS",
]
