"""The federated simulator against plain reference loops, its data, and its determinism.

- every algorithm's numba kernel equals the pure-numpy loops of ``federated.reference`` on small
  least-squares and digits cases (loss, gradient norm and drift of every round, relative 1e-12);
- the least-squares global optimum is the closed form (gradient zero there, f* matches);
- the Dirichlet partition is a partition, skews labels more for smaller alpha, IID for alpha = 0;
- computing configurations in one call equals computing them in two shuffled halves, bitwise;
- bad settings raise InputError with one line.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamtheory.errors import InputError
from adamtheory.federated import kernels as kn
from adamtheory.federated.data import digits, dirichlet_partition, heterogeneous_lsq, label_skew
from adamtheory.federated.reference import _loss_grad, reference_run
from adamtheory.federated.simulator import _arrays, compute, defaults, run, validate


def _ref_metrics(problem, X, y, offsets, xs, l2, C=10):
    M = len(offsets) - 1
    loss, gn = [], []
    for x in xs:
        f, g = l2 / 2 * x @ x, l2 * x
        for i in range(M):
            fi, gi = _loss_grad(problem, X[offsets[i]:offsets[i + 1]], y[offsets[i]:offsets[i + 1]],
                                x, C)
            f, g = f + fi / M, g + gi / M
        loss.append(f)
        gn.append(np.linalg.norm(g))
    return np.array(loss), np.array(gn)


CASES = [(alg, B, True) for alg in kn.ALGORITHMS for B in (0, 3)]
CASES += [("fedlada", 3, False), ("local-adam", 0, False)]


@pytest.mark.parametrize("alg,B,carry", CASES)
def test_kernel_equals_reference_lsq(alg, B, carry):
    M, n, d, S, K, R, seed = 5, 7, 4, 3, 4, 6, 3
    kw = dict(lr_local=0.05 if alg not in ("fedlada", "local-adam") else 0.02,
              lr_global=0.7 if alg != "fedadam" else 0.05, a=0.3, beta1=0.8, beta2=0.95)
    eps = 1e-3 if alg == "fedadam" else 1e-8
    P = heterogeneous_lsq(M, n, d, 1.5, 0.3, seed)
    xs, drift = reference_run(alg, P["A"], P["b"], np.arange(M + 1) * n, "lsq", S, K, B,
                              rounds=R, seed=seed, eps=eps, carry_v=carry, **kw)
    loss, gn = _ref_metrics("lsq", P["A"], P["b"], np.arange(M + 1) * n, xs, 0.0)
    out = run(alg, "lsq", rounds=R, seeds=[seed], M=M, S=S, K=K, batch=B, dim=d, n_local=n,
              zeta=1.5, noise=0.3, carry_v=carry, **kw)
    np.testing.assert_allclose(out["loss"][0], loss, rtol=1e-12)
    np.testing.assert_allclose(out["gap"][0], loss - P["fstar"], rtol=1e-8)
    np.testing.assert_allclose(out["gnorm"][0], gn, rtol=1e-12)
    np.testing.assert_allclose(out["drift"][0], drift, rtol=1e-12)
    assert np.all(np.isnan(out["accuracy"]))


@pytest.mark.parametrize("alg", kn.ALGORITHMS)
def test_kernel_equals_reference_digits(alg):
    M, S, K, B, R, seed, alpha, l2 = 12, 4, 3, 5, 4, 1, 0.3, 1e-3
    kw = dict(lr_local=0.3 if alg not in ("fedlada", "local-adam") else 0.01,
              lr_global=1.0 if alg != "fedadam" else 0.03, a=0.6)
    X0, y0 = digits()
    rows, off = dirichlet_partition(y0, M, alpha, seed)
    X, y = X0[rows], y0[rows]
    eps = 1e-3 if alg == "fedadam" else 1e-8
    xs, drift = reference_run(alg, X, y, off, "digits", S, K, B, rounds=R, seed=seed, eps=eps,
                              l2=l2, **kw)
    loss, gn = _ref_metrics("digits", X, y, off, xs, l2)
    acc = [np.mean(np.argmax(X @ x.reshape(10, -1).T, axis=1) == y) for x in xs]
    out = run(alg, "digits", rounds=R, seeds=[seed], M=M, S=S, K=K, batch=B, alpha=alpha, **kw)
    np.testing.assert_allclose(out["loss"][0], loss, rtol=1e-12)
    np.testing.assert_allclose(out["gnorm"][0], gn, rtol=1e-12)
    np.testing.assert_allclose(out["drift"][0], drift, rtol=1e-12)
    np.testing.assert_array_equal(out["accuracy"][0], acc)


def test_lsq_optimum_is_closed_form():
    P = heterogeneous_lsq(6, 9, 5, 2.0, 0.4, seed=7, l2=0.01)
    M, n = 6, 9
    loss, g = 0.5 * 0.01 * P["xstar"] @ P["xstar"], 0.01 * P["xstar"]
    for i in range(M):
        f, gi = _loss_grad("lsq", P["A"][i * n:(i + 1) * n], P["b"][i * n:(i + 1) * n],
                           P["xstar"], 0)
        loss, g = loss + f / M, g + gi / M
    assert np.linalg.norm(g) <= 1e-12 * (1 + np.abs(P["b"]).max())
    assert loss == pytest.approx(P["fstar"], rel=1e-12)
    # heterogeneity: client optima differ by zeta * N(0, 1) per coordinate around a common centre
    spread = np.std(P["client_optima"], axis=0).mean()
    assert 1.0 < spread < 3.0


@settings(max_examples=15)
@given(M=st.integers(2, 60), alpha=st.sampled_from([0.0, 0.05, 0.1, 0.5, 1.0, 10.0]),
       seed=st.integers(0, 2 ** 31))
def test_partition_is_a_partition(M, alpha, seed):
    _, y = digits()
    rows, off = dirichlet_partition(y, M, alpha, seed)
    assert sorted(rows.tolist()) == list(range(y.size))
    sizes = np.diff(off)
    assert off[0] == 0 and off[-1] == y.size and sizes.max() - sizes.min() <= 1


def test_label_skew_orders_with_alpha():
    _, y = digits()
    skew = {a: np.mean([label_skew(y, *dirichlet_partition(y, 20, a, s)) for s in range(3)])
            for a in (0.0, 0.1, 1.0)}
    assert skew[0.0] < 0.2 < skew[1.0] < skew[0.1]
    assert skew[0.1] > 0.6   # near one or two classes per client (1 - 1/C = 0.9 at the limit)


def _settings(n, rng):
    cfgs = []
    for q in range(n):
        prob = ["lsq", "digits"][q % 2]
        cfgs.append(defaults(algorithm=kn.ALGORITHMS[q % 6], problem=prob, M=int(rng.integers(4, 9)),
                             S=int(rng.integers(1, 4)), K=int(rng.integers(1, 4)),
                             batch=int(rng.integers(0, 4)), dim=int(rng.choice([3, 5])),
                             n_local=6, alpha=float(rng.choice([0.0, 0.1, 1.0])),
                             lr_local=float(rng.choice([0.01, 0.05])),
                             lr_global=float(rng.choice([0.05, 1.0]))))
    return cfgs


def test_grouping_invariance_bitwise():
    rng = np.random.default_rng(5)
    cfgs = _settings(14, rng)
    seeds = rng.integers(0, 1000, size=14)
    ck = np.array([1, 3, 6])
    full = compute(_arrays(cfgs), seeds, 6, ck)
    perm = rng.permutation(14)
    halves = [perm[:6], perm[6:]]
    parts = [compute(_arrays([cfgs[i] for i in h]), seeds[h], 6, ck) for h in halves]
    for key, val in full.items():
        got = np.empty_like(val)
        for h, p in zip(halves, parts):
            got[h] = p[key]
        np.testing.assert_array_equal(got, val, err_msg=key)


def test_seed_reproducible_and_matters():
    a = run("fedlada", "lsq", rounds=10, seeds=[1, 2], M=8, S=3, K=2, lr_local=0.02)
    b = run("fedlada", "lsq", rounds=10, seeds=[1, 2], M=8, S=3, K=2, lr_local=0.02)
    np.testing.assert_array_equal(a["loss"], b["loss"])
    assert not np.array_equal(a["loss"][0], a["loss"][1])


@pytest.mark.parametrize("kw,word", [
    (dict(S=30, M=20), "S = 30"), (dict(a=1.5), "a = 1.5"), (dict(K=0), "K = 0"),
    (dict(lr_local=-1.0), "lr_local"), (dict(beta2=1.0), "beta2"), (dict(alpha=-0.1), "alpha"),
    (dict(batch=-2), "batch"), (dict(eps=0.0), "eps")])
def test_validate_rejects(kw, word):
    with pytest.raises(InputError) as e:
        validate(defaults(**kw))
    assert word in str(e.value) and "\n" not in str(e.value)


@settings(max_examples=10)
@given(alg=st.sampled_from(["fedlada", "fedcm"]), S=st.integers(1, 6), K=st.integers(1, 4),
       seed=st.integers(0, 1000))
def test_no_drift_without_local_part(alg, S, K, seed):
    """a = 0: every client moves along the same offset g_a, so the drift is exactly 0; with
    S = 1 there is nothing to drift from."""
    out = run(alg, "lsq", rounds=4, seeds=[seed], M=6, S=S, K=K, a=0.0, lr_local=0.02)
    assert np.all(out["drift"] == 0.0)
    out = run("scaffold", "lsq", rounds=3, seeds=[seed], M=6, S=1, K=K, lr_local=0.02)
    assert np.all(out["drift"] == 0.0)


def test_local_adam_is_fedlada_without_amendment():
    kw = dict(rounds=6, seeds=[3], M=8, S=3, K=4, lr_local=0.03, zeta=2.0)
    la = run("local-adam", "lsq", a=0.2, **kw)
    lada = run("fedlada", "lsq", a=1.0, **kw)
    for key in ("loss", "gnorm", "drift"):
        np.testing.assert_array_equal(la[key], lada[key])
    other = run("fedlada", "lsq", a=0.5, **kw)
    assert not np.array_equal(other["loss"], la["loss"])


def test_adam_steps_are_the_documented_formulas():
    """The reference's (and kernel's) calls of the shared update compute the formulas of
    docs/federated.md: FedLADA a·m/sqrt(max(V, v)) with v_0 = ε² and no ε in the step, FedAdam
    η_g m/(sqrt(v) + ε); relative 1e-15 (the update's evaluation order). A wrong ε placement
    (FedAdam in the v_0 form) is caught by the same comparison."""
    from adamtheory.engine.codes import AMS_NONE, AMS_TORCH, EPS_TORCH, EPS_V0
    from adamtheory.federated.reference import adam_np

    rng = np.random.default_rng(0)
    g, m, v = rng.normal(size=200), rng.normal(size=200), rng.uniform(0, 1e-4, 200)
    vh = v + rng.uniform(0, 1e-4, 200) * (rng.random(200) < 0.5)
    a, b1, b2, eps, eta = 0.3, 0.9, 0.99, 1e-3, 0.05
    m1, v1 = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    V = np.maximum(vh, v1)
    got = adam_np(g, m, v, vh, a, b1, b2, 1.0, 1.0, EPS_V0, AMS_TORCH, 0.0, 0.0)
    for x, y in zip(got, (m1, v1, V, a * m1 / np.sqrt(V))):
        np.testing.assert_allclose(x, y, rtol=1e-15, atol=0)
    vs1 = b2 * vh + (1 - b2) * g * g
    ms1 = b1 * m + (1 - b1) * g
    got = adam_np(g, m, vh, vh, eta, b1, b2, 1.0, 1.0, EPS_TORCH, AMS_NONE, eps, 0.0)
    np.testing.assert_allclose(got[3], eta * ms1 / (np.sqrt(vs1) + eps), rtol=1e-15, atol=0)
    wrong = adam_np(g, m, vh, vh, eta, b1, b2, 1.0, 1.0, EPS_V0, AMS_NONE, eps, 0.0)[3]
    assert np.max(np.abs(wrong / got[3] - 1)) > 1e-2


@pytest.mark.parametrize("alg,problem", [("fedavg", "lsq"), ("fedlada", "lsq"),
                                         ("scaffold", "digits")])
def test_rounds_to_target_is_the_first_round_at_target(alg, problem):
    # The kernel evaluates the global objective every round only until the target is met (then
    # at the checkpoints): the first such round must be the one the every-round metrics show,
    # and the other results must be those of the same run without a target, bitwise.
    kw = dict(M=6, S=3, K=2, rounds=40, seeds=[4, 9])
    every = run(alg, problem, **kw)
    err = every["gap"] if problem == "lsq" else every["loss"]
    target = float(np.max(err[:, 25]))   # met by round 26 by both seeds
    want = [float(np.argmax(e <= target) + 1) for e in err]
    ck = [10, 40]
    assert max(want) > 10 and not set(want) & set(ck)
    got = run(alg, problem, checkpoints=ck, target=target, **kw)
    np.testing.assert_array_equal(got["rounds_to_target"], want)
    plain = run(alg, problem, checkpoints=ck, **kw)
    for key, val in plain.items():
        if key != "rounds_to_target":
            np.testing.assert_array_equal(got[key], val, err_msg=key)


@settings(max_examples=60, deadline=None)
@given(C=st.integers(1, 12), p=st.integers(1, 70), seed=st.integers(0, 2**32 - 1),
       spread=st.sampled_from([0.0, 8.0, 30.0]))
def test_logits_are_added_in_order_of_the_features(C, p, seed, spread):
    """The kernel's logits, four classes at a time, equal one class at a time with the features
    added in order, bit for bit (values over 10^±spread make the order show in the bits)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, p)) * 10.0 ** rng.uniform(-spread, spread, (3, p))
    w = rng.standard_normal(C * p) * 10.0 ** rng.uniform(-spread, spread, C * p)
    z = np.full(C, np.nan)
    kn.logits(X, 1, w, C, p, z)
    ref = []
    for c in range(C):
        s = 0.0
        for j in range(p):
            s += float(w[c * p + j]) * float(X[1, j])
        ref.append(s)
    np.testing.assert_array_equal(z, np.array(ref))
