"""Client side of the Flower strategies: the K local steps of one sampled client.

A client receives the global model x, the global offset g_a and (FedLADA / local Adam with
``carry_v``) the shared second moment v, and runs K local steps from y = x (docs/federated.md,
the same equations as :mod:`adamtheory.federated.reference`):

- ``fedavg`` (the clients of FedAvg and FedAdam): y ← y − η_l g;
- ``fedcm``: y ← y − η_l (a g + (1 − a) g_a);
- ``fedlada`` (``local-adam`` is a = 1): m = 0, v_i = v̂ = v (ε² without a shared v), then

      m ← β₁ m + (1 − β₁) g;  v_i ← β₂ v_i + (1 − β₂) g²;  v̂ ← max(v̂, v_i)
      y ← y − η_l (a m/√v̂ + (1 − a) g_a).

**Weight convention** (the simulator's): ``a`` ∈ [0, 1] multiplies the client's own direction
(FedLADA's adaptive step, FedCM's gradient) and the global offset gets 1 − a, so a = 1 is local
Adam (no amendment) and a = 0 moves every client along last round's average direction only.

The moments and the step are the engine's one update (:mod:`adamtheory.engine.update`:
``moments`` and ``generic_step`` on arrays, as the federated kernel evaluates them). The client
returns y and, for the Adam clients, v̂. Gradients come from a callable
``grad(params, t) -> {name: array}`` evaluated at the current local iterate, with
``t = (server_round − 1)·K + k`` the global counter of local step k (the simulator draws the
samples of that step from its counter-based generator at t). :func:`client_train` does this for a
numpy model and :func:`torch_client_train` for a torch module (autograd gradients, the same update
written with torch operations).

Example
-------
>>> import numpy as np
>>> from adamtheory.flower.client import local_update
>>> cfg = {"server-round": 1, "algorithm": "fedlada", "lr-local": 0.1, "local-steps": 3,
...        "a": 0.5, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8}
>>> y, vhat = local_update({"w": np.ones(2)}, lambda p, t: {"w": p["w"]}, cfg)
>>> bool(np.all(y["w"] < 1))
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from flwr.app import Array, ArrayRecord, Message, MetricRecord, RecordDict

from ..engine.update import generic_step, moments

#: the shared moment update and step on numpy arrays: (β m + (1-β) g, θ v + (1-θ) g²), a (m/√V)
_moments, _step = moments.py_func, generic_step.py_func

#: Local rules a client can run (``config["algorithm"]``).
CLIENT_ALGORITHMS = ("fedavg", "fedcm", "fedlada", "local-adam")
#: Keys of the records in the messages (server -> client: model, offset, shared v, config;
#: client -> server: model, vhat, metrics).
MODEL, OFFSET, SHARED_V, VHAT, CONFIG, METRICS = ("arrays", "offset", "v", "vhat", "config",
                                                  "metrics")
#: Key of the client index in a query reply (see :func:`index_reply`).
CLIENT_INDEX = "client-index"


def _settings(config: Mapping) -> tuple:
    alg = str(config["algorithm"])
    if alg not in CLIENT_ALGORITHMS:
        raise ValueError(f"algorithm {alg!r} is not a client rule; choose from "
                         f"{', '.join(CLIENT_ALGORITHMS)}")
    K = int(config["local-steps"])
    if K < 1:
        raise ValueError(f"local-steps = {K}: give K >= 1")
    a = 1.0 if alg == "local-adam" else float(config.get("a", 1.0))
    return (alg, K, float(config["lr-local"]), a, float(config.get("beta1", 0.9)),
            float(config.get("beta2", 0.99)), float(config.get("eps", 1e-8)),
            (int(config.get("server-round", 1)) - 1) * K)


def local_update(params: Mapping[str, np.ndarray], grad: Callable, config: Mapping,
                 offset: Mapping[str, np.ndarray] | None = None,
                 v: Mapping[str, np.ndarray] | None = None):
    """K local steps of one client from the global model (numpy arrays).

    Parameters
    ----------
    params : {name: ndarray}
        The global model x (copied, not changed).
    grad : callable
        ``grad(y, t) -> {name: ndarray}``: the stochastic gradient at the local iterate y for
        the global local-step counter t = (server_round − 1)·K + k.
    config : mapping
        ``algorithm`` (one of :data:`CLIENT_ALGORITHMS`), ``local-steps`` K, ``lr-local`` η_l,
        ``a``, ``beta1``, ``beta2``, ``eps`` and ``server-round`` (from 1).
    offset : {name: ndarray}, optional
        The global offset g_a (zero when absent).
    v : {name: ndarray}, optional
        The shared second moment (ε² when absent).

    Returns
    -------
    (y, vhat)
        The local model after K steps, and v̂ for the Adam clients (None otherwise).
    """
    alg, K, lr, a, b1, b2, eps, t0 = _settings(config)
    y = {k: np.array(p, copy=True) for k, p in params.items()}
    ga = offset if offset is not None and alg != "local-adam" else None
    if alg in ("fedlada", "local-adam"):
        m = {k: np.zeros_like(p) for k, p in y.items()}
        vi = {k: (np.array(v[k], copy=True) if v is not None else np.full_like(p, eps * eps))
              for k, p in y.items()}
        vh = {k: x.copy() for k, x in vi.items()}
    for k in range(K):
        g = grad(y, t0 + k)
        for n in y:
            if alg == "fedavg":
                y[n] = y[n] - lr * g[n]
            elif alg == "fedcm":
                gan = ga[n] if ga is not None else 0.0
                y[n] = y[n] - lr * (a * g[n] + (1 - a) * gan)
            else:  # the engine's one update (AMSGrad max, v_0 = ε², no bias correction)
                m[n], vi[n] = _moments(g[n], m[n], vi[n], b1, b2)
                vh[n] = np.maximum(vh[n], vi[n])
                step = _step(a, m[n], vh[n])
                if ga is not None:
                    step = step + (1 - a) * ga[n]
                y[n] = y[n] - lr * step
    return y, (vh if alg in ("fedlada", "local-adam") else None)


def _records(content: RecordDict):
    def arrays(key):
        return ({k: a.numpy() for k, a in content[key].items()} if key in content else None)
    return arrays(MODEL), arrays(OFFSET), arrays(SHARED_V), content[CONFIG]


def _reply(message: Message, y: dict, vh, num_examples: int) -> Message:
    content = RecordDict({MODEL: ArrayRecord({k: _as_array(v) for k, v in y.items()}),
                          METRICS: MetricRecord({"num-examples": int(num_examples)})})
    if vh is not None:
        content[VHAT] = ArrayRecord({k: _as_array(v) for k, v in vh.items()})
    return Message(content=content, reply_to=message)


def _as_array(x):
    return Array(np.ascontiguousarray(x))


def client_train(message: Message, grad: Callable, num_examples: int) -> Message:
    """Answer a train message of the toolkit's strategies (or of Flower's FedAvg family) for a
    numpy model: run :func:`local_update` and reply with y (and v̂) and ``num-examples``.

    Use it inside a ``ClientApp``::

        app = ClientApp()

        @app.train()
        def train(msg, context):
            return client_train(msg, my_grad, n_local)
    """
    x, offset, v, config = _records(message.content)
    y, vh = local_update(x, grad, config, offset, v)
    return _reply(message, y, vh, num_examples)


def torch_local_update(module, loss: Callable, params: Mapping[str, np.ndarray],
                       config: Mapping, offset: Mapping[str, np.ndarray] | None = None,
                       v: Mapping[str, np.ndarray] | None = None):
    """:func:`local_update` for a torch module: the same K steps on its parameters.

    ``params`` (keys = the names of ``module.named_parameters()``) is loaded into the module;
    ``loss(module, t)`` returns the scalar loss of local step t (its gradient by autograd is g).
    Arithmetic in the parameters' dtype and device; returns numpy arrays (y, v̂ or None).
    """
    import torch

    alg, K, lr, a, b1, b2, eps, t0 = _settings(config)
    named = dict(module.named_parameters())
    if set(named) != set(params):
        raise ValueError(f"model parameters {sorted(named)} do not match the message's arrays "
                         f"{sorted(params)}")

    def tensor(arr, like):
        return torch.as_tensor(np.asarray(arr)).to(dtype=like.dtype, device=like.device)

    with torch.no_grad():
        for n, p in named.items():
            p.copy_(tensor(params[n], p))
    ga = ({n: tensor(offset[n], p) for n, p in named.items()}
          if offset is not None and alg != "local-adam" else None)
    adam = alg in ("fedlada", "local-adam")
    if adam:
        m = {n: torch.zeros_like(p) for n, p in named.items()}
        vi = {n: (tensor(v[n], p) if v is not None else torch.full_like(p, eps * eps))
              for n, p in named.items()}
        vh = {n: x.clone() for n, x in vi.items()}
    for k in range(K):
        module.zero_grad(set_to_none=True)
        loss(module, t0 + k).backward()
        with torch.no_grad():
            for n, p in named.items():
                g = p.grad
                if alg == "fedavg":
                    p.copy_(p - lr * g)
                elif alg == "fedcm":
                    p.copy_(p - lr * (a * g + (1 - a) * (ga[n] if ga is not None else 0.0)))
                else:
                    m[n] = b1 * m[n] + (1 - b1) * g  # the order of engine.update
                    vi[n] = b2 * vi[n] + (1 - b2) * (g * g)
                    vh[n] = torch.maximum(vh[n], vi[n])
                    step = a * (m[n] / torch.sqrt(vh[n]))
                    if ga is not None:
                        step = step + (1 - a) * ga[n]
                    p.copy_(p - lr * step)
    out = {n: p.detach().cpu().numpy().copy() for n, p in named.items()}
    return out, ({n: x.cpu().numpy() for n, x in vh.items()} if adam else None)


def torch_client_train(message: Message, module, loss: Callable, num_examples: int) -> Message:
    """:func:`client_train` for a torch module (see :func:`torch_local_update`)."""
    x, offset, v, config = _records(message.content)
    y, vh = torch_local_update(module, loss, x, config, offset, v)
    return _reply(message, y, vh, num_examples)


def index_reply(message: Message, index: int) -> Message:
    """Answer the server's query for this node's client index (see
    :func:`adamtheory.flower.strategy.discover_clients`)."""
    return Message(content=RecordDict({METRICS: MetricRecord({CLIENT_INDEX: int(index)})}),
                   reply_to=message)


__all__ = ["CLIENT_ALGORITHMS", "local_update", "client_train", "torch_local_update",
           "torch_client_train", "index_reply"]
