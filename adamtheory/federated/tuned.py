"""Tuned rates of the federated algorithms (data read by figures (i)-(j) and ``federated --tuned``).

For each problem and algorithm, ``(lr_local, lr_global)``: the best final error of a 10-point
log grid of lr_local (and lr_global in {0.01, 0.03, 0.1} for FedAdam), 2 seeds, digits at
Dirichlet α = 0.1 after 100 rounds, least squares at ζ = 1 after 200 rounds, M = 20, S = 5,
K = 10, batch 16 (docs/federated.md).

Example
-------
>>> from adamtheory.federated.tuned import TUNED
>>> TUNED["digits"]["fedlada"]
(0.05, 1.0)
"""

from __future__ import annotations

TUNED = {
    "digits": {"fedavg": (0.5, 1.0), "fedadam": (0.02, 0.1), "local-adam": (0.1, 1.0),
               "fedcm": (0.5, 1.0), "scaffold": (1.0, 1.0), "fedlada": (0.05, 1.0)},
    "lsq": {"fedavg": (0.002, 1.0), "fedadam": (0.001, 0.03), "local-adam": (0.02, 1.0),
            "fedcm": (0.002, 1.0), "scaffold": (0.005, 1.0), "fedlada": (0.02, 1.0)},
}
