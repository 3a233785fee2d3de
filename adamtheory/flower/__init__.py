"""FedLADA, FedCM, local Adam and FedAdam as Flower strategies, tied to the federated simulator
(issue 17). Requires the optional extra ``pip install "adamtheory[flower]"`` (flwr 1.42.0); the
simulation engine (:func:`run_flower`) also needs Ray, ``pip install "flwr[simulation]==1.42.0"``.

- :mod:`.strategy`: :class:`FedLADA`, :class:`FedCM`, :class:`LocalAdam`, :class:`FedAdam`
  (``flwr.serverapp.strategy.FedAvg`` subclasses with the simulator's sampling and aggregation),
  :func:`discover_clients`;
- :mod:`.client`: the clients' K local steps for a numpy model (:func:`client_train`) or a torch
  module (:func:`torch_client_train`);
- :mod:`.experiment`: the simulator's experiment in Flower, in process (:func:`run_inprocess`)
  or on flwr's simulation engine (:func:`run_flower`).

Importing this package turns Flower's usage telemetry off unless ``FLWR_TELEMETRY_ENABLED`` is
already set (flwr reads it at import time).
"""

import os

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")

try:
    import flwr  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError('adamtheory.flower needs Flower: pip install "adamtheory[flower]"'
                              ) from exc

from .client import client_train, local_update, torch_client_train, torch_local_update  # noqa: E402
from .experiment import Experiment, InProcessGrid, run_flower, run_inprocess, run_many  # noqa: E402
from .strategy import FedAdam, FedCM, FedLADA, LocalAdam, discover_clients  # noqa: E402

__all__ = ["FedLADA", "FedCM", "LocalAdam", "FedAdam", "discover_clients", "client_train",
           "local_update", "torch_client_train", "torch_local_update", "Experiment",
           "InProcessGrid", "run_inprocess", "run_flower", "run_many"]
