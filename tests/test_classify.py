"""The run classifier (adamtheory.engine.classify) on constructed trajectories.

Every case builds a :class:`~adamtheory.engine.BatchResult` by hand (no engine run): a 1-d
iterate trace at log-spaced checkpoints, its distance to x*, f - f* and the projected-gradient
norm, for a problem described only by what the classifier reads (x*, f*, the box). Thresholds
are taken from the module, so a boundary case sits just inside or just outside the documented
rule, relative to the domain scale D.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adamtheory.engine import FLAG_NAMES, BatchResult, default_checkpoints
from adamtheory.engine.classify import classify
from adamtheory.engine.codes import FLAG_OK

C = importlib.import_module("adamtheory.engine.classify")  # (engine.classify is also a function)

T = 10_000
STEPS = default_checkpoints(T)  # 1 .. T, log-spaced: checkpoints back to T/100 exist
NAN_FLAG = next(k for k, v in FLAG_NAMES.items() if v == "nan")


def problem(x_star=0.0, f_star=0.0, box=None):
    """What the classifier reads of a 1-d problem (x*, f*, box)."""
    lo, hi = (-np.inf, np.inf) if box is None else box
    return SimpleNamespace(dim=1, x_star=None if x_star is None else np.array([x_star]),
                           f_star=f_star, bounded=box is not None, lower=np.array([lo]),
                           upper=np.array([hi]))


def result(prob, traces, x0, fgap=None, pgnorm=None, flag=None, steps=STEPS):
    """A BatchResult of 1-d runs: ``traces`` (k, n) iterates at ``steps``."""
    x = np.asarray(traces, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    k, n = x.shape
    xs = 0.0 if prob.x_star is None else prob.x_star[0]
    dist = np.abs(x - xs) if prob.x_star is not None else np.full_like(x, np.nan)
    fgap = (x - xs) ** 2 if fgap is None else np.asarray(fgap, dtype=float).reshape(k, n)
    pgnorm = np.abs(x - xs) if pgnorm is None else np.asarray(pgnorm, dtype=float).reshape(k, n)
    flag = np.full(n, FLAG_OK, np.int8) if flag is None else np.asarray(flag, np.int8)
    nan = np.full_like(x, np.nan)
    return BatchResult(steps=np.asarray(steps), x=x, dist=dist, fgap=fgap, gnorm=pgnorm,
                       pgnorm=pgnorm, regret=nan, grad43=nan, gradmin2=nan,
                       x_final=x[-1][:, None].copy(), flag=flag,
                       stop_step=np.zeros(n, np.int64),
                       x0=np.broadcast_to(np.asarray(x0, float).reshape(-1, 1), (n, 1)).copy(),
                       problem=prob)


def label(prob, trace, x0, **kw) -> str:
    out = classify(result(prob, trace, x0, **kw))
    assert out.shape == (1,)
    return str(out[0])


t = STEPS.astype(float)
W0 = STEPS[STEPS >= T // 10][0]  # the first checkpoint of "the last decade"


# ---------------------------------------------------------------------- with x*
def test_converging_run_is_converged():
    # x_t = x0 / sqrt(t): dist_T = 0.01 D <= CONVERGED_TOL D, and falling
    assert label(problem(), 2.0 / np.sqrt(t), 2.0) == C.CONVERGED


@pytest.mark.parametrize("side, expect", [(-1, C.CONVERGED), (+1, C.UNDECIDED)])
def test_converged_tolerance_boundary(side, expect):
    # D = |x0 - x*| = 4; the run settles at CONVERGED_TOL * D (1 ± 1e-3): in or out
    D, x0 = 4.0, 4.0
    end = C.CONVERGED_TOL * D * (1 + side * 1e-3)
    trace = np.where(t < T / 100, x0, end)
    assert label(problem(), trace, x0) == expect


@pytest.mark.parametrize("rise, expect", [(0.5, C.CONVERGED), (2.0, C.UNDECIDED)])
def test_converged_needs_a_distance_that_does_not_increase(rise, expect):
    # close to x* at the end, but the distance rose over the last decade by `rise` · SLACK · D
    D = 10.0
    start = 0.01 * D
    end = start + rise * C.CONVERGED_SLACK * D
    assert end <= C.CONVERGED_TOL * D
    trace = np.where(t <= W0, start, end)
    assert label(problem(), trace, D) == expect


def test_settled_far_from_the_optimum_is_stuck():
    # the Reddi picture: x* = -1 on [-1, 1], the iterate settles at +1 (dist = D)
    prob = problem(x_star=-1.0, box=(-1.0, 1.0))
    trace = np.where(t < 100, 0.0, 1.0)
    assert label(prob, trace, 0.0) == C.STUCK


@pytest.mark.parametrize("side, expect", [(+1, C.STUCK), (-1, C.UNDECIDED)])
def test_stuck_distance_boundary(side, expect):
    D = 2.0  # box [-1, 1]
    prob = problem(x_star=-1.0, box=(-1.0, 1.0))
    where = -1.0 + C.STUCK_FAR * D * (1 + side * 1e-3)
    trace = np.where(t < 100, 0.5, where)
    assert label(prob, trace, 0.5) == expect


@pytest.mark.parametrize("move, expect", [(0.9, C.STUCK), (1.1, C.UNDECIDED)])
def test_stuck_needs_a_settled_iterate(move, expect):
    # far from x*, but over the last decade the iterate moves by `move` · STUCK_MOVE · D
    D = 2.0
    prob = problem(x_star=-1.0, box=(-1.0, 1.0))
    amp = move * C.STUCK_MOVE * D
    wiggle = np.where(np.arange(t.size) % 2 == 0, amp, 0.0)
    trace = 0.5 + np.where(t >= T / 10, wiggle, 0.0)
    trace[-1] = 0.5
    assert label(prob, trace, 0.5) == expect


def test_engine_flag_is_diverged():
    trace = 1.0 / np.sqrt(t)  # would be converged
    assert label(problem(), trace, 1.0) == C.CONVERGED
    assert label(problem(), trace, 1.0, flag=[NAN_FLAG]) == C.DIVERGED


def test_non_finite_final_iterate_is_diverged():
    trace = 1.0 / np.sqrt(t)
    trace[-1] = np.nan
    assert label(problem(), trace, 1.0) == C.DIVERGED


@pytest.mark.parametrize("factor, expect", [(0.5, C.UNDECIDED), (2.0, C.DIVERGED)])
def test_norm_blow_up_boundary(factor, expect):
    # ||x_T|| against DIVERGE_NORM · max(1, ||x0||); f kept flat so only this rule can fire,
    # and the trace jumps at the end (no steady escape)
    x0 = 3.0
    trace = np.full(t.size, x0)
    trace[-1] = factor * C.DIVERGE_NORM * x0
    assert label(problem(), trace, x0, fgap=np.ones(t.size)) == expect


@pytest.mark.parametrize("factor, expect", [(0.5, C.STUCK), (2.0, C.DIVERGED)])
def test_f_blow_up_boundary(factor, expect):
    # f_T - f* against DIVERGE_F_GROWTH · (|f_1 - f*| + 1); the iterate stays put (stuck)
    prob = problem(x_star=-1.0, box=(-1.0, 1.0))
    f = np.full(t.size, 2.0)
    f[-1] = factor * C.DIVERGE_F_GROWTH * (2.0 + 1.0)
    assert label(prob, np.ones(t.size), 1.0, fgap=f) == expect


# ---------------------------------------------------------------------- escape
def drift(p=0.5, x0=1.0):
    """x_t = x0 · t^p: r grows by 10^p per decade and f = r² rises."""
    return x0 * t ** p


def test_steady_drift_escapes():
    trace = drift()
    assert trace[-1] >= C.DIVERGE_FAR * 1.0 and trace[-1] < C.DIVERGE_NORM
    assert label(problem(), trace, 1.0) == C.DIVERGED


def test_escape_needs_f_to_rise():
    trace = drift()
    f_falling = 1.0 / t
    assert label(problem(), trace, 1.0, fgap=f_falling) != C.DIVERGED
    # the rule without its f half would call it diverged: the f half is what decides
    r = np.abs(trace)[:, None]
    assert C.escaping(STEPS, r, f_falling[:, None], [1.0], f_rises=False)[0]
    assert not C.escaping(STEPS, r, f_falling[:, None], [1.0])[0]


@pytest.mark.parametrize("growth, expect", [(1.01, True), (0.99, False)])
def test_escape_growth_boundary(growth, expect):
    # r_t = DIVERGE_GROWTH^(log10 t) · growth^(log10 t): per decade the factor is g · growth
    g = C.DIVERGE_GROWTH * growth
    r = 10.0 * g ** np.log10(t)
    assert bool(C.escaping(STEPS, r[:, None], r[:, None] ** 2, [1.0])[0]) is expect


def test_escape_needs_every_pair_of_the_last_decades():
    # rises over the last decade only, falls over the one before: a bounded transient
    r = np.where(t <= T / 10, 100.0 / np.sqrt(t), 1.0)
    r = np.where(t > T / 10, 100.0 / np.sqrt(T / 10) * (t / (T / 10)), r)
    ok_last = r[-1] >= C.DIVERGE_GROWTH * r[np.searchsorted(t, T / 10, side="right") - 1]
    assert ok_last  # the last decade alone would escape
    assert not C.escaping(STEPS, r[:, None], r[:, None] ** 2, [1.0])[0]
    assert label(problem(), r, 100.0) != C.DIVERGED


def test_escape_needs_checkpoints_back_to_t_over_10_to_the_k():
    short = STEPS[STEPS > T / 10 ** C.DIVERGE_DECADES]
    r = (short.astype(float)) ** 0.5
    assert C.escaping(STEPS, (STEPS.astype(float) ** 0.5)[:, None],
                      (STEPS.astype(float))[:, None], [1.0])[0]
    assert not C.escaping(short, r[:, None], r[:, None] ** 2, [1.0])[0]


@pytest.mark.parametrize("far, expect", [(1.01, True), (0.99, False)])
def test_escape_far_boundary(far, expect):
    # the run must end at least DIVERGE_FAR · D away
    r = drift()
    D = r[-1] / (C.DIVERGE_FAR * far)
    assert bool(C.escaping(STEPS, r[:, None], r[:, None] ** 2, [D])[0]) is expect


def test_nothing_escapes_a_box():
    # on a box r <= D < DIVERGE_FAR · D: a drift to the wall is not an escape
    prob = problem(x_star=-1.0, box=(-1.0, 1.0))
    trace = np.minimum(-1.0 + 1e-3 * t ** 0.5 * 20, 1.0)
    assert label(prob, trace, -1.0) != C.DIVERGED


# ---------------------------------------------------------------------- without x*
def no_star():
    return problem(x_star=None, f_star=None)


def test_without_x_star_small_projected_gradient_is_converged():
    pg = 1.0 / t  # the gradient falls to 1e-4 of its first value
    assert label(no_star(), np.ones(t.size), 1.0, pgnorm=pg, fgap=np.ones(t.size)) \
        == C.CONVERGED


@pytest.mark.parametrize("side, expect", [(-1, C.CONVERGED), (+1, C.STUCK)])
def test_without_x_star_gradient_tolerance_boundary(side, expect):
    pg = np.where(t < T / 100, 1.0, C.GRAD_TOL * (1 + side * 1e-3))
    assert label(no_star(), np.ones(t.size), 1.0, pgnorm=pg, fgap=np.ones(t.size)) == expect


def test_without_x_star_flat_gradient_at_a_settled_point_is_stuck():
    pg = np.full(t.size, 0.5)
    assert label(no_star(), np.full(t.size, 2.0), 2.0, pgnorm=pg, fgap=np.ones(t.size)) \
        == C.STUCK


def test_without_x_star_falling_gradient_is_undecided_not_stuck():
    # a slow guaranteed rate: pg ∝ t^-0.5 over the last decade, still above GRAD_TOL
    pg = np.where(t < T / 10, 1.0, 0.5 * (t / (T / 10)) ** -0.5)
    assert np.median(pg[t >= T / 10]) > C.GRAD_TOL
    assert label(no_star(), np.full(t.size, 2.0), 2.0, pgnorm=pg, fgap=np.ones(t.size)) \
        == C.UNDECIDED


def test_without_x_star_moving_iterate_is_not_stuck():
    pg = np.full(t.size, 0.5)
    x = np.where(np.arange(t.size) % 2 == 0, 2.0, 2.0 + 2 * C.STUCK_MOVE * 3.0)
    x[-1] = 2.0
    assert label(no_star(), x, 2.0, pgnorm=pg, fgap=np.ones(t.size)) == C.UNDECIDED


# ---------------------------------------------------------------------- properties
trace_kinds = st.sampled_from(["converge", "settle", "drift", "jump", "wiggle", "nan"])


def make_trace(kind: str, a: float, p: float) -> np.ndarray:
    """A 1-d trace with x* = 0 and x0 = a ≥ 1."""
    if kind == "converge":
        return a * t ** -p
    if kind == "settle":
        return np.where(t < 100, a, a * (0.3 + p))
    if kind == "drift":
        return a * t ** p
    if kind == "jump":
        out = np.full(t.size, a)
        out[-1] = a * (1e4 if p < 0.5 else 1e8)  # well inside / outside DIVERGE_NORM
        return out
    if kind == "wiggle":
        return a * (1 + p * np.sin(np.arange(t.size)))
    out = a / np.sqrt(t)
    out[-1] = np.nan
    return out


@given(kinds=st.lists(st.tuples(trace_kinds, st.floats(1.0, 50.0), st.floats(0.05, 0.95)),
                      min_size=1, max_size=6),
       c=st.floats(1.0, 1e3))
def test_labels_invariant_under_scaling_the_positions(kinds, c):
    """With x* = 0 on an unbounded domain and ||x0|| ≥ 1, every rule compares positions with
    D = ||x0 - x*|| or with ||x0||: scaling all positions by c ≥ 1 (f kept) keeps the label."""
    traces = np.stack([make_trace(*k) for k in kinds], axis=1)
    x0 = np.array([k[1] for k in kinds])
    f = np.minimum(np.nan_to_num(traces, nan=1.0) ** 2, 1e4)  # same f for both
    base = classify(result(problem(), traces, x0, fgap=f, pgnorm=f))
    scaled = classify(result(problem(), c * traces, c * x0, fgap=f, pgnorm=f))
    assert list(base) == list(scaled)


@given(kinds=st.lists(st.tuples(trace_kinds, st.floats(1.0, 50.0), st.floats(0.05, 0.95)),
                      min_size=2, max_size=6),
       perm_seed=st.integers(0, 2**32 - 1))
def test_labels_are_per_configuration(kinds, perm_seed):
    """A batch is labelled run by run: each label equals the label of that run alone, and
    permuting the runs permutes the labels."""
    traces = np.stack([make_trace(*k) for k in kinds], axis=1)
    x0 = np.array([k[1] for k in kinds])
    batch = classify(result(problem(), traces, x0))
    alone = [str(classify(result(problem(), traces[:, i], x0[i]))[0]) for i in range(len(kinds))]
    assert list(batch) == alone
    perm = np.random.default_rng(perm_seed).permutation(len(kinds))
    assert list(classify(result(problem(), traces[:, perm], x0[perm]))) == [alone[i] for i in perm]


@given(kinds=st.lists(st.tuples(st.floats(-1.0, 1.0), st.floats(0.0, 1.0)),
                      min_size=1, max_size=4),
       seed=st.integers(0, 2**32 - 1))
def test_runs_inside_a_box_never_escape(kinds, seed):
    """On a box every distance is ≤ D < DIVERGE_FAR · D, so a finite run inside it with a
    bounded f is never labelled diverged, whatever its shape."""
    rng = np.random.default_rng(seed)
    prob = problem(x_star=-1.0, box=(-1.0, 1.0))
    traces = np.stack([np.clip(a + s * np.cumsum(rng.standard_normal(t.size)), -1, 1)
                       for a, s in kinds], axis=1)
    x0 = traces[0]
    assert C.DIVERGED not in set(classify(result(prob, traces, x0)))


@given(c=st.floats(1e-6, 1e6), p=st.floats(0.0, 1.5))
def test_gradient_rule_invariant_under_scaling_the_gradient(c, p):
    """Without x*, the converged and flat-gradient tests compare the projected gradient with its
    own first value and its own earlier median: scaling it by c > 0 keeps the label."""
    pg = np.maximum(t ** -p, 1e-3)
    x = np.full(t.size, 2.0)
    f = np.ones(t.size)
    a = label(no_star(), x, 2.0, pgnorm=pg, fgap=f)
    assert label(no_star(), x, 2.0, pgnorm=c * pg, fgap=f) == a
