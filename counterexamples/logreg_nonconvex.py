r"""Logistic regression with a non-convex regulariser on the Wisconsin breast cancer data.

.. math::

    f(w) = \frac1n \sum_{i=1}^n \ell(a_i^\top w, y_i)
           + \lambda \sum_{j=1}^{d} \frac{w_j^2}{1+w_j^2},
    \qquad \ell(z, y) = \log(1 + e^z) - y z,

with a_i ∈ R^31 the 30 standardised features of sample i plus a bias 1 (the regulariser acts on
all 31 coordinates, bias included), y_i ∈ {0, 1}, n = 569 (UCI, Wolberg et al., CC BY 4.0;
shipped in ``counterexamples/data``). The stochastic oracle at step t of the run with ``seed``
averages ℓ over a mini-batch of b indices i_k = ⌊n · uniform(seed, t, k)⌋, k = 0..b-1 (with
replacement), plus the full regulariser: an unbiased estimate of f and ∇f.

Constants (derived; checked by the conformance suite):

* A1: f ≥ 0, so f* = 0 is declared as a *lower bound* (``meta["f_star_kind"] ==
  "lower_bound"``; the minimum is not known in closed form, ``x_star`` is None).
* A2: ℓ'' = σ(z)(1-σ(z)) ≤ 1/4 and |r''| ≤ 2 for r(u) = u²/(1+u²), so
  L = λ_max(AᵀA/n)/4 + 2λ (≈ 3.32 + 2λ on this data; attained at w = 0 up to the 2λ term).
* A3: uniform sampling with replacement makes the mini-batch gradient unbiased.
* A4: |σ - y| ≤ 1 and |r'| ≤ 3√3/8, so by Minkowski
  (E||g||²)^{1/2} ≤ (mean_i ||a_i||²)^{1/2} + λ (3√3/8) √d = G, with mean_i ||a_i||² = 31.
* Non-convex: r'' < 0 for |w_j| > 1/√3.

Behaviour it must show: a real non-convex finite-sum problem where the sufficient condition's
schedules (α_t = α/√t, θ_t = 1 - 1/t or 1 - θ/t^r with r ≤ 2s) make E||∇f(x_τ)||^{4/3} decay,
and where mini-batch size b divides the variance part of the bound (linear speed-up, REFERENCE §5).

Source: the model of the experiments in Chen, Shen, Zou, Liu, "Towards Practical Adam", JMLR
23(229) 2022 (non-convex regularised logistic regression); data: W. N. Street, W. H. Wolberg,
O. L. Mangasarian, UCI Breast Cancer Wisconsin (Diagnostic), 1995.

Examples
--------
>>> from counterexamples import get
>>> p = get("logreg-nonconvex", lam=0.1, batch=8)
>>> p.dim, round(p.constants["L"], 3)
(31, 3.52)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._base import Problem
from ._data import breast_cancer
from ._nn import sigmoid, softplus
from ._validate import integer, real, require
from .rng import uniform

NAME = "logreg-nonconvex"


@njit(cache=False)
def _add_regulariser(x, lam, g):
    """Adds lam * r'(x_j) to g[j]; returns lam * sum r(x_j)."""
    f = 0.0
    for j in range(x.shape[0]):
        u = x[j]
        q = 1.0 + u * u
        f += u * u / q
        g[j] += lam * 2.0 * u / (q * q)
    return lam * f


@njit(cache=False)
def _add_sample(x, data, i, w, g):
    """Adds w * grad of ell(a_i^T x, y_i) to g; returns w * ell."""
    d = x.shape[0]
    z = 0.0
    for j in range(d):
        z += data[i, j] * x[j]
    y = data[i, d]
    s = w * (sigmoid(z) - y)
    for j in range(d):
        g[j] += s * data[i, j]
    return w * (softplus(z) - y * z)


@njit(cache=False)
def objective(x, params, data, g):
    """Full-data loss plus regulariser; writes the gradient into g."""
    n = data.shape[0]
    g[:] = 0.0
    f = 0.0
    for i in range(n):
        f += _add_sample(x, data, i, 1.0 / n, g)
    return f + _add_regulariser(x, params[0], g)


@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """Mini-batch (size params[1]) loss plus regulariser at step t; writes the gradient into g."""
    n = data.shape[0]
    b = np.int64(params[1])
    g[:] = 0.0
    f = 0.0
    for k in range(b):
        i = np.int64(uniform(seed, t, k) * n)
        f += _add_sample(x, data, i, 1.0 / b, g)
    return f + _add_regulariser(x, params[0], g)


# --- block oracles: many iterates at once (columns of X), the same samples for all ----------
# Each column gets exactly the arithmetic of ``grad`` / ``objective`` in the same order, so the
# results are bit for bit those of the per-iterate oracles; the innermost loops run over the
# columns (contiguous), which LLVM vectorizes.

@njit(cache=False, error_model="numpy")
def _add_sample_block(X, data, i, w, G, f, z, s):
    """Adds w * grad ell(a_i^T x_c, y_i) to column c of G for every c; f[c] += w * ell if f has
    entries (an empty f skips the loss)."""
    d, nc = X.shape
    if nc == 1:  # one column: the same sums, accumulated in a register (no store per term)
        z0 = 0.0
        for j in range(d):
            z0 += data[i, j] * X[j, 0]
        z[0] = z0
    else:
        for c in range(nc):
            z[c] = 0.0
        for j in range(d):
            a = data[i, j]
            for c in range(nc):
                z[c] += a * X[j, c]
    y = data[i, d]
    for c in range(nc):
        s[c] = w * (sigmoid(z[c]) - y)
    for c in range(f.shape[0]):
        f[c] += w * (softplus(z[c]) - y * z[c])
    if nc == 1:
        s0 = s[0]
        for j in range(d):
            G[j, 0] += s0 * data[i, j]
    else:
        for j in range(d):
            a = data[i, j]
            for c in range(nc):
                G[j, c] += s[c] * a


@njit(cache=False, error_model="numpy")
def _add_regulariser_block(X, lam, G, f):
    """Column by column what :func:`_add_regulariser` does; f[c] += lam * sum r(x_j)."""
    d, nc = X.shape
    r = np.zeros(nc)
    for j in range(d):
        for c in range(nc):
            u = X[j, c]
            q = 1.0 + u * u
            r[c] += u * u / q
            G[j, c] += lam * 2.0 * u / (q * q)
    for c in range(f.shape[0]):
        f[c] += lam * r[c]


@njit(cache=False, error_model="numpy")
def grad_block(X, t, seed, params, data, G, f):
    """``grad`` for every column of X (d, nc) with the step's shared mini-batch: gradients into
    the columns of G, losses into f (nc,), or no losses when f is empty."""
    n = data.shape[0]
    b = np.int64(params[1])
    nc = X.shape[1]
    G[:] = 0.0
    f[:] = 0.0
    z, s = np.empty(nc), np.empty(nc)
    for k in range(b):
        i = np.int64(uniform(seed, t, k) * n)
        _add_sample_block(X, data, i, 1.0 / b, G, f, z, s)
    _add_regulariser_block(X, params[0], G, f)


#: samples whose a_i^T x are summed side by side in the one-column full pass
_GROUP = 8
#: below this many columns the full pass runs column by column (:func:`_full_pass_one_column`):
#: the loops over a few columns do not vectorize, and the per-column pass is faster up to 7
#: (per config-step, 2 columns: 104 -> 30 us; 6: 34 -> 30 us; 8 columns together: 19 us)
_COLUMNS_APART = 8


@njit(cache=False, error_model="numpy")
def _full_pass_one_column(X, data, G, f):
    """The data term of ``objective`` for one column: G[:, 0] (zero on entry) and f[0] (if f
    has an entry).

    Each a_i^T x is the same sum over j = 0..d-1 as in :func:`_add_sample`, but the sums of
    :data:`_GROUP` consecutive samples advance side by side (independent chains, so the
    additions overlap instead of waiting on one another); the loss and gradient terms are
    then added sample by sample in order. The result is bit for bit that of ``objective``.
    """
    n, d = data.shape[0], X.shape[0]
    w = 1.0 / n
    zs = np.empty(_GROUP)
    # the gradient's sums, one per coordinate, each over the samples in order: a contiguous
    # accumulator (G's column has a runtime stride), so that the loop over j vectorizes
    gacc = np.zeros(d)
    for i0 in range(0, n, _GROUP):
        k1 = min(_GROUP, n - i0)
        for k in range(k1):
            zs[k] = 0.0
        for j in range(d):
            xj = X[j, 0]
            for k in range(k1):
                zs[k] += data[i0 + k, j] * xj
        for k in range(k1):
            i = i0 + k
            z0 = zs[k]
            y = data[i, d]
            s0 = w * (sigmoid(z0) - y)
            if f.shape[0]:
                f[0] += w * (softplus(z0) - y * z0)
            for j in range(d):
                gacc[j] += s0 * data[i, j]
    for j in range(d):
        G[j, 0] += gacc[j]


@njit(cache=False, error_model="numpy")
def objective_block(X, params, data, G, f):
    """``objective`` for every column of X: ∇f into the columns of G, f into f (nc,), or not
    at all when f is empty (the per-step gradient metrics need only ∇f)."""
    n = data.shape[0]
    nc = X.shape[1]
    G[:] = 0.0
    f[:] = 0.0
    if nc < _COLUMNS_APART:
        for c in range(nc):
            _full_pass_one_column(X[:, c:c + 1], data, G[:, c:c + 1], f[c:c + 1])
    else:
        z, s = np.empty(nc), np.empty(nc)
        for i in range(n):
            _add_sample_block(X, data, i, 1.0 / n, G, f, z, s)
    _add_regulariser_block(X, params[0], G, f)


def make(lam: float = 0.1, batch: int = 1):
    """Non-convex regularised logistic regression on the breast cancer data.

    Parameters
    ----------
    lam : float, default 0.1
        Weight λ >= 0 of the non-convex regulariser sum w²/(1+w²).
    batch : int, default 1
        Mini-batch size b, 1 <= b <= 569 (samples drawn with replacement).

    Returns
    -------
    Problem
        Unconstrained, d = 31, x0 = 0; f* = 0 (lower bound only), L and G as in the module
        docstring.
    """
    lam = real(lam, "lam", NAME)
    batch = integer(batch, "batch", NAME)
    data = breast_cancer()
    n, d = data.shape[0], data.shape[1] - 1
    require(lam >= 0, f"lam must be >= 0 for {NAME} (regulariser weight), got {lam:g}")
    require(1 <= batch <= n, f"batch must be an integer in [1, {n}] for {NAME}, got {batch}")
    a = data[:, :d]
    L = 0.25 * float(np.linalg.eigvalsh(a.T @ a / n)[-1]) + 2.0 * lam
    G = math.sqrt(float(np.mean(np.sum(a * a, axis=1)))) + lam * (3.0 * math.sqrt(3.0) / 8.0) * \
        math.sqrt(d)
    return Problem(
        name=NAME, title=f"Logistic regression + non-convex reg. (lam={lam:g}, batch={batch})",
        dim=d, grad=grad, objective=objective, grad_block=grad_block,
        objective_block=objective_block,
        params=np.array([lam, float(batch)]), param_names=("lam", "batch"), data=data,
        x_star=None, f_star=0.0, x0=0.0,
        constants={"L": L, "G": G, "f_star": 0.0,
                   # per coordinate: |g_k| <= max_i |a_ik| + lam r'_max surely (|σ - y| < 1), and
                   # E g_k² <= (sqrt(mean_i a_ik²) + lam r'_max)² (Minkowski; a batch mean only lowers it)
                   "G_inf": float(np.max(np.abs(a))) + lam * 3.0 * math.sqrt(3.0) / 8.0,
                   "G_coord": float(np.sqrt(np.max(np.mean(a * a, axis=0))))
                   + lam * 3.0 * math.sqrt(3.0) / 8.0},
        assumptions={"A1": True, "A2": True, "A3": True, "A4": True},
        stochastic=True, online=False, convex=lam == 0.0,
        source="model of Chen, Shen, Zou, Liu, Towards Practical Adam, JMLR 2022 (experiments); "
               "data: UCI Breast Cancer Wisconsin (Diagnostic), Wolberg, Street, Mangasarian",
        expected=("Real non-convex finite sum: schedules satisfying the sufficient condition make "
                  "E||grad f(x_tau)||^{4/3} decay; the variance term shrinks as 1/batch."),
        meta={"user_params": {"lam": lam, "batch": batch}, "f_star_kind": "lower_bound",
              "sample_box": (-3.0, 3.0), "n_samples": n, "dataset": "breast_cancer",
              "assumption_notes": {
                  "A1": "f >= 0; f* = 0 is a lower bound, the minimum value is unknown",
                  "A2": "L = lambda_max(A^T A/n)/4 + 2 lam, global",
                  "A3": "uniform sampling with replacement",
                  "A4": "G = sqrt(mean ||a_i||^2) + lam (3 sqrt 3/8) sqrt d, global"}},
    )
