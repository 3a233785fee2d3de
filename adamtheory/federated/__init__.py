"""Federated learning with local adaptive optimizers: FedLADA and its baselines (REFERENCE §7).

- :mod:`.data`: the UCI digits with Dirichlet label skew; synthetic heterogeneous least squares;
- :mod:`.kernels`: the numba kernel (FedAvg, FedAdam, local Adam, FedCM, SCAFFOLD, FedLADA);
- :mod:`.simulator`: :func:`compute` (settings per configuration -> metrics per round), :func:`run`;
- :mod:`.reference`: plain numpy loops of every algorithm (the tests compare them);
- :mod:`.sweep_plugin`: sweeps; :mod:`.experiments` and :mod:`.tuned`: the comparison and
  speedup runs and the tuned rates behind figures (i)-(k) (:mod:`adamtheory.figures`) and
  ``adamtheory federated --tuned`` (:mod:`adamtheory.cli.federated`).

The equations, the weight convention and the measured outcome are in docs/federated.md.
"""

from .settings import ALGORITHMS, FINALS, METRICS, PARAMS


def __getattr__(name):
    """``compute``, ``run`` and ``run_many`` load the simulator (and numba) on first use."""
    if name in ("compute", "run", "run_many"):
        from . import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ALGORITHMS", "PARAMS", "METRICS", "FINALS", "compute", "run", "run_many"]
