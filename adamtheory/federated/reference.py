"""Plain reference implementations of the six algorithms (pure numpy, one loop per level).

Written to be read next to docs/federated.md, not to be fast: the tests compare the numba kernel
(:mod:`.kernels`) with these loops on small cases. Same data, same counter-based random numbers
(:func:`counterexamples.rng.uniform`), same conventions:

- clients of round r: partial Fisher-Yates shuffle of 0..M-1 with ``uniform(seed, 2^40 + r, j)``;
- stochastic gradient of client i at local step k of round r: mean of ∇ℓ over B rows
  ``⌊n_i · uniform(seed, r·K + k, i·B + b)⌋`` of the client (B = 0: all its rows), plus λ y;
- the Adam moments and steps (FedLADA / local Adam on the clients, FedAdam on the server) are the
  engine's one update, :func:`adamtheory.engine.update.adam_update`, called per coordinate
  through its plain-Python ``.py_func`` (the kernel calls the compiled form).

Example
-------
>>> from adamtheory.federated.reference import reference_run
>>> from adamtheory.federated.data import heterogeneous_lsq
>>> P = heterogeneous_lsq(4, 6, 3, 1.0, 0.1, seed=0)
>>> xs, drift = reference_run("fedavg", P["A"], P["b"], [6 * i for i in range(5)], "lsq", S=2, K=3,
...                    B=2, lr_local=0.05, rounds=4, seed=0)
>>> xs.shape
(4, 3)
"""

from __future__ import annotations

import numpy as np

from counterexamples.rng import uniform

from ..engine.codes import AMS_NONE, AMS_TORCH, EPS_TORCH, EPS_V0
from ..engine.update import adam_update

SAMPLE_T = 1 << 40
#: the shared update applied coordinate-wise to numpy arrays: (m, v, V, step)
adam_np = np.vectorize(adam_update.py_func, otypes=[np.float64] * 4)


def _loss_grad(problem, X, y, w, C):
    """Mean loss and gradient over rows X (n, p), targets / labels y."""
    if problem == "lsq":
        r = X @ w - y
        return 0.5 * np.mean(r ** 2), X.T @ r / len(y)
    W = w.reshape(C, -1)
    Z = X @ W.T
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    lab = y.astype(int)
    loss = -np.mean(np.log(P[np.arange(len(y)), lab]))
    P[np.arange(len(y)), lab] -= 1.0
    return loss, (P.T @ X / len(y)).reshape(-1)


def sample_clients(seed, r, M, S):
    perm = list(range(M))
    for j in range(S):
        k = min(j + int((M - j) * uniform(seed, SAMPLE_T + r, j)), M - 1)
        perm[j], perm[k] = perm[k], perm[j]
    return perm[:S]


def stochastic_grad(problem, X, y, lo, ni, B, w, C, l2, seed, t, cid):
    if B == 0:
        idx = np.arange(lo, lo + ni)
    else:
        idx = np.array([lo + min(int(ni * uniform(seed, t, cid * B + b)), ni - 1)
                        for b in range(B)])
    return _loss_grad(problem, X[idx], y[idx], w, C)[1] + l2 * w


def reference_run(algorithm, X, y, offsets, problem, S, K, B, lr_local, rounds, seed,
                  lr_global=1.0, a=0.5, beta1=0.9, beta2=0.99, eps=1e-8, l2=0.0, C=10,
                  linear_scaling=False, carry_v=True):
    """Server iterates x_1..x_rounds (rounds, d) of one algorithm (equations in docs/federated.md)
    and the client drift of every round (rounds,): (1/S) Σ_j ‖y_j - ȳ‖.

    ``X``/``y`` hold the clients' rows in client order (client i: rows offsets[i]..offsets[i+1]).
    """
    M = len(offsets) - 1
    d = X.shape[1] if problem == "lsq" else X.shape[1] * C
    eta_g = lr_global * S if linear_scaling else lr_global
    if algorithm == "local-adam":
        a = 1.0
    x = np.zeros(d)
    m_s, v_s = np.zeros(d), np.full(d, eps ** 2)   # server Adam (FedAdam) / shared v (FedLADA)
    g_a = np.zeros(d)                               # global offset (FedCM, FedLADA)
    c, c_i = np.zeros(d), np.zeros((M, d))          # SCAFFOLD control variates
    out, drift = [], []
    for r in range(rounds):
        ys, vhats, dcs = [], [], []
        for cid in sample_clients(seed, r, M, S):
            lo, ni = offsets[cid], offsets[cid + 1] - offsets[cid]
            yv = x.copy()
            m, v_i, vhat = np.zeros(d), v_s.copy(), v_s.copy()
            for k in range(K):
                g = stochastic_grad(problem, X, y, lo, ni, B, yv, C, l2, seed, r * K + k, cid)
                if algorithm in ("fedavg", "fedadam"):
                    yv = yv - lr_local * g
                elif algorithm == "fedcm":
                    yv = yv - lr_local * (a * g + (1 - a) * g_a)
                elif algorithm == "scaffold":
                    yv = yv - lr_local * (g - c_i[cid] + c)
                else:  # fedlada, local-adam: AMSGrad (torch max), v_0 = ε², no ε in the step
                    m, v_i, vhat, step = adam_np(g, m, v_i, vhat, a, beta1, beta2, 1.0, 1.0,
                                               EPS_V0, AMS_TORCH, 0.0, 0.0)
                    yv = yv - lr_local * (step + (1 - a) * g_a)
            if algorithm == "scaffold":
                dc = -c + (x - yv) / (K * lr_local)
                c_i[cid] = c_i[cid] + dc
                dcs.append(dc)
            ys.append(yv)
            vhats.append(vhat)
        ybar = np.mean(ys, axis=0)
        drift.append(np.mean([np.linalg.norm(yv - ybar) for yv in ys]))
        if algorithm == "fedadam":  # Adam on the pseudo-gradient ȳ - x, ε outside the root
            m_s, v_s, _, step = adam_np(ybar - x, m_s, v_s, v_s, eta_g, beta1, beta2, 1.0, 1.0,
                                      EPS_TORCH, AMS_NONE, eps, 0.0)
            x = x + step
        else:
            g_a = (x - ybar) / (lr_local * K)
            x = x + eta_g * (ybar - x)
            if algorithm in ("fedlada", "local-adam") and carry_v:
                v_s = np.mean(vhats, axis=0)
            if algorithm == "scaffold":
                c = c + np.sum(dcs, axis=0) / M
        out.append(x.copy())
    return np.array(out), np.array(drift)
