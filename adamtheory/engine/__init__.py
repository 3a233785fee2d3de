"""The numeric engine: compiled batches of Generic Adam runs (numpy tables in, metrics out).

The engine knows nothing of schedules, specs or sympy: it takes float64 tables (see
:func:`run_batch`) and a problem following ``counterexamples._base.Problem``. The layer that turns
:class:`adamtheory.specs.OptimizerSpec` objects into tables is :mod:`adamtheory.simulate`.

>>> # res = run_batch(problem, alpha_table, beta_table, theta_table, eps=1e-8, seeds=0)
>>> # res.labels()  -> array of "converged" / "stuck" / "diverged" / "undecided"
"""

import importlib

#: public name -> the submodule defining it. Loaded on first use (PEP 562), so that reading
#: the engine's vocabulary (codes, labels, metrics) never imports numba; only running does.
_WHERE = {
    "run_batch": "batch", "BatchResult": "batch", "default_checkpoints": "metrics",
    "CHUNK": "batch", "N_CHECKPOINTS": "metrics",
    "LABELS": "classify",
    "EPS_MODES": "codes", "AMSGRAD_MODES": "codes", "FLAG_NAMES": "codes", "HUGE_STEP": "codes",
    "HUGE_V": "codes",
    "cache_dir": "cache", "compiled_kernel": "cache", "kernels_cached": "cache",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
