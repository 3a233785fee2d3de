r"""A two-layer tanh network with logistic output on the Wisconsin breast cancer data.

.. math::

    f(\theta) = \frac1n \sum_{i=1}^n \ell\big(v^\top \tanh(W a_i) + c,\ y_i\big)
                + \frac{\mu}{2} \|\theta\|^2, \qquad \ell(z, y) = \log(1 + e^z) - y z,

with a_i ∈ R^31 (30 standardised features and a bias 1), W ∈ R^{H×31}, v ∈ R^H, c ∈ R and the
flattened parameter θ = (W row-major, v, c) of dimension d = 32 H + 1 (H = 8: d = 257). The
stochastic oracle at step t of the run with ``seed`` averages ℓ over b indices
i_k = ⌊n · uniform(seed, t, k)⌋ (with replacement) plus the full μ term: unbiased.

Constants and assumptions:

* A1 holds: f ≥ 0; f* = 0 is declared as a lower bound only (``meta["f_star_kind"]``).
* A2 fails globally: ∇f is Lipschitz on every bounded set, but the W-block of the Hessian grows
  linearly with |v|, so no global L exists; none is declared.
* A3 holds (uniform sampling with replacement).
* A4 fails globally for the same reason (∂f/∂W ∝ v); it holds on bounded sets. No G is declared.

Default x0: W_kj = N(0, 1/31), v_k = N(0, 1/H) from ``normal(init_seed, 0, k)`` (step 0 is never
used by the oracle, whose steps start at 1), c = 0.

Behaviour it must show: a small real network on which the toolkit's runs are possible but the
theorem's hypotheses are only local; a run that stays bounded behaves as the theory predicts
with the local constants. Used to show the gap between the assumptions and practice.

Source: constructed for this project (the standard small-network benchmark; cf. the neural
network experiments of Chen, Shen, Zou, Liu, JMLR 2022 and Zou et al., CVPR 2019).

Examples
--------
>>> from counterexamples import get
>>> get("two-layer-net", hidden=8).dim
257
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._base import Problem
from ._data import breast_cancer
from ._nn import sigmoid, softplus
from ._validate import integer, real, require
from .rng import normal, uniform

NAME = "two-layer-net"


@njit(cache=False)
def _add_sample(x, hidden, data, i, w, g):
    """Adds w * grad of the sample-i loss to g; returns w * loss."""
    p = data.shape[1] - 1
    off_v = hidden * p
    z = x[off_v + hidden]
    for k in range(hidden):
        a = 0.0
        for j in range(p):
            a += x[k * p + j] * data[i, j]
        z += x[off_v + k] * math.tanh(a)
    y = data[i, p]
    s = w * (sigmoid(z) - y)
    g[off_v + hidden] += s
    for k in range(hidden):
        a = 0.0
        for j in range(p):
            a += x[k * p + j] * data[i, j]
        h = math.tanh(a)
        g[off_v + k] += s * h
        sk = s * x[off_v + k] * (1.0 - h * h)
        for j in range(p):
            g[k * p + j] += sk * data[i, j]
    return w * (softplus(z) - y * z)


@njit(cache=False)
def _add_l2(x, mu, g):
    f = 0.0
    for j in range(x.shape[0]):
        f += x[j] * x[j]
        g[j] += mu * x[j]
    return 0.5 * mu * f


@njit(cache=False)
def objective(x, params, data, g):
    """Full-data loss plus (mu/2)||x||^2; writes the gradient into g."""
    hidden = np.int64(params[0])
    n = data.shape[0]
    g[:] = 0.0
    f = 0.0
    for i in range(n):
        f += _add_sample(x, hidden, data, i, 1.0 / n, g)
    return f + _add_l2(x, params[2], g)


@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """Mini-batch (size params[1]) loss plus (mu/2)||x||^2 at step t; writes the gradient."""
    hidden = np.int64(params[0])
    b = np.int64(params[1])
    n = data.shape[0]
    g[:] = 0.0
    f = 0.0
    for k in range(b):
        i = np.int64(uniform(seed, t, k) * n)
        f += _add_sample(x, hidden, data, i, 1.0 / b, g)
    return f + _add_l2(x, params[2], g)


def initial_point(hidden: int, p: int, init_seed: int) -> np.ndarray:
    """Scaled Gaussian initialisation from the counter-based RNG (step 0, never an oracle step)."""
    x = np.zeros(hidden * p + hidden + 1)
    for k in range(hidden * p):
        x[k] = normal(init_seed, 0, k) / math.sqrt(p)
    for k in range(hidden):
        x[hidden * p + k] = normal(init_seed, 0, hidden * p + k) / math.sqrt(hidden)
    return x


def make(hidden: int = 8, batch: int = 16, mu: float = 0.0, init_seed: int = 0):
    """Two-layer tanh network on the breast cancer data.

    Parameters
    ----------
    hidden : int, default 8
        Hidden units H, 1 <= H <= 256 (d = 32 H + 1).
    batch : int, default 16
        Mini-batch size b, 1 <= b <= 569.
    mu : float, default 0
        L2 weight decay μ >= 0.
    init_seed : int, default 0
        Seed of the default initial point x0 (>= 0).

    Returns
    -------
    Problem
        Unconstrained; f* = 0 (lower bound only); A2 and A4 hold only on bounded sets.
    """
    hidden = integer(hidden, "hidden", NAME)
    batch = integer(batch, "batch", NAME)
    mu = real(mu, "mu", NAME)
    init_seed = integer(init_seed, "init_seed", NAME)
    data = breast_cancer()
    n, p = data.shape[0], data.shape[1] - 1
    require(1 <= hidden <= 256, f"hidden must be an integer in [1, 256] for {NAME}, got {hidden}")
    require(1 <= batch <= n, f"batch must be an integer in [1, {n}] for {NAME}, got {batch}")
    require(mu >= 0, f"mu must be >= 0 for {NAME} (weight decay), got {mu:g}")
    require(init_seed >= 0, f"init_seed must be >= 0 for {NAME}, got {init_seed}")
    return Problem(
        name=NAME, title=f"Two-layer tanh net (H={hidden}, batch={batch}, mu={mu:g})",
        dim=hidden * p + hidden + 1, grad=grad, objective=objective,
        params=np.array([float(hidden), float(batch), mu]), param_names=("hidden", "batch", "mu"),
        data=data, x_star=None, f_star=0.0, x0=initial_point(hidden, p, init_seed),
        constants={"f_star": 0.0},
        assumptions={"A1": True, "A2": False, "A3": True, "A4": False},
        stochastic=True, online=False, convex=False,
        source="constructed for adamtheory (small-network benchmark as in the experiments of "
               "Chen et al. JMLR 2022 and Zou et al. CVPR 2019); data: UCI Breast Cancer "
               "Wisconsin (Diagnostic)",
        expected=("Trainable real network: loss decreases under convergent schedules, but A2/A4 "
                  "hold only on bounded sets, so the theorem applies only with local constants."),
        meta={"user_params": {"hidden": hidden, "batch": batch, "mu": mu,
                              "init_seed": init_seed},
              "f_star_kind": "lower_bound", "sample_box": (-1.0, 1.0), "n_samples": n,
              "dataset": "breast_cancer", "layout": "W (H x 31, row-major), v (H), c",
              "assumption_notes": {
                  "A1": "f >= 0; f* = 0 is a lower bound",
                  "A2": "grad f Lipschitz on bounded sets only (Hessian W-block grows with |v|)",
                  "A3": "uniform sampling with replacement",
                  "A4": "E||g||^2 bounded on bounded sets only (d f/d W is proportional to v)"}},
    )
