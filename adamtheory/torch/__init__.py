"""PyTorch layer: Generic Adam as a torch optimizer, verdicts for torch optimizers, Efficient-Adam
on torch.distributed (issue 16). Requires the optional extra ``adamtheory[torch]``.

* :class:`GenericAdam` (:mod:`.optim`): α_t, β_t, θ_t as schedule text, every variant switch of
  the engine, bitwise equal to the engine (float64) and, for ``variant="torch"``, to
  ``torch.optim.Adam``;
* :func:`check` (:mod:`.check`): the checker's verdict per param group of a torch optimizer and
  LR scheduler;
* :class:`EfficientAdam`, :func:`compressed_allreduce_hook` (:mod:`.distributed`): the
  parameter-server algorithms on torch.distributed with the toolkit's compressors;
* :mod:`.experiments`: the claims on a small CNN (figures (l)-(n)).
"""

from .check import GroupVerdict, check
from .distributed import CompressionState, EfficientAdam, compressed_allreduce_hook, launch
from .optim import GenericAdam

__all__ = ["GenericAdam", "check", "GroupVerdict", "EfficientAdam", "CompressionState",
           "compressed_allreduce_hook", "launch"]
