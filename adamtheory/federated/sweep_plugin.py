"""Sweep plug-in of the federated simulator (``simulator = "federated"`` in a sweep file).

Every name of :data:`PARAMS` may be fixed in ``[settings]`` or be a ``[grid]`` axis: the
algorithm and the problem as lists of strings, ``alpha`` (Dirichlet concentration; **0 means
IID**), ``zeta`` (least-squares optimum spread), ``M``, ``S``, ``K``, ``batch``, ``lr_local``,
``lr_global``, ``linear_scaling``, ``a`` (amendment weight), ``beta1``, ``beta2``, ``eps``,
``l2``, ``target`` and the least-squares shape. ``[run] steps`` is the number of rounds and
the checkpoints are rounds. See ``examples/fed_*.toml`` and docs/federated.md.

Example
-------
>>> from adamtheory.federated import sweep_plugin as p
>>> p.NAME, sorted(p.FINALS)
('federated', ['mean_drift', 'rounds_to_target'])
"""

from __future__ import annotations

from ..simulators import ModuleSimulator
from .simulator import FINALS, METRICS, PARAMS, compute
from .simulator import validate as _validate

NAME = "federated"
__all__ = ["NAME", "PARAMS", "METRICS", "FINALS", "validate", "compute", "SIMULATOR"]


def validate(settings: dict) -> None:
    """Raise ValueError (an InputError, one line) for one bad configuration."""
    _validate(settings)


#: The federated simulator as a :class:`~adamtheory.simulators.Simulator` (no schedules: its
#: client and server optimizers are not one Generic Adam spec, so no verdicts).
SIMULATOR = ModuleSimulator(__name__)
