"""Parameter-server simulator and its sweep plug-in: reduction to the single-machine engine
(bitwise), samples independent of the batch split, grouping invariance (bitwise), exact bit
accounting, validation, and the must-show numbers of Efficient-Adam with scaled sign.

Schedules reach the simulator as tables; ``family_tables`` builds the (lr, s, β, θ, r) family the
kernel used to compute itself, bit for bit equal to the formula in plain Python floats (libm pow).
A table shared through row indices equals one row per configuration, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import counterexamples as cx
from adamtheory.distributed import sweep_plugin as P
from adamtheory.distributed.compressors import get as compressor
from adamtheory.distributed.simulator import family_tables
from adamtheory.distributed.simulator import simulate as simulate_tables
from adamtheory.engine import run_batch


def _tables(T, lr, s, beta, theta, r):
    """The family in plain Python floats (``**`` on floats is libm's pow, as in the kernel)."""
    a = np.array([lr * float(t) ** (-s) for t in range(1, T + 1)])
    th = np.array([1.0 - theta * float(t) ** (-r) for t in range(1, T + 1)])
    return a, np.full(T, float(beta)), th


def simulate(problem, steps, seeds=0, *, lr=0.1, s=0.5, beta=0.9, theta=1.0, r=1.0, **kw):
    """The simulator on the (lr, s, β, θ, r) family (the form its tests were written in)."""
    A, B, TH = family_tables(steps, lr, s, beta, theta, r)
    return simulate_tables(problem, steps, seeds, alpha=A, beta=B, theta=TH, **kw)


def test_family_tables_are_the_formula_bitwise():
    """family_tables = (lr t^-s, β, 1 - θ t^-r) computed in Python floats, bit for bit, per row;
    numpy's vectorized power may differ in the last bit, which is why the tables are built by
    the compiled expression."""
    lr, s, th, r = [0.1, 0.05, 0.3], [0.5, 0.37, 1.3], [1.0, 0.1, 0.73], [1.0, 0.5, 2.2]
    A, B, TH = family_tables(2000, lr, s, 0.9, th, r)
    assert A.shape == B.shape == TH.shape == (3, 2000)
    for i in range(3):
        a, b, t = _tables(2000, lr[i], s[i], 0.9, th[i], r[i])
        np.testing.assert_array_equal(A[i], a)
        np.testing.assert_array_equal(B[i], b)
        np.testing.assert_array_equal(TH[i], t)


def test_shared_rows_equal_one_row_per_configuration_bitwise():
    p = cx.get("nonconvex-separable", d=3, sigma=0.5)
    A, B, TH = family_tables(300, [0.1, 0.03], [0.5, 0.3], 0.9, [0.1, 1.0], [0.5, 1.0])
    row = np.array([1, 0, 1, 1])
    kw = dict(workers=[1, 2, 3, 2], placement=["worker-adam", "server-adam"] * 2,
              compressor="scaled_sign", ef_worker=True, checkpoints=[10, 300])
    shared = simulate_tables(p, 300, [0, 1, 2, 3], alpha=A, beta=B, theta=TH, alpha_row=row,
                             beta_row=row, theta_row=row, **kw)
    full = simulate_tables(p, 300, [0, 1, 2, 3], alpha=A[row], beta=B[row], theta=TH[row], **kw)
    for k in shared:
        np.testing.assert_array_equal(shared[k], full[k], err_msg=k)
    other = simulate_tables(p, 300, [0, 1, 2, 3], alpha=A[row[::-1]], beta=B[row],
                            theta=TH[row], **kw)
    assert not np.array_equal(other["x1"], full["x1"])               # the rows are read


def test_schedule_tables_are_checked():
    p = cx.get("nonconvex-separable", d=3, sigma=0.5)
    A, B, TH = family_tables(50, [0.1, 0.2])
    for kw, word in [(dict(alpha=A[:, :40]), "alpha must be a table"),
                     (dict(theta=0.9), "theta must be a table"),
                     (dict(beta=np.vstack([B, B])), "alpha has 2 rows for 4 configurations"),
                     (dict(alpha_row=[0, 2]), "alpha_row out of range")]:
        args = dict(alpha=A, beta=B, theta=TH) | kw
        with pytest.raises(ValueError, match=word) as e:
            simulate_tables(p, 50, [0, 1], **args)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("placement", ["server-adam", "worker-adam"])
def test_single_worker_identity_is_the_engine_bitwise(placement):
    """N = b = 1, identity64, no EF: both placements are Generic Adam, bit for bit the engine's
    run_batch (sample 0 of a round uses the run seed itself)."""
    p = cx.get("nonconvex-separable", d=5, sigma=0.7)
    T, ck = 3000, np.array([1, 10, 100, 1000, 3000])
    seeds = np.array([0, 3, 12345])
    a, b, th = _tables(T, 0.05, 0.5, 0.9, 0.1, 0.5)
    ref = run_batch(p, a, b, th, eps=1e-8, seeds=seeds, checkpoints=ck, grad_metrics=False,
                    regret=False)
    out = simulate(p, T, seeds, lr=0.05, s=0.5, beta=0.9, theta=0.1, r=0.5, eps=1e-8,
                   placement=placement, checkpoints=ck)
    np.testing.assert_array_equal(out["fgap"], ref.fgap.T)
    np.testing.assert_array_equal(out["gnorm"], ref.gnorm.T)
    np.testing.assert_array_equal(out["x1"][:, -1], ref.x_final[:, 0])
    np.testing.assert_array_equal(out["x2"][:, -1], ref.x_final[:, 1])


def test_logreg_single_worker_is_the_engine_bitwise():
    p = cx.get("logreg-nonconvex", lam=0.1, batch=1)
    T, ck = 300, np.array([50, 300])
    a, b, th = _tables(T, 0.05, 0.5, 0.9, 1.0, 1.0)
    ref = run_batch(p, a, b, th, eps=1e-8, seeds=[4], checkpoints=ck, grad_metrics=False)
    out = simulate(p, T, [4], lr=0.05, checkpoints=ck)
    np.testing.assert_array_equal(out["fgap"], ref.fgap.T)


def test_batch_split_sees_the_same_samples():
    """(N, b) = (1, 8), (2, 4), (4, 2), (8, 1) average the same 8 samples each round: with
    identity64 and no EF their runs agree up to the rounding of the two-level average."""
    p = cx.get("nonconvex-separable", d=3, sigma=1.0)
    N = np.array([1, 2, 4, 8])
    out = simulate(p, 500, 7, workers=N, batch=8 // N, checkpoints=[100, 500])
    for k in ("fgap", "x1", "x2"):
        np.testing.assert_allclose(out[k], np.broadcast_to(out[k][:1], out[k].shape),
                                   rtol=1e-9, atol=1e-12)
    other = simulate(p, 500, 8, workers=4, batch=2, checkpoints=[100, 500])
    assert not np.allclose(other["x1"], out["x1"][2])          # another seed differs


def _settings(n, rng):
    comp = rng.choice(["identity64", "scaled_sign", "topk", "qsgd", "randk", "bf16"], n)
    return {
        "problem": rng.choice(["nonconvex-separable", "ef-least-squares"], n),
        "d": rng.choice([3, 4], n).astype(np.int64),
        "sigma": rng.uniform(0.1, 1.0, n),
        "workers": rng.choice([1, 2, 3], n).astype(np.int64),
        "batch": rng.choice([1, 2], n).astype(np.int64),
        "compressor": comp,
        "downlink": rng.choice(["same", "identity32"], n),
        "k": rng.choice([1, 2], n).astype(np.int64),
        "placement": rng.choice(list(P.PLACEMENTS), n),
        "ef_worker": rng.random(n) < 0.5,
        "ef_server": rng.random(n) < 0.5,
        "lr": rng.uniform(0.01, 0.1, n),
        "target": np.full(n, 0.3),
    }


def test_compute_is_independent_of_grouping_bitwise():
    """One call equals two shuffled halves, bit for bit (the runner chunks freely)."""
    rng = np.random.default_rng(5)
    n = 24
    st = _settings(n, rng)
    seeds = rng.integers(0, 5, n)
    ck = np.array([5, 50, 200])
    whole = P.compute(st, seeds, 200, ck)
    perm = rng.permutation(n)
    parts = [perm[: n // 2], perm[n // 2:]]
    got = {k: np.full_like(v, np.nan) for k, v in whole.items()}
    for idx in parts:
        res = P.compute({k: v[idx] for k, v in st.items()}, seeds[idx], 200, ck)
        for k in got:
            got[k][idx] = res[k]
    for k in whole:
        np.testing.assert_array_equal(got[k], whole[k], err_msg=k)
    assert set(whole) == set(P.METRICS) | set(P.FINALS)
    assert whole["gnorm"].shape == (n, 3) and whole["iters_to_target"].shape == (n,)


def test_bits_are_counted_per_round_and_worker():
    p = cx.get("nonconvex-separable", d=20, sigma=0.1)
    out = simulate(p, 100, 0, workers=[1, 3], compressor="topk", downlink="scaled_sign", k=4,
                   placement="worker-adam", ef_worker=True, ef_server=True,
                   checkpoints=[10, 100])
    up, down = compressor("topk", k=4).bits(20), compressor("scaled_sign").bits(20)
    np.testing.assert_array_equal(out["bits_up"], [[10 * up, 100 * up], [30 * up, 300 * up]])
    np.testing.assert_array_equal(out["bits_down"],
                                  [[10 * down, 100 * down], [30 * down, 300 * down]])


def test_iters_to_target_definition():
    """iters_to_target is an evaluated step at which gnorm_avg < target, and every later
    checkpoint has gnorm_avg < target; NaN when the last one is above."""
    p = cx.get("nonconvex-separable", d=4, sigma=0.5)
    ck = np.arange(1, 2001)
    out = simulate(p, 2000, [0, 1], workers=[8, 1], lr=0.1, target=[0.3, 1e-6],
                   checkpoints=ck)
    it = out["iters_to_target"]
    assert np.isfinite(it[0]) and np.isnan(it[1])
    g = out["gnorm_avg"][0]
    assert g[int(it[0]) - 1] < 0.3 and np.all(g[int(it[0]) - 1:] < 0.3)
    assert np.any(g[: int(it[0]) - 1] >= 0.3)


def test_validate_one_line_errors():
    P.validate({})
    for bad, match in [({"workers": 0}, "workers"), ({"beta": 1.0}, "beta"),
                       ({"placement": "worker-adam", "compressor": "sign"}, "scaled_sign"),
                       ({"compressor": "sign"}, "downlink"), ({"ef_eps": 1.5}, "ef_eps"),
                       ({"theta": 2.0}, "theta")]:
        with pytest.raises(ValueError, match=match) as e:
            P.validate(bad)
        assert "\n" not in str(e.value)
    P.validate({"compressor": "sign", "downlink": "identity64"})


def test_plugin_declares_the_protocol():
    assert P.NAME == "distributed"
    for k in ("problem", "sigma", "d", "workers", "batch", "compressor", "placement",
              "ef_worker", "ef_server", "lr", "s", "beta", "theta", "r", "target"):
        assert k in P.PARAMS
    assert {"gnorm", "fgap", "bits_up", "bits_down"} <= set(P.METRICS)
    assert "iters_to_target" in P.FINALS
    for kind, default, help_ in P.PARAMS.values():
        assert kind in ("int", "float", "bool") or default in kind


def test_iters_to_target_does_not_depend_on_checkpoints():
    p = cx.get("nonconvex-separable", d=4, sigma=1.0)
    a = simulate(p, 2000, [0, 1, 2], workers=4, target=0.3, checkpoints=[500, 1000, 2000])
    b = simulate(p, 2000, [0, 1, 2], workers=4, target=0.3, checkpoints=[7, 77, 2000])
    np.testing.assert_array_equal(a["iters_to_target"], b["iters_to_target"])
    np.testing.assert_array_equal(a["gnorm_avg"][:, -1], b["gnorm_avg"][:, -1])
