"""The federated simulator's experiment run through Flower: in process, or on flwr's simulation
engine (Ray) on the machine's cores.

:class:`Experiment` holds one setting of :mod:`adamtheory.federated` (the same names and
defaults, :data:`adamtheory.federated.simulator.PARAMS`): the client data (Dirichlet split of the
digits or the synthetic least squares, from the seed), each client's stochastic gradient (the
simulator's counter-based samples: row ⌊n_i·uniform(seed, t, i·B + b)⌋ of client i at local step
t, :func:`adamtheory.federated.reference.stochastic_grad`), the global objective for the server's
evaluation, a Flower ``ClientApp`` and the strategy.

- :func:`run_inprocess` drives the strategy's methods directly (``configure_train``, the client
  app on every message, ``aggregate_train``) with :class:`InProcessGrid`: no Ray, seconds;
- :func:`run_flower` runs the same experiment with ``flwr.simulation.run_simulation``: a
  ``ServerApp`` calling ``Strategy.start`` and M virtual SuperNodes on Ray;
- :func:`run_many`: either, for a list of settings and seeds, in the layout of
  :func:`adamtheory.federated.simulator.run_many` (the CLI's ``--backend flower``).

Both runs equal the simulator's (tests/test_flower.py).

Example
-------
>>> from adamtheory.flower.experiment import run_inprocess
>>> out = run_inprocess("fedlada", "lsq", rounds=3, M=4, S=2, K=2, dim=3, n_local=5)
>>> out["loss"].shape, out["x"].shape
((3,), (3, 3))
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.common.constant import SUPERLINK_NODE_ID
from flwr.serverapp import Grid, ServerApp
from flwr.supercore.task_identity import TaskIdentity

from ..errors import InputError
from ..federated.data import N_CLASSES, digits, dirichlet_partition, heterogeneous_lsq
from ..federated.reference import stochastic_grad
from ..federated.simulator import DEFAULT_TARGET, defaults, validate
from .client import client_train, index_reply
from .strategy import STRATEGIES, discover_clients

#: The federated algorithms that have a Flower strategy here.
ALGORITHMS = tuple(STRATEGIES)
#: Name of the model's one array (a flat parameter vector, as in the simulator).
WEIGHTS = "w"


def _loss_grad(problem: str, X, y, w, C):
    """Mean loss, its gradient and the number of correct predictions over rows X, labels y."""
    if problem == "lsq":
        r = X @ w - y
        return 0.5 * np.mean(r ** 2), X.T @ r / len(y), np.nan
    W = w.reshape(C, -1)
    Z = X @ W.T
    zmax = Z.max(axis=1, keepdims=True)
    E = np.exp(Z - zmax)
    tot = E.sum(axis=1, keepdims=True)
    lab = y.astype(np.int64)
    rows = np.arange(len(y))
    loss = np.mean(np.log(tot[:, 0]) - (Z[rows, lab] - zmax[:, 0]))
    P = E / tot
    P[rows, lab] -= 1.0
    correct = float(np.sum(np.argmax(Z, axis=1) == lab))
    return loss, (P.T @ X / len(y)).reshape(-1), correct


class Experiment:
    """One setting of the federated simulator, as data, oracles and Flower apps.

    Parameters
    ----------
    algorithm : str
        One of :data:`ALGORITHMS`.
    problem : str
        ``"digits"`` or ``"lsq"``.
    seed : int
        The run's seed (data split or synthetic data, client sampling, samples).
    **settings
        Any other name of :data:`adamtheory.federated.simulator.PARAMS` (M, S, K, batch,
        lr_local, lr_global, a, carry_v, beta1, beta2, eps, l2, alpha, zeta, dim, n_local,
        noise, linear_scaling, target).
    """

    def __init__(self, algorithm: str = "fedlada", problem: str = "digits", seed: int = 0,
                 **settings) -> None:
        if algorithm not in ALGORITHMS:
            raise InputError(f"algorithm {algorithm!r} has no Flower strategy; choose from "
                             f"{', '.join(ALGORITHMS)}")
        s = defaults(algorithm=algorithm, problem=problem, **settings)
        validate(s)
        self.s = s
        self.seed = int(seed)
        self.problem = problem
        self.M = int(s["M"])
        self.eps = float(s["eps"]) if s["eps"] is not None else (
            1e-3 if algorithm == "fedadam" else 1e-8)
        self.l2 = float(s["l2"]) if s["l2"] is not None else (
            1e-3 if problem == "digits" else 0.0)
        self.target = float(s["target"]) if s["target"] is not None else DEFAULT_TARGET[problem]
        if problem == "digits":
            X, y = digits()
            rows, offsets = dirichlet_partition(y, self.M, float(s["alpha"]), self.seed)
            self.X, self.y, self.offsets = X[rows], y[rows], np.asarray(offsets)
            self.C, self.fstar = N_CLASSES, np.nan
            self.d = X.shape[1] * N_CLASSES
        else:
            P = heterogeneous_lsq(self.M, int(s["n_local"]), int(s["dim"]), float(s["zeta"]),
                                  float(s["noise"]), self.seed, l2=self.l2)
            self.X, self.y = P["A"], P["b"]
            self.offsets = np.arange(self.M + 1) * int(s["n_local"])
            self.C, self.fstar, self.d = 0, float(P["fstar"]), int(s["dim"])

    # --- data and oracles ----------------------------------------------------------------
    def num_examples(self, cid: int) -> int:
        """Samples held by client ``cid``."""
        return int(self.offsets[cid + 1] - self.offsets[cid])

    def grad(self, cid: int):
        """Client ``cid``'s stochastic gradient ``g(params, t)`` (the simulator's samples)."""
        lo, ni, B = int(self.offsets[cid]), self.num_examples(cid), int(self.s["batch"])

        def g(params, t):
            return {WEIGHTS: stochastic_grad(self.problem, self.X, self.y, lo, ni, B,
                                             params[WEIGHTS], self.C, self.l2, self.seed,
                                             int(t), cid)}
        return g

    def objective(self, w: np.ndarray) -> dict:
        """Global loss f(w) = (1/M) Σ_i f_i(w) + λ/2‖w‖², ‖∇f(w)‖, gap f − f*, accuracy."""
        f, gr, correct = 0.0, self.l2 * w, 0.0
        for i in range(self.M):
            lo, hi = self.offsets[i], self.offsets[i + 1]
            li, gi, ci = _loss_grad(self.problem, self.X[lo:hi], self.y[lo:hi], w, self.C)
            f += li / self.M
            gr = gr + gi / self.M
            correct += ci
        f += 0.5 * self.l2 * float(w @ w)
        return {"loss": float(f), "gnorm": float(np.linalg.norm(gr)),
                "gap": float(f - self.fstar),
                "accuracy": float(correct / self.offsets[-1]) if self.problem == "digits"
                else np.nan}

    def evaluate(self, server_round: int, arrays: ArrayRecord) -> MetricRecord:
        """Centralized evaluation (``evaluate_fn`` of ``Strategy.start``)."""
        out = self.objective(arrays[WEIGHTS].numpy())
        return MetricRecord({k: v for k, v in out.items() if np.isfinite(v)})

    def initial_arrays(self) -> ArrayRecord:
        """The simulator's start x = 0."""
        return ArrayRecord({WEIGHTS: Array(np.zeros(self.d))})

    # --- Flower apps ---------------------------------------------------------------------
    def strategy(self):
        """The strategy of this setting (a fresh one: strategies hold server state)."""
        s = self.s
        kw = dict(clients_per_round=int(s["S"]), local_steps=int(s["K"]),
                  lr_local=float(s["lr_local"]), lr_global=float(s["lr_global"]),
                  beta1=float(s["beta1"]), beta2=float(s["beta2"]),
                  linear_scaling=bool(s["linear_scaling"]), seed=self.seed)
        if s["algorithm"] == "fedadam":
            return STRATEGIES["fedadam"](tau=self.eps, **kw)
        return STRATEGIES[s["algorithm"]](a=float(s["a"]), eps=self.eps,
                                          carry_v=bool(s["carry_v"]), **kw)

    def client_app(self) -> ClientApp:
        """A ``ClientApp``: node with partition id i is client i (its data and samples)."""
        app = ClientApp()
        exp = self

        @app.train()
        def train(msg: Message, context: Context) -> Message:
            cid = int(context.node_config["partition-id"])
            return client_train(msg, exp.grad(cid), exp.num_examples(cid))

        @app.query()
        def query(msg: Message, context: Context) -> Message:
            return index_reply(msg, int(context.node_config["partition-id"]))

        return app


@contextmanager
def server_identity(run_id: int = 0):
    """Give this process the task identity of a ServerApp while the block runs.

    flwr 1.42 stamps every new instruction ``Message`` with the process's task identity, which
    its runtimes set; outside them ``Message(...)`` raises "TaskIdentity.run_id is not set".
    This sets the same dummy identity as flwr's own legacy ``start_grid`` (task 1, the
    SuperLink's node id) and restores the previous one afterwards.
    """
    saved = (TaskIdentity._task_id, TaskIdentity._run_id, TaskIdentity._node_id)
    TaskIdentity.task_id, TaskIdentity.run_id, TaskIdentity.node_id = 1, int(run_id), \
        SUPERLINK_NODE_ID
    try:
        yield
    finally:
        TaskIdentity._task_id, TaskIdentity._run_id, TaskIdentity._node_id = saved


class InProcessGrid(Grid):
    """A Flower ``Grid`` that delivers each message to a ``ClientApp`` in this process.

    Node ids are deliberately not in client order (``discover_clients`` finds the order);
    node i has ``node_config = {"partition-id": i, "num-partitions": M}``.
    """

    def __init__(self, client_app: ClientApp, num_nodes: int) -> None:
        self.app = client_app
        ids = [int((7919 * (i + 1) * 2654435761) % 2_147_483_647) for i in range(num_nodes)]
        self.contexts = {n: Context(run_id=0, node_id=n, node_config={
            "partition-id": i, "num-partitions": num_nodes}, state=RecordDict(), run_config={})
            for i, n in enumerate(ids)}
        self._run = None

    def set_run(self, run) -> None:
        self._run = run

    @property
    def run(self):
        return self._run

    def create_message(self, content: RecordDict, message_type: str, dst_node_id: int,
                       group_id: str, ttl: float | None = None) -> Message:
        return Message(content=content, dst_node_id=dst_node_id, message_type=message_type,
                       group_id=group_id, ttl=ttl)

    def get_node_ids(self) -> Iterable[int]:
        return list(self.contexts)

    def push_messages(self, messages):
        raise NotImplementedError("InProcessGrid answers in send_and_receive only")

    def pull_messages(self, message_ids):
        raise NotImplementedError("InProcessGrid answers in send_and_receive only")

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None):
        return [self.app(m, self.contexts[m.metadata.dst_node_id]) for m in messages]


def _trace(exp: Experiment, xs: list, drift: list) -> dict:
    ev = [exp.objective(x) for x in xs]
    out = {k: np.array([e[k] for e in ev]) for k in ("loss", "gap", "gnorm", "accuracy")}
    out["drift"] = np.asarray(drift, dtype=np.float64)
    out["x"] = np.array(xs)
    return out


def run_inprocess(algorithm: str = "fedlada", problem: str = "digits", rounds: int = 20,
                  seed: int = 0, **settings) -> dict:
    """Run the strategy for ``rounds`` rounds by calling its methods in this process.

    Returns ``{"x": (rounds, d) server models x_1..x_R, "loss", "gap", "gnorm", "accuracy",
    "drift": (rounds,)}`` (the simulator's metrics of every round).
    """
    exp = Experiment(algorithm, problem, seed, **settings)
    strategy = exp.strategy()
    grid = InProcessGrid(exp.client_app(), exp.M)
    arrays, xs, drift = exp.initial_arrays(), [], []
    with server_identity():
        strategy.client_nodes = discover_clients(grid, exp.M)
        for rnd in range(1, int(rounds) + 1):
            msgs = strategy.configure_train(rnd, arrays, ConfigRecord(), grid)
            arrays, metrics = strategy.aggregate_train(rnd, grid.send_and_receive(msgs))
            xs.append(arrays[WEIGHTS].numpy().copy())
            drift.append(metrics["drift"])
    return _trace(exp, xs, drift)


def run_flower(algorithm: str = "fedlada", problem: str = "digits", rounds: int = 20,
               seed: int = 0, num_cpus: int | None = None, quiet: bool = True,
               **settings) -> dict:
    """Run the experiment on flwr's simulation engine (``run_simulation``, Ray backend).

    M virtual SuperNodes run :meth:`Experiment.client_app` (one CPU each, at most ``num_cpus``
    at a time, default all cores); the ``ServerApp`` finds the client order with
    :func:`discover_clients` and calls ``Strategy.start`` with centralized evaluation.
    Returns :func:`run_inprocess`'s dictionary (``x``: the global model after every round,
    rebuilt from the evaluation trace; ``final``: Flower's final ``ArrayRecord`` as an array).
    Needs ``pip install "flwr[simulation]"`` (Ray).
    """
    try:
        import ray  # noqa: F401
        from flwr.simulation import run_simulation
    except ImportError as exc:
        raise InputError('the Flower simulation engine needs Ray: pip install '
                         '"flwr[simulation]==1.42.0"') from exc
    exp = Experiment(algorithm, problem, seed, **settings)
    strategy = exp.strategy()
    box: dict = {"x": []}

    def evaluate(rnd: int, arrays: ArrayRecord):
        if rnd > 0:
            box["x"].append(arrays[WEIGHTS].numpy().copy())
        return exp.evaluate(rnd, arrays)

    server = ServerApp()

    @server.main()
    def main(grid: Grid, context: Context) -> None:
        strategy.client_nodes = discover_clients(grid, exp.M)
        box["result"] = strategy.start(grid=grid, initial_arrays=exp.initial_arrays(),
                                       num_rounds=int(rounds), evaluate_fn=evaluate)

    cpus = int(num_cpus or os.cpu_count() or 1)
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # Ray's FutureWarning
    logger = logging.getLogger("flwr")
    level = logger.level
    if quiet:  # flwr logs every round at INFO and run_simulation's deprecation at WARNING
        logger.setLevel(logging.ERROR)
    try:
        run_simulation(server_app=server, client_app=exp.client_app(), num_supernodes=exp.M,
                       backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                       "init_args": {"num_cpus": cpus,
                                                     "include_dashboard": False}})
    finally:
        logger.setLevel(level)
    if "result" not in box:
        raise RuntimeError("the Flower simulation ended without a result (see its log above)")
    res = box["result"]
    S = strategy.clients_per_round
    got = [res.train_metrics_clientapp[r]["clients"] if r in res.train_metrics_clientapp else 0
           for r in range(1, int(rounds) + 1)]
    if any(g != S for g in got):
        raise RuntimeError(f"clients failed in the Flower simulation: replies per round {got}, "
                           f"expected {S} (rerun with quiet=False to see the errors)")
    drift = [res.train_metrics_clientapp[r]["drift"] for r in range(1, int(rounds) + 1)]
    out = _trace(exp, box["x"], drift)
    out["final"] = res.arrays[WEIGHTS].numpy().copy()
    return out


def run_many(configs: list[dict], rounds: int, seeds=(0,), checkpoints=None,
             backend: str = "flower") -> dict:
    """:func:`adamtheory.federated.simulator.run_many` through Flower: every setting (a dict
    with ``algorithm``, ``problem`` and other PARAMS) over every seed, ``backend="flower"``
    (:func:`run_flower`) or ``"inprocess"`` (:func:`run_inprocess`). Same output layout:
    metrics (n, n_checkpoints), finals ``rounds_to_target``, ``mean_drift`` (n,), ``rounds``."""
    if backend not in ("flower", "inprocess"):
        raise InputError(f"backend {backend!r}: choose flower or inprocess")
    run = run_flower if backend == "flower" else run_inprocess
    seeds = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    ck = np.arange(1, rounds + 1) if checkpoints is None else np.asarray(checkpoints)
    jobs = []
    for c in configs:
        c = dict(c)
        alg, prob = c.pop("algorithm", "fedlada"), c.pop("problem", "digits")
        for sd in seeds:  # every setting is checked before the first run starts
            jobs.append((Experiment(alg, prob, int(sd), **c), alg, prob, int(sd), c))
    rows = []
    for exp, alg, prob, sd, c in jobs:
        tr = run(alg, prob, rounds=int(rounds), seed=sd, **c)
        err = tr["gap"] if prob == "lsq" else tr["loss"]
        hit = np.flatnonzero(err <= exp.target)
        rows.append((tr, float(hit[0] + 1) if hit.size else np.nan))
    out = {k: np.array([tr[k][ck - 1] for tr, _ in rows])
           for k in ("loss", "gap", "gnorm", "accuracy", "drift")}
    out["rounds_to_target"] = np.array([h for _, h in rows])
    out["mean_drift"] = np.array([float(np.mean(tr["drift"])) for tr, _ in rows])
    out["rounds"] = ck
    return out
