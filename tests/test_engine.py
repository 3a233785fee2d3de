"""The engine against a plain-Python reference and torch.optim.Adam; reproducibility; NaN handling.

Problems come from the catalog (``counterexamples.get``): Reddi Section 5 online (1-d, scalar fast
path and general path) and the separable non-convex problem with seeded Gaussian gradient noise
(d = 3, general path).
"""

import math

import numba
import numpy as np
import pytest

import counterexamples as cx
from adamtheory.engine import run_batch

AMS = (None, "torch", "optax", "reddi")
MODES = ("v0", "torch", "optax", "keras")


@pytest.fixture(scope="module")
def online():
    return cx.get("reddi-sec5-online")


@pytest.fixture(scope="module")
def noisy():
    return cx.get("nonconvex-separable", d=3, sigma=0.5)


# ----------------------------------------------------------------------- plain-Python reference
def reference(problem, alpha, beta, theta, eps=1e-8, eps_mode="v0", bc=False, ams=None,
              eps_root=0.0, seed=0, x0=None, params=None):
    """Generic Adam and its variants, one float at a time (the kernels' documented formulas)."""
    d = problem.dim
    lo, hi = [float(v) for v in problem.lower], [float(v) for v in problem.upper]
    x = [float(v) for v in np.broadcast_to(problem.x0 if x0 is None else x0, (d,))]
    x = [min(max(xj, lo[j]), hi[j]) for j, xj in enumerate(x)]
    v0 = eps if eps_mode == "v0" else 0.0
    m, v, vm = [0.0] * d, [v0] * d, [v0] * d
    pb = pt = 1.0
    prm = problem.params if params is None else np.asarray(params, float)
    g = np.zeros(d)
    for t in range(1, len(alpha) + 1):
        a, b, th = float(alpha[t - 1]), float(beta[t - 1]), float(theta[t - 1])
        problem.grad(np.array(x), t, seed, prm, problem.data, g)  # the oracle (compiled) only
        pb, pt = pb * b, pt * th
        c1, c2 = (1.0 - pb, 1.0 - pt) if bc else (1.0, 1.0)
        new = []
        for j in range(d):
            gj = float(g[j])
            m[j] = b * m[j] + (1.0 - b) * gj
            v[j] = th * v[j] + (1.0 - th) * (gj * gj)
            if ams == "reddi":
                vm[j] = max(vm[j], v[j])
                step = a * (m[j] / math.sqrt(vm[j]))
            else:
                if ams is None:
                    big, cin = v[j], c2
                elif ams == "torch":
                    vm[j] = max(vm[j], v[j])
                    big, cin = vm[j], c2
                else:
                    vm[j] = max(vm[j], v[j] / c2)
                    big, cin = vm[j], 1.0
                if eps_mode == "v0":
                    step = (a / c1) * (m[j] / math.sqrt(big / cin))
                elif eps_mode == "torch":
                    step = (a / c1) * (m[j] / (math.sqrt(big) / math.sqrt(cin) + eps))
                elif eps_mode == "optax":
                    step = (a / c1) * (m[j] / (math.sqrt(big / cin + eps_root) + eps))
                else:
                    raw = big * c2 if ams == "optax" else big
                    step = (a * math.sqrt(c2) / c1) * (m[j] / (math.sqrt(raw) + eps))
            new.append(min(max(x[j] - step, lo[j]), hi[j]))
        x = new
    return np.array(x)


def _variants():
    out = []
    for mode in MODES:
        for ams in AMS:
            for bc in (False, True):
                if mode != "v0" and not bc:
                    continue
                out.append((mode, ams, bc))
    return out


VARIANTS = _variants()


def _tables(T, a0=0.5, b=0.9, th=0.99):
    t = np.arange(1, T + 1, dtype=float)
    return a0 / np.sqrt(t), np.full(T, b), np.full(T, th)


@pytest.mark.parametrize("path", ["scalar", "general"])
def test_reference_1d(online, path):
    T = 400
    A, B, TH = _tables(T)
    TH2 = 1.0 - 0.01 / np.arange(1, T + 1)
    tabs = np.stack([TH, TH2], axis=1)
    cfg = [(v, r) for v in VARIANTS for r in (0, 1)]
    res = run_batch(online, A, B, tabs, theta_row=[r for _, r in cfg], n=len(cfg),
                    eps=1e-3, eps_root=1e-4, eps_mode=[v[0] for v, _ in cfg],
                    amsgrad=[v[1] for v, _ in cfg], bias_correction=[v[2] for v, _ in cfg],
                    x0=0.3, path=path, grad_metrics=False)
    for i, ((mode, ams, bc), r) in enumerate(cfg):
        ref = reference(online, A, B, tabs[:, r], 1e-3, mode, bc, ams, 1e-4, x0=0.3)
        assert abs(res.x_final[i, 0] - ref[0]) <= 1e-13, (mode, ams, bc, r)
    assert (res.flag == 0).all()


def test_reference_nd(noisy):
    T = 300
    A, B, TH = _tables(T, a0=0.05)
    cfg = VARIANTS
    res = run_batch(noisy, A, B, TH, n=len(cfg), eps=1e-3, eps_root=1e-4, seeds=7,
                    eps_mode=[c[0] for c in cfg], amsgrad=[c[1] for c in cfg],
                    bias_correction=[c[2] for c in cfg])
    for i, (mode, ams, bc) in enumerate(cfg):
        ref = reference(noisy, A, B, TH, 1e-3, mode, bc, ams, 1e-4, seed=7)
        np.testing.assert_allclose(res.x_final[i], ref, rtol=0, atol=1e-13, err_msg=str(cfg[i]))


@pytest.mark.parametrize("regret", [True, False])
@pytest.mark.parametrize("name", ["reddi-sec5-online", "reddi-sec5-stochastic", "adam-escape"])
def test_scalar_and_general_paths_agree(name, regret):
    """The one-dimensional fast loop (its gradients, with the regret when it is on, in a loop of
    their own) against the general loop, iterates and regret bit for bit, on the online and the
    stochastic oracle and on one whose gradient depends on x (adam-escape)."""
    problem = cx.get(name)
    T = 2000
    A, B, TH = _tables(T)
    # two blocks (configurations sharing a seed) of three, so that a block's loop runs over
    # configurations whose iterates differ
    kw = dict(n=6, eps=[1e-8, 1e-3, 1.0] * 2, grad_metrics=False, seeds=[0, 0, 0, 1, 1, 1],
              regret=regret)
    fast = run_batch(problem, A, B, TH, path="scalar", **kw)
    gen = run_batch(problem, A, B, TH, path="general", **kw)
    np.testing.assert_array_equal(fast.x, gen.x)
    assert (fast.x[-1] != fast.x[0]).any()  # the iterates move
    if regret:
        assert np.isfinite(fast.regret).all() and (fast.regret != 0).any()
        np.testing.assert_array_equal(fast.regret, gen.regret)


# ----------------------------------------------------------------------- torch.optim.Adam
def torch_run(problem, T, lr, b1, b2, eps, amsgrad, seed=0):
    torch = pytest.importorskip("torch")  # the test extra; the rest of the file runs without it
    d = problem.dim
    p = torch.tensor(np.broadcast_to(problem.x0, (d,)).copy(), dtype=torch.float64,
                     requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps, amsgrad=amsgrad, foreach=False)
    g = np.zeros(d)
    lo = torch.tensor(problem.lower, dtype=torch.float64)
    hi = torch.tensor(problem.upper, dtype=torch.float64)
    for t in range(1, T + 1):
        opt.param_groups[0]["lr"] = lr / math.sqrt(t)
        problem.grad(p.detach().numpy().copy(), t, seed, problem.params, problem.data, g)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        with torch.no_grad():
            p.copy_(torch.maximum(torch.minimum(p, hi), lo))
    return p.detach().numpy().copy()


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("which", ["online", "noisy"])
def test_torch_adam_agreement(online, noisy, which, amsgrad):
    prob = online if which == "online" else noisy
    T, lr = 10_000, (0.5 if which == "online" else 0.05)
    ref = torch_run(prob, T, lr, 0.9, 0.99, 1e-8, amsgrad, seed=3)
    A, B, TH = _tables(T, a0=lr)
    res = run_batch(prob, A, B, TH, eps=1e-8, eps_mode="torch", bias_correction=True,
                    amsgrad="torch" if amsgrad else None, seeds=3, grad_metrics=False)
    assert np.max(np.abs(res.x_final[0] - ref)) <= 1e-10


# ----------------------------------------------------------------------- reproducibility
def _mixed_batch(problem, **kw):
    T = 3000
    t = np.arange(1, T + 1, dtype=float)
    s = np.array([0.3, 0.5, 0.7])
    r = np.array([0.0, 0.5, 1.0])
    A = 0.5 * t[:, None] ** -s
    TH = 1.0 - 0.05 * t[:, None] ** -r
    rows = [(i, j, sd, mode, ams) for i in range(3) for j in range(3) for sd in (0, 1)
            for mode, ams in (("v0", None), ("torch", "torch"), ("v0", "reddi"))]
    n = len(rows)
    return run_batch(problem, A, np.full(T, 0.9), TH, alpha_row=[q[0] for q in rows],
                     theta_row=[q[1] for q in rows], seeds=[q[2] for q in rows],
                     eps_mode=[q[3] for q in rows], amsgrad=[q[4] for q in rows],
                     bias_correction=[q[3] == "torch" for q in rows], n=n, **kw), rows


def _same(a, b, perm=None):
    perm = np.arange(a.n) if perm is None else perm
    for k in ("x", "dist", "fgap", "gnorm", "regret", "grad43", "gradmin2"):
        np.testing.assert_array_equal(getattr(a, k)[:, perm], getattr(b, k), err_msg=k)
    np.testing.assert_array_equal(a.x_final[perm], b.x_final)


@pytest.mark.parametrize("name", ["reddi-sec5-stochastic", "nonconvex-separable"])
def test_bitwise_independent_of_split_threads_order(name):
    prob = cx.get(name)
    base, rows = _mixed_batch(prob, block=128, grad_metrics=False)
    small, _ = _mixed_batch(prob, block=5, grad_metrics=False)
    _same(base, small)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, _ = _mixed_batch(prob, block=3, grad_metrics=False)
    finally:
        numba.set_num_threads(old)
    _same(base, one)
    # permuted configurations: build the permuted batch explicitly
    T = 3000
    t = np.arange(1, T + 1, dtype=float)
    A = 0.5 * t[:, None] ** -np.array([0.3, 0.5, 0.7])
    TH = 1.0 - 0.05 * t[:, None] ** -np.array([0.0, 0.5, 1.0])
    perm = np.random.default_rng(0).permutation(len(rows))
    pr = [rows[k] for k in perm]
    res = run_batch(prob, A, np.full(T, 0.9), TH, alpha_row=[q[0] for q in pr],
                    theta_row=[q[1] for q in pr], seeds=[q[2] for q in pr],
                    eps_mode=[q[3] for q in pr], amsgrad=[q[4] for q in pr],
                    bias_correction=[q[3] == "torch" for q in pr], n=len(pr), block=4,
                    grad_metrics=False)
    _same(base, res, perm)


def test_same_seed_same_samples():
    prob = cx.get("reddi-sec5-stochastic")
    A, B, TH = _tables(5000)
    res = run_batch(prob, A, B, TH, seeds=[4, 9, 4], n=3, grad_metrics=False)
    np.testing.assert_array_equal(res.x[:, 0], res.x[:, 2])
    assert not np.array_equal(res.x[:, 0], res.x[:, 1])


# ----------------------------------------------------------------------- NaN / overflow
@pytest.mark.parametrize("path", ["scalar", "general"])
def test_nan_overflow_huge_steps_are_isolated(online, path):
    T = 2000
    t = np.arange(1, T + 1, dtype=float)
    A = np.stack([0.5 / np.sqrt(t), np.where(t == 50, np.nan, 0.5 / np.sqrt(t)),
                  np.where(t == 70, 1e200, 0.5 / np.sqrt(t))], axis=1)
    good = online.params
    prm = np.array([good, good, good, good * [np.nan, 1, 1], good * [1e200, 1, 1], good])
    rows = [0, 1, 2, 0, 0, 0]
    res = run_batch(online, A, np.full(T, 0.9), np.full(T, 0.99), alpha_row=rows, params=prm,
                    n=6, path=path, grad_metrics=(path == "general"))
    # flags: 0 ok, 1 NaN, 2 overflow
    np.testing.assert_array_equal(res.flag, [0, 1, 2, 1, 2, 0])
    np.testing.assert_array_equal(res.stop_step, [0, 50, 70, 1, 1, 0])
    labels = res.labels()
    assert list(labels[1:5]) == ["diverged"] * 4
    assert np.isfinite(res.x_final).all()  # the last good iterate is kept
    assert np.isnan(res.x[-1, 1:5]).all()
    alone = run_batch(online, A[:, :1], np.full(T, 0.9), np.full(T, 0.99), n=1, path=path,
                      grad_metrics=(path == "general"))
    np.testing.assert_array_equal(res.x[:, 0], alone.x[:, 0])
    np.testing.assert_array_equal(res.x[:, 5], alone.x[:, 0])
    assert labels[0] == labels[5] == alone.labels()[0]


def test_per_step_metrics(noisy):
    T = 2000
    A, B, TH = _tables(T, a0=0.1, th=0.999)
    res = run_batch(noisy, A, B, TH, seeds=1)
    assert res.grad43[-1, 0] > 0 and res.gradmin2[-1, 0] <= res.gnorm[0, 0] ** 2 + 1e-12
    assert np.all(np.diff(res.gradmin2[:, 0]) <= 0)
    off = run_batch(noisy, A, B, TH, seeds=1, grad_metrics=False)
    np.testing.assert_array_equal(res.x, off.x)
    assert np.isnan(off.grad43).all()
