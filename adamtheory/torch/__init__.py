"""PyTorch layer: Generic Adam as a torch optimizer, verdicts for torch optimizers, Efficient-Adam
on torch.distributed (issue 16). Requires the optional extra ``adamtheory[torch]``.

* :class:`GenericAdam` (:mod:`.optim`): α_t, β_t, θ_t as schedule text, every variant switch of
  the engine, bitwise equal to the engine (float64) and, for ``variant="torch"``, to
  ``torch.optim.Adam``;
* :func:`check` (:mod:`.check`): the checker's verdict per param group of a torch optimizer and
  LR scheduler.
"""

from .check import GroupVerdict, check
from .optim import GenericAdam

__all__ = ["GenericAdam", "check", "GroupVerdict"]
