"""Block oracles and the engine's batched loop (issue 15): shared samples per block, loops over
configurations; the same results as the one-configuration-at-a-time loop, bit for bit."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from numba import njit

import counterexamples as cx
from adamtheory.engine import run_batch
from counterexamples._nn import sigmoid, softplus, vexp

BATCHED = ["nonconvex-separable", "logreg-nonconvex"]
KEYS = ("x", "dist", "fgap", "gnorm", "pgnorm", "regret", "grad43", "gradmin2", "x_final",
        "flag", "stop_step")


def _mixed(problem, T, **kw):
    """Seven configurations: two seeds, every variant family, one NaN step at t = 50."""
    t = np.arange(1, T + 1, dtype=float)[:, None]
    A = 0.1 * t ** -np.array([0.3, 0.5, 0.0])
    A[:, 2] = np.where(t[:, 0] == 50, np.nan, 0.3)
    TH = 1 - 0.05 * t ** -np.array([0.0, 0.5, 1.0])
    base = dict(alpha_row=[0, 1, 2, 0, 1, 2, 0], theta_row=[0, 0, 1, 1, 2, 2, 1],
                seeds=[0, 1, 0, 1, 0, 1, 0], n=7,
                eps_mode=["v0", "v0", "torch", "v0", "v0", "v0", "optax"],
                bias_correction=[0, 0, 1, 0, 0, 0, 1],
                amsgrad=[None, None, None, "reddi", None, None, "torch"])
    base.update(kw)
    return run_batch(problem, A, np.full(T, 0.9), TH, **base)


def _equal(a, b, perm=None):
    perm = np.arange(a.n) if perm is None else perm
    for k in KEYS:
        va, vb = getattr(a, k), getattr(b, k)
        va = va[perm] if va.ndim == 1 or k == "x_final" else va[:, perm]
        np.testing.assert_array_equal(va, vb, err_msg=k)


@pytest.mark.parametrize("name", BATCHED)
@pytest.mark.parametrize("grad_metrics", [False, True])
def test_batched_loop_equals_general_loop_bitwise(name, grad_metrics):
    prob = cx.get(name, **({"batch": 4} if name == "logreg-nonconvex" else {"d": 5}))
    T = 150
    a = _mixed(prob, T, grad_metrics=grad_metrics, path="batched")
    b = _mixed(prob, T, grad_metrics=grad_metrics, path="general")
    _equal(a, b)
    assert list(a.flag) == [0, 0, 1, 0, 0, 1, 0] and a.stop_step[2] == 50


def test_batched_loop_bitwise_independent_of_split_threads_order():
    prob = cx.get("logreg-nonconvex", batch=2)
    T = 120
    base = _mixed(prob, T, block=128, grad_metrics=True)
    _equal(base, _mixed(prob, T, block=2, grad_metrics=True))
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        _equal(base, _mixed(prob, T, block=3, grad_metrics=True))
    finally:
        numba.set_num_threads(old)
    perm = np.array([6, 2, 0, 5, 1, 3, 4])
    kw = dict(alpha_row=np.array([0, 1, 2, 0, 1, 2, 0])[perm],
              theta_row=np.array([0, 0, 1, 1, 2, 2, 1])[perm],
              seeds=np.array([0, 1, 0, 1, 0, 1, 0])[perm],
              eps_mode=list(np.array(["v0", "v0", "torch", "v0", "v0", "v0", "optax"])[perm]),
              bias_correction=np.array([0, 0, 1, 0, 0, 0, 1])[perm],
              amsgrad=[[None, None, None, "reddi", None, None, "torch"][k] for k in perm])
    _equal(base, _mixed(prob, T, grad_metrics=True, **kw), perm)


@pytest.mark.parametrize("name", BATCHED)
@pytest.mark.parametrize("nc", [1, 2, 7, 8, 9])  # below 8 columns: one at a time
def test_block_oracles_reproduce_the_oracles_bitwise(name, nc):
    prob = cx.get(name)
    rng = np.random.default_rng(3)
    d = prob.dim
    X = np.ascontiguousarray(rng.standard_normal((d, nc)) * rng.choice([0.1, 3.0, 40.0], nc))
    G, f, Gf, ff = np.empty((d, nc)), np.empty(nc), np.empty((d, nc)), np.empty(nc)
    g = np.empty(d)
    for t, seed in ((1, 0), (17, 5), (4000, 123)):
        prob.grad_block(X, t, seed, prob.params, prob.data, G, f)
        prob.objective_block(X, prob.params, prob.data, Gf, ff)
        for c in range(nc):
            x = np.ascontiguousarray(X[:, c])
            assert prob.grad(x, t, seed, prob.params, prob.data, g) == f[c]
            np.testing.assert_array_equal(g, G[:, c])
            assert prob.objective(x, prob.params, prob.data, g) == ff[c]
            np.testing.assert_array_equal(g, Gf[:, c])
        G2 = np.empty((d, nc))
        prob.grad_block(X, t, seed, prob.params, prob.data, G2, np.empty(0))  # no losses asked
        np.testing.assert_array_equal(G2, G)
        prob.objective_block(X, prob.params, prob.data, G2, np.empty(0))
        np.testing.assert_array_equal(G2, Gf)


def test_vexp_is_within_one_ulp_of_libm():
    @njit
    def many(xs, out):
        for i in range(xs.shape[0]):
            out[i] = vexp(xs[i])

    rng = np.random.default_rng(0)
    xs = -np.concatenate([rng.random(200_000) * 708.0, np.logspace(-300, 2.85, 20_000), [0.0]])
    out = np.empty_like(xs)
    many(xs, out)
    ref = np.exp(xs)
    assert np.max(np.abs(out - ref) / np.spacing(ref)) <= 1.0
    assert vexp(-800.0) == 0.0 and math.isnan(vexp(math.nan))
    # the logistic pieces: libm's formulas to round-off (the change of issue 15, said here)
    z = rng.standard_normal(20_000) * np.logspace(-3, 2.5, 20_000)
    for fn, ref_fn in ((sigmoid, lambda u: 1 / (1 + math.exp(-u)) if u >= 0
                        else math.exp(u) / (1 + math.exp(u))),
                       (softplus, lambda u: u + math.log1p(math.exp(-u)) if u > 0
                        else math.log1p(math.exp(u)))):
        a = np.array([fn(u) for u in z])
        b = np.array([ref_fn(u) for u in z])
        np.testing.assert_allclose(a, b, rtol=4e-16, atol=1e-300)  # 0 for a subnormal


def test_logreg_trajectory_equals_libm_reference_to_round_off():
    """The engine (vexp in the oracles) against a numpy replay with libm's exp, same samples:
    equal to round-off over 200 steps (relative 1e-11 on the iterate)."""
    prob = cx.get("logreg-nonconvex", batch=3)
    T = 200
    t = np.arange(1, T + 1, dtype=float)
    alpha, beta, theta, eps = 0.05 / np.sqrt(t), 0.9, 1 - 0.1 / t, 1e-8
    res = run_batch(prob, alpha, np.full(T, beta), theta, eps=eps, seeds=7, grad_metrics=False,
                    checkpoints=[T])
    data, n, lam = prob.data, prob.data.shape[0], prob.params[0]
    a, y = data[:, :-1], data[:, -1]
    x, m, v = np.zeros(prob.dim), np.zeros(prob.dim), np.full(prob.dim, eps)
    from counterexamples.rng import uniform

    for k in range(1, T + 1):
        idx = [int(uniform(7, k, j) * n) for j in range(3)]
        z = a[idx] @ x
        s = 1 / (1 + np.exp(-z))
        g = ((s - y[idx])[:, None] * a[idx]).mean(axis=0) + lam * 2 * x / (1 + x * x) ** 2
        m = beta * m + (1 - beta) * g
        v = theta[k - 1] * v + (1 - theta[k - 1]) * g * g
        x = x - alpha[k - 1] * m / np.sqrt(v)
    np.testing.assert_allclose(res.x_final[0], x, rtol=1e-11, atol=1e-14)
    assert not np.allclose(res.x_final[0], 0.0)  # it moved
