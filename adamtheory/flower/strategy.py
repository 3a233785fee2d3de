"""Flower strategies (``flwr.serverapp.strategy`` API of flwr 1.42): FedLADA, FedCM, local Adam
with plain averaging, and FedAdam in the form of Reddi et al. (2021).

Every strategy is a :class:`flwr.serverapp.strategy.FedAvg` whose sampling and aggregation are
the federated simulator's (docs/federated.md), so a run equals the simulator's run:

- **sampling**: the S clients of round r = ``server_round − 1`` are the simulator's partial
  Fisher-Yates shuffle of 0..M−1 driven by the counter-based generator
  (:func:`adamtheory.federated.reference.sample_clients`); client i is the node
  ``client_nodes[i]`` (set it from :func:`discover_clients`, or the sorted node ids are used);
- **message** to a sampled client: the global model x (``"arrays"``), the global offset g_a
  (``"offset"``; FedLADA, FedCM), the shared second moment v (``"v"``; FedLADA and local Adam
  with ``carry_v``) and a ``"config"`` record with the local rule, K, η_l, a, β₁, β₂, ε;
- **aggregation**: ȳ = (1/S) Σ_j y_j (uniform, as f = (1/M) Σ_i f_i; Flower's FedAvg weights
  by ``num-examples`` instead), then

      g_a ← (x − ȳ)/(η_l K);   x ← x + η_g (ȳ − x);   v ← (1/S) Σ_j v̂_j  (carry_v)

  with η_g multiplied by S under ``linear_scaling``; FedAdam instead: Δ = ȳ − x,
  m ← β₁ m + (1 − β₁) Δ, v ← β₂ v + (1 − β₂) Δ², x ← x + η_g m/(√v + τ), m₀ = 0, v₀ = τ².

**Amendment weight** ``a`` ∈ [0, 1] (the simulator's convention): a multiplies the client's own
direction (FedLADA's a·m/√v̂, FedCM's a·g) and the global offset gets 1 − a; a = 1 is local Adam
without amendment. The client side is :mod:`adamtheory.flower.client`.

Each strategy's train metrics hold the round's client drift (1/S) Σ_j ‖y_j − ȳ‖ (``"drift"``).

Example
-------
>>> from adamtheory.flower import FedLADA
>>> strategy = FedLADA(clients_per_round=5, local_steps=10, lr_local=0.05, a=0.5)
>>> strategy.algorithm
'fedlada'
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from logging import DEBUG, INFO, WARNING

import numpy as np
from flwr.app import (
    Array,
    ArrayRecord,
    ConfigRecord,
    Message,
    MessageType,
    MetricRecord,
    RecordDict,
)
from flwr.serverapp import Grid
from flwr.serverapp.strategy import FedAvg
from flwr.supercore import log

from ..engine.update import moments
from ..errors import InputError
from ..federated.reference import sample_clients
from .client import CLIENT_INDEX, CONFIG, METRICS, MODEL, OFFSET, SHARED_V, VHAT

#: bias-correction forms of :class:`FedAdam` (see its docstring)
BIAS_CORRECTIONS = ("none", "adam", "flower")


def _record(arrays: dict) -> ArrayRecord:
    return ArrayRecord({k: Array(np.ascontiguousarray(v)) for k, v in arrays.items()})


def _numpy(record: ArrayRecord) -> dict:
    return {k: a.numpy() for k, a in record.items()}


def discover_clients(grid: Grid, num_nodes: int = 1, timeout: float = 600.0) -> list[int]:
    """Ask every connected node for its client index (a ``query`` message answered by
    :func:`adamtheory.flower.client.index_reply`); returns the node ids ordered by client index,
    the ``client_nodes`` of the strategies. Waits (up to ``timeout`` seconds) until at least
    ``num_nodes`` nodes are connected, as flwr's own sampling does: a simulation's nodes
    register after the ServerApp has started."""
    start = time.monotonic()
    while len(list(grid.get_node_ids())) < num_nodes:
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"fewer than {num_nodes} nodes connected after {timeout} s")
        time.sleep(0.05)
    msgs = [Message(content=RecordDict({CONFIG: ConfigRecord({"ask": CLIENT_INDEX})}),
                    dst_node_id=int(n), message_type=MessageType.QUERY)
            for n in grid.get_node_ids()]
    index = {}
    for rep in grid.send_and_receive(msgs, timeout=timeout):
        if rep.has_error():
            raise RuntimeError(f"node {rep.metadata.src_node_id} did not give its client index: "
                               f"{rep.error.reason}")
        index[int(rep.content[METRICS][CLIENT_INDEX])] = int(rep.metadata.src_node_id)
    if sorted(index) != list(range(len(msgs))):
        raise RuntimeError(f"client indices {sorted(index)} of {len(msgs)} nodes are not "
                           f"0..{len(msgs) - 1}")
    return [index[i] for i in range(len(msgs))]


class _SimulatorStrategy(FedAvg):
    """Shared sampling, messages and aggregation (module docstring)."""

    algorithm = ""
    client_rule = ""

    def __init__(self, *, clients_per_round: int, local_steps: int, lr_local: float,
                 lr_global: float = 1.0, a: float = 0.5, beta1: float = 0.9,
                 beta2: float = 0.99, eps: float = 1e-8, carry_v: bool = True,
                 linear_scaling: bool = False, seed: int = 0,
                 client_nodes: Sequence[int] | None = None, fraction_evaluate: float = 0.0,
                 **fedavg_kw) -> None:
        if int(clients_per_round) < 1:
            raise InputError(f"clients_per_round = {clients_per_round}: give S >= 1")
        if int(local_steps) < 1:
            raise InputError(f"local_steps = {local_steps}: give K >= 1")
        for name, val in (("lr_local", lr_local), ("lr_global", lr_global)):
            if not val > 0:
                raise InputError(f"{name} = {val}: give a positive learning rate")
        if not 0 <= a <= 1:
            raise InputError(f"a = {a}: the amendment weight must lie in [0, 1]")
        for name, val in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= val < 1:
                raise InputError(f"{name} = {val}: give 0 <= {name} < 1")
        if not eps > 0:
            raise InputError(f"eps = {eps}: give eps > 0")
        # federated evaluation is off by default (evaluate centrally with ``evaluate_fn``);
        # set after FedAvg's constructor so that it does not log a warning about it
        super().__init__(fraction_evaluate=1.0, **fedavg_kw)
        self.fraction_evaluate = float(fraction_evaluate)
        self.clients_per_round = int(clients_per_round)
        self.local_steps = int(local_steps)
        self.lr_local = float(lr_local)
        self.lr_global = float(lr_global)
        self.a = 1.0 if self.algorithm == "local-adam" else float(a)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.carry_v = bool(carry_v)
        self.linear_scaling = bool(linear_scaling)
        self.seed = int(seed)
        self.client_nodes = None if client_nodes is None else [int(n) for n in client_nodes]
        self.x: dict | None = None          # global model sent this round
        self.offset: dict | None = None     # global offset g_a
        self.v: dict | None = None          # shared second moment (FedLADA) / server v (FedAdam)
        self.m: dict | None = None          # server first moment (FedAdam)
        self._round_nodes: list[int] = []
        self._round = 0

    # --- helpers -------------------------------------------------------------------------
    @property
    def eta_g(self) -> float:
        """The server rate η_g (times S under ``linear_scaling``)."""
        return self.lr_global * self.clients_per_round if self.linear_scaling else self.lr_global

    def _uses_offset(self) -> bool:
        return self.algorithm in ("fedlada", "fedcm")

    def _uses_v(self) -> bool:
        return self.algorithm in ("fedlada", "local-adam") and self.carry_v

    def summary(self) -> None:
        log(INFO, "\t├──> %s (adamtheory): S = %d, K = %d, eta_l = %g, eta_g = %g, a = %g",
            type(self).__name__, self.clients_per_round, self.local_steps, self.lr_local,
            self.eta_g, self.a)
        super().summary()

    def sample(self, server_round: int, nodes: Sequence[int]) -> list[int]:
        """The nodes of this round: the simulator's sample of S of the M clients."""
        M, S = len(nodes), self.clients_per_round
        if not 1 <= S <= M:
            raise InputError(f"clients_per_round = {S} with {M} connected nodes: give "
                             f"1 <= S <= M")
        return [nodes[c] for c in sample_clients(self.seed, server_round - 1, M, S)]

    def client_config(self, server_round: int) -> dict:
        """The config record of this round's train messages."""
        return {"server-round": int(server_round), "algorithm": self.client_rule,
                "local-steps": self.local_steps, "lr-local": self.lr_local, "a": self.a,
                "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    # --- Flower strategy API -------------------------------------------------------------
    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                        grid: Grid) -> Iterable[Message]:
        """Sample S clients and send each the global model, offset and shared v."""
        self.x = _numpy(arrays)
        if self.offset is None:
            self.offset = {k: np.zeros_like(v) for k, v in self.x.items()}
        if self.v is None and self._uses_v():
            self.v = {k: np.full_like(v, self.eps * self.eps) for k, v in self.x.items()}
        nodes = self.client_nodes or sorted(int(n) for n in grid.get_node_ids())
        self._round_nodes = self.sample(server_round, nodes)
        log(DEBUG, "configure_train: sampled clients %s of %d",
            [nodes.index(n) for n in self._round_nodes], len(nodes))
        cfg = ConfigRecord({**dict(config), **self.client_config(server_round)})
        content = RecordDict({MODEL: arrays, CONFIG: cfg})
        if self._uses_offset():
            content[OFFSET] = _record(self.offset)
        if self._uses_v():
            content[SHARED_V] = _record(self.v)
        return [Message(content=content, dst_node_id=n, message_type=MessageType.TRAIN)
                for n in self._round_nodes]

    def _replies(self, replies: Iterable[Message]) -> list[Message]:
        """Valid replies in the order of the sample (sums then match the simulator's)."""
        pos = {n: j for j, n in enumerate(self._round_nodes)}
        good, bad = [], 0
        for r in replies:
            if r.has_error():
                bad += 1
                log(WARNING, "\t> error in reply from node %d: %s", r.metadata.src_node_id,
                    r.error.reason)
            else:
                good.append(r)
        log(DEBUG, "aggregate_train: received %d results and %d failures", len(good), bad)
        return sorted(good, key=lambda r: pos.get(r.metadata.src_node_id, len(pos)))

    def _mean(self, records: list[dict]) -> dict:
        out = {}
        for k in records[0]:
            s = records[0][k].copy()
            for r in records[1:]:
                s += r[k]
            out[k] = s / len(records)
        return out

    def _server_step(self, ybar: dict, contents: list) -> dict:
        x, eta_l_k = self.x, self.lr_local * self.local_steps
        self.offset = {k: (x[k] - ybar[k]) / eta_l_k for k in x}
        new = {k: x[k] + self.eta_g * (ybar[k] - x[k]) for k in x}
        if self._uses_v():
            self.v = self._mean([_numpy(c[VHAT]) for c in contents])
        return new

    def aggregate_train(self, server_round: int, replies: Iterable[Message]):
        """ȳ, the drift, and the server update (module docstring)."""
        good = self._replies(replies)
        if not good:
            return None, None
        contents = [r.content for r in good]
        ys = [_numpy(c[MODEL]) for c in contents]
        ybar = self._mean(ys)
        drift = float(np.mean([np.sqrt(sum(float(np.sum((y[k] - ybar[k]) ** 2)) for k in y))
                               for y in ys]))
        new = self._server_step(ybar, contents)
        return _record(new), MetricRecord({"drift": drift, "clients": len(good)})


class FedLADA(_SimulatorStrategy):
    """FedLADA (Sun, Shen, Sun, Ding, Tao, TPAMI 2023, as in REFERENCE section 7).

    Clients run the amended local Adam (:func:`adamtheory.flower.client.local_update`) from the
    shared second moment v; the server averages models and v̂ and sets the global offset
    g_a = (x − ȳ)/(η_l K). Parameters as the simulator's (``adamtheory.federated``):
    ``clients_per_round`` S, ``local_steps`` K, ``lr_local`` η_l, ``lr_global`` η_g, ``a``
    (weight of the client's own adaptive step; 1 − a on g_a), ``beta1``, ``beta2``, ``eps``
    (v starts at ε²), ``carry_v`` (false: clients start at ε² every round), ``linear_scaling``,
    ``seed`` (client sampling), ``client_nodes`` (node id of client i); further keywords go to
    :class:`flwr.serverapp.strategy.FedAvg`.
    """

    algorithm = client_rule = "fedlada"


class FedCM(_SimulatorStrategy):
    """FedCM (Xu et al. 2021): clients step y ← y − η_l (a g + (1 − a) g_a); the server as
    :class:`FedLADA` without second moments. Parameters as :class:`FedLADA`."""

    algorithm = client_rule = "fedcm"


class LocalAdam(_SimulatorStrategy):
    """Local Adam with plain averaging: :class:`FedLADA` with a = 1 (no amendment; ``a`` is
    ignored), the server averaging models and, with ``carry_v``, second moments."""

    algorithm = client_rule = "local-adam"


class FedAdam(_SimulatorStrategy):
    """Server-side Adam (Reddi et al., ICLR 2021, Algorithm 2 with FedAvg clients), the
    simulator's ``fedadam``.

    Clients run K steps of SGD; the server, with Δ = ȳ − x::

        m ← β₁ m + (1 − β₁) Δ;   v ← β₂ v + (1 − β₂) Δ²;   x ← x + c_t η_g m / (√v + τ)

    with m₀ = 0, v₀ = ``v0`` (default τ², the paper's v₋₁ ≥ τ²), τ = ``tau`` and c_t = 1
    (``bias_correction="none"``, the paper). For comparison with other implementations:
    ``"adam"`` uses Kingma & Ba's c_t = √(1 − β₂ᵗ)/(1 − β₁ᵗ) at round t = 1, 2, ...; ``"flower"``
    uses flwr's c_t = √(1 − β₂ᵗ⁺¹)/(1 − β₁ᵗ⁺¹); ``weighted_by_key="num-examples"`` averages the
    clients weighted by their sample counts, as flwr does (default: uniform).
    """

    algorithm = "fedadam"
    client_rule = "fedavg"

    def __init__(self, *, tau: float = 1e-3, bias_correction: str = "none",
                 v0: float | None = None, weighted_by_key: str | None = None, **kw) -> None:
        if bias_correction not in BIAS_CORRECTIONS:
            raise InputError(f"bias_correction = {bias_correction!r}; choose from "
                             f"{', '.join(BIAS_CORRECTIONS)}")
        if not tau > 0:
            raise InputError(f"tau = {tau}: give tau > 0")
        if v0 is not None and not v0 >= 0:
            raise InputError(f"v0 = {v0}: give v0 >= 0")
        kw.setdefault("a", 1.0)
        super().__init__(eps=tau, **kw)
        self.tau = float(tau)
        self.bias_correction = bias_correction
        self.v0 = self.tau ** 2 if v0 is None else float(v0)
        self.weighting = weighted_by_key

    def _uses_offset(self) -> bool:
        return False

    def _uses_v(self) -> bool:
        return False

    def aggregate_train(self, server_round: int, replies: Iterable[Message]):
        self._round = server_round
        return super().aggregate_train(server_round, replies)

    def _mean(self, records: list[dict], contents: list | None = None) -> dict:
        if self.weighting is None or contents is None:
            return super()._mean(records)
        w = [float(c[METRICS][self.weighting]) for c in contents]
        f = [wi / sum(w) for wi in w]
        return {k: sum((r[k] * fi for r, fi in zip(records[1:], f[1:])), records[0][k] * f[0])
                for k in records[0]}

    def _server_step(self, ybar: dict, contents: list) -> dict:
        if self.weighting is not None:
            ybar = self._mean([_numpy(c[MODEL]) for c in contents], contents)
        x, b1, b2 = self.x, self.beta1, self.beta2
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in x.items()}
            self.v = {k: np.full_like(v, self.v0) for k, v in x.items()}
        delta = {k: ybar[k] - x[k] for k in x}
        if self.bias_correction == "none":  # the engine's one moment update
            mv = {k: moments.py_func(delta[k], self.m[k], self.v[k], b1, b2) for k in x}
            self.m, self.v = {k: mv[k][0] for k in x}, {k: mv[k][1] for k in x}
        else:  # flwr's order: (1 - β₂) Δ²
            self.m = {k: b1 * self.m[k] + (1 - b1) * delta[k] for k in x}
            self.v = {k: b2 * self.v[k] + (1 - b2) * delta[k] ** 2 for k in x}
        if self.bias_correction == "none":  # the engine's update: α (m / (√v + ε))
            return {k: x[k] + self.eta_g * (self.m[k] / (np.sqrt(self.v[k]) + self.tau))
                    for k in x}
        t = self._round + (1.0 if self.bias_correction == "flower" else 0.0)
        eta = self.eta_g * np.sqrt(1 - np.power(b2, t)) / (1 - np.power(b1, t))
        # flwr's evaluation order, (η c_t m) / (√v + τ)
        return {k: x[k] + eta * self.m[k] / (np.sqrt(self.v[k]) + self.tau) for k in x}


STRATEGIES = {"fedlada": FedLADA, "fedcm": FedCM, "local-adam": LocalAdam, "fedadam": FedAdam}
