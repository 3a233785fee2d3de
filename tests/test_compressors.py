"""Compressors: declared contraction factors / variance bounds hold, bit counts are exact
(every message is encoded, decoded back to Q(x), and its length compared with bits(d)), and
the casts agree with numpy / torch rounding."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from adamtheory.distributed import compressors as C

# finite floats whose magnitudes stay inside the normal range of float32 (or are 0), so that
# every declared factor applies (the casts' δ is declared for the normal range only)
coord = st.one_of(st.just(0.0), st.floats(min_value=1e-30, max_value=1e30).flatmap(
    lambda v: st.sampled_from([v, -v])))
vectors = st.lists(coord, min_size=1, max_size=40).map(np.array).filter(lambda x: np.any(x != 0))
half_coord = st.one_of(st.just(0.0), st.floats(min_value=6.2e-5, max_value=6.0e4).flatmap(
    lambda v: st.sampled_from([v, -v])))
half_vectors = st.lists(half_coord, min_size=1, max_size=40).map(np.array).filter(
    lambda x: np.any(x != 0))


def exact_sq(v) -> Fraction:
    return sum((Fraction(float(a)) ** 2 for a in v), Fraction(0))


def exact_err(q, x) -> Fraction:
    return sum(((Fraction(float(a)) - Fraction(float(b))) ** 2 for a, b in zip(q, x)),
               Fraction(0))


@pytest.mark.parametrize("name", ["identity64", "identity32", "bf16", "scaled_sign", "topk"])
@given(x=vectors, k=st.integers(1, 50))
def test_deterministic_contraction_exact(name, x, k):
    """||Q(x) - x||² <= (1 - δ)||x||², evaluated in exact rational arithmetic (no slack)."""
    q = C.get(name, k=k)
    d = x.size
    delta = Fraction(q.delta(d, x) if name == "scaled_sign" else q.delta(d))
    assert exact_err(q.apply(x), x) <= (1 - delta) * exact_sq(x)


@given(x=half_vectors)
def test_fp16_contraction_exact(x):
    q = C.get("fp16")
    assert exact_err(q.apply(x), x) <= (1 - Fraction(q.delta(x.size))) * exact_sq(x)


@given(x=vectors)
def test_sign_is_not_a_contraction_but_scaled_sign_is(x):
    """sign declares no δ; scaled sign's data-dependent δ is at least its worst case 1/d."""
    assert C.get("sign").delta(x.size) is None
    q = C.get("scaled_sign")
    assert q.delta(x.size, x) >= q.delta(x.size) * (1 - 1e-12)


def test_sign_fails_contraction_on_a_small_vector():
    x = np.full(4, 0.01)
    assert np.sum((C.get("sign").apply(x) - x) ** 2) > np.sum(x ** 2)


@pytest.mark.parametrize("name", C.NAMES)
@given(x=vectors, k=st.integers(1, 12), s=st.integers(1, 9), seed=st.integers(0, 2**31),
       t=st.integers(1, 10**6))
def test_bits_are_exact(name, x, k, s, seed, t):
    """The encoding decodes to Q(x) exactly and its length is bits(d)."""
    q = C.get(name, k=k, s=s)
    bits = C.encode(q, x, seed, t, 7)
    assert set(bits) <= {"0", "1"}
    assert len(bits) == q.bits(x.size)
    got = C.decode(q, bits, x.size, seed, t, 7)
    np.testing.assert_array_equal(got, q.apply(x, seed, t, 7))


def test_bits_closed_forms():
    d = 100
    assert C.get("identity64").bits(d) == 6400 and C.get("identity32").bits(d) == 3200
    assert C.get("fp16").bits(d) == C.get("bf16").bits(d) == 1600
    assert C.get("sign").bits(d) == 100 and C.get("scaled_sign").bits(d) == 132
    assert C.get("topk", k=5).bits(d) == 5 * (32 + 7)
    assert C.get("randk", k=5).bits(d) == 160
    assert C.get("qsgd", s=4).bits(d) == 32 + 100 * (1 + 3)
    assert C.get("topk", k=1).bits(1) == 32            # one index of 0 bits


@given(st.lists(st.floats(min_value=-1e38, max_value=1e38), min_size=1, max_size=30))
def test_casts_match_numpy(vals):
    x = np.array(vals)
    np.testing.assert_array_equal(C.get("identity32").apply(x), x.astype(np.float32))
    with np.errstate(over="ignore"):                      # numpy warns when it overflows to inf
        ref16 = x.astype(np.float16).astype(float)
    np.testing.assert_array_equal(C.get("fp16").apply(x), ref16)


@given(st.lists(st.floats(min_value=-1e38, max_value=1e38), min_size=1, max_size=30))
def test_bf16_cast_matches_torch(vals):
    torch = pytest.importorskip("torch")  # the test extra; the rest of the file runs without it
    x = np.array(vals)
    x32 = x.astype(np.float32).astype(np.float64)          # bf16 from float32 (single rounding)
    ref = torch.tensor(x32, dtype=torch.float32).to(torch.bfloat16).to(torch.float64).numpy()
    np.testing.assert_array_equal(C.get("bf16").apply(x32), ref)


def test_topk_keeps_the_largest_and_rounds_to_float32():
    x = np.array([0.1, -5.0, 3.0, 3.0, 1.0 / 3.0])
    got = C.get("topk", k=2).apply(x)
    np.testing.assert_array_equal(got, [0, -5.0, np.float32(3.0), 0, 0])


def _mc(name, x, k=1, s=4, n=20000):
    q = C.get(name, k=k, s=s)
    return np.array([q.apply(x, seed=11, t=t, stream=3) for t in range(1, n + 1)])


def test_randk_contraction_in_expectation():
    """E||Q(x)-x||² <= (1 - δ)||x||²: one-sided test at z = Φ^-1(1 - 1e-6) standard errors,
    and every coordinate is kept with frequency k/d (two-sided, Bonferroni)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(12)
    k, n = 3, 20000
    Q = _mc("randk", x, k=k, n=n)
    err = np.sum((Q - x) ** 2, axis=1)
    z = norm.isf(1e-6)
    bound = (1 - C.get("randk", k=k).delta(12)) * x @ x
    assert err.mean() <= bound + z * err.std(ddof=1) / math.sqrt(n)
    assert np.all(np.count_nonzero(Q, axis=1) == k)
    freq = (Q != 0).mean(axis=0)
    p = k / 12
    assert np.all(np.abs(freq - p) <= norm.isf(1e-6 / 24) * math.sqrt(p * (1 - p) / n))


@pytest.mark.parametrize("s", [1, 4])
def test_qsgd_unbiased_and_variance_bound(s):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(16) * np.array([10.0] + [1.0] * 15)
    n = 20000
    Q = _mc("qsgd", x, s=s, n=n)
    d = x.size
    zc = norm.isf(1e-6 / (2 * d))
    se = Q.std(axis=0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(Q.mean(axis=0) - x) <= zc * se + 1e-12)
    err = np.sum((Q - x) ** 2, axis=1)
    omega = C.get("qsgd", s=s).omega(d)
    assert err.mean() <= omega * (x @ x) + norm.isf(1e-6) * err.std(ddof=1) / math.sqrt(n)
    # and the bound is not vacuous here: the measured variance is at least a tenth of it
    assert err.mean() >= 0.1 * omega * (x @ x)


@given(x=vectors, s=st.integers(1, 16), seed=st.integers(0, 1000))
def test_qsgd_levels_within_range(x, s, seed):
    q = C.get("qsgd", s=s)
    v = q.apply(x, seed=seed)
    r = C.qsgd_scale(x)
    assert r >= np.max(np.abs(x)) and r <= math.sqrt(exact_sq(x)) * (1 + 2.0 ** -20)
    assert np.all(np.abs(v) <= r * (1 + 1e-15))
    assert np.all((np.sign(v) == np.sign(x)) | (v == 0))


def test_unknown_compressor_is_one_line():
    with pytest.raises(ValueError, match="did you mean 'topk'"):
        C.get("top-k")
