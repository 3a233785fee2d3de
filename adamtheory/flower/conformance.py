"""Conformance of flwr's own ``FedAdam`` with the toolkit's FedAdam (Reddi et al. 2021).

Both run on the same rounds in process: the simulator's clients and samples (FedAvg clients,
K local SGD steps), full participation (S = M, so flwr's random node sampling picks the same
clients), the same η_g, β₁, β₂, τ. flwr 1.42's ``flwr.serverapp.strategy.FedAdam`` differs from
the paper's form (:class:`adamtheory.flower.FedAdam` with its defaults) in three places:

1. **bias correction**: it multiplies η by c_t = √(1 − β₂ᵗ⁺¹)/(1 − β₁ᵗ⁺¹) (added in flwr PR
   #4362); the paper has none, and Kingma & Ba's correction would use the exponent t, not t + 1
   (flwr's ``server_round`` t starts at 1, so its first round is corrected as Adam's second);
2. **initial second moment**: v₀ = 0 instead of the paper's v₋₁ = τ² (the simulator's);
3. **weighting**: ȳ weighted by the clients' ``num-examples`` instead of uniformly.

ε placement is the same in both (m/(√v + τ)). :func:`fedadam_conformance` measures the
difference of each form from flwr's; aligning all three causes leaves round-off only.

Example
-------
>>> from adamtheory.flower.conformance import fedadam_conformance
>>> rows = fedadam_conformance("lsq", rounds=3, M=4, K=2, dim=3, n_local=5)
>>> rows["all three aligned"]["rel_diff"] < 1e-12
True
"""

from __future__ import annotations

import logging

import numpy as np
from flwr.app import ConfigRecord
from flwr.serverapp.strategy import FedAdam as FlowerFedAdam

from .experiment import WEIGHTS, Experiment, InProcessGrid, server_identity
from .strategy import FedAdam

#: variant -> keywords of :class:`adamtheory.flower.FedAdam`
VARIANTS = {
    "paper (Reddi et al.; the simulator)": {},
    "+ flwr bias correction": {"bias_correction": "flower"},
    "+ flwr bias correction, v0 = 0": {"bias_correction": "flower", "v0": 0.0},
    "all three aligned": {"bias_correction": "flower", "v0": 0.0,
                          "weighted_by_key": "num-examples"},
    "aligned but no bias correction": {"v0": 0.0, "weighted_by_key": "num-examples"},
    "aligned but Adam's exponent t": {"bias_correction": "adam", "v0": 0.0,
                                      "weighted_by_key": "num-examples"},
    "aligned but v0 = tau^2": {"bias_correction": "flower", "weighted_by_key": "num-examples"},
    "aligned but uniform weights": {"bias_correction": "flower", "v0": 0.0},
}


def _drive(strategy, exp: Experiment, grid: InProcessGrid, rounds: int, config: dict) -> list:
    arrays, xs = exp.initial_arrays(), []
    for rnd in range(1, rounds + 1):
        msgs = strategy.configure_train(rnd, arrays, ConfigRecord(dict(config)), grid)
        arrays, _ = strategy.aggregate_train(rnd, grid.send_and_receive(msgs))
        xs.append(arrays[WEIGHTS].numpy().copy())
    return xs


def fedadam_conformance(problem: str = "digits", rounds: int = 20, seed: int = 0,
                        **settings) -> dict:
    """Run flwr's ``FedAdam`` and every form of :data:`VARIANTS` on the same rounds.

    ``settings`` are the simulator's (M, K, batch, lr_local, lr_global, beta1, beta2, eps = τ,
    ...); S is set to M. Returns ``{variant: {"rel_diff": ‖x_R − x_R^flwr‖/‖x_R^flwr‖,
    "rel_diff_round1": the same after round 1, "loss": f(x_R)}}`` plus ``"flwr FedAdam"``
    (its own loss).
    """
    settings = dict(settings)
    settings["S"] = settings.get("M", 20)
    exp = Experiment("fedadam", problem, seed, **settings)
    base = exp.strategy()
    client_cfg = base.client_config(1)
    client_cfg.pop("server-round")
    flwr_logger = logging.getLogger("flwr")
    level = flwr_logger.level
    flwr_logger.setLevel(logging.ERROR)  # flwr's strategies log every round at INFO
    try:
        with server_identity():
            grid = InProcessGrid(exp.client_app(), exp.M)
            ref = FlowerFedAdam(eta=base.lr_global, eta_l=base.lr_local, beta_1=base.beta1,
                                beta_2=base.beta2, tau=exp.eps, fraction_train=1.0,
                                fraction_evaluate=0.0, min_train_nodes=exp.M,
                                min_available_nodes=exp.M)
            xf = _drive(ref, exp, grid, rounds, client_cfg)
            out = {"flwr FedAdam": {"rel_diff": 0.0, "rel_diff_round1": 0.0,
                                    "loss": exp.objective(xf[-1])["loss"]}}
            for name, kw in VARIANTS.items():
                st = FedAdam(tau=exp.eps, clients_per_round=exp.M, local_steps=base.local_steps,
                             lr_local=base.lr_local, lr_global=base.lr_global,
                             beta1=base.beta1, beta2=base.beta2, seed=exp.seed, **kw)
                xs = _drive(st, exp, grid, rounds, client_cfg)
                out[name] = {
                    "rel_diff": float(np.linalg.norm(xs[-1] - xf[-1]) / np.linalg.norm(xf[-1])),
                    "rel_diff_round1": float(np.linalg.norm(xs[0] - xf[0])
                                             / np.linalg.norm(xf[0])),
                    "loss": exp.objective(xs[-1])["loss"]}
    finally:
        flwr_logger.setLevel(level)
    return out
