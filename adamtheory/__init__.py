"""adamtheory: the convergence theory of Adam-type optimizers, as something to run and check."""

from .errors import InputError, OutsideFamilyError, ScheduleError
from .schedules import Schedule, constant, one_minus_power, power
from .specs import OptimizerSpec, named

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "OutsideFamilyError",
    "ScheduleError",
    "Schedule",
    "constant",
    "power",
    "one_minus_power",
    "OptimizerSpec",
    "named",
    "__version__",
]
