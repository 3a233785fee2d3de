"""Escape is divergence: the classifier's escape rule and the ``adam-escape`` catalog problem.

The rule (adamtheory/engine/classify.py): r = ||x - x*|| (||x|| without x*) and f rise over each
of the last ``DIVERGE_DECADES`` decades, r by ``DIVERGE_GROWTH`` per decade, and r_T is at least
``DIVERGE_FAR`` times the domain scale. Synthetic traces test the rule (and show that planted
false variants of it, one decade only or f ignored, mislabel a bounded oscillation and a run
that converges in f); the engine tests run constant-θ Adam on ``adam-escape`` (labelled
diverged) and the guaranteed schedule θ_t = 1 - 1/t on the same problem (not diverged).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import counterexamples as cx
from adamtheory.engine.batch import default_checkpoints
from adamtheory.engine.classify import (
    DIVERGE_DECADES,
    DIVERGE_FAR,
    DIVERGE_GROWTH,
    DIVERGED,
    classify,
    escaping,
)
from adamtheory.engine.codes import FLAG_OK
from adamtheory.simulate import simulate_grid
from adamtheory.specs import OptimizerSpec

T = 10_000


# ------------------------------------------------------------------ synthetic BatchResult traces
def _no_xstar_problem(dim=3):
    """A Problem-shaped description without x* (classify reads only its metadata)."""
    return SimpleNamespace(x_star=None, f_star=None, bounded=False, dim=dim,
                           lower=np.full(dim, -np.inf), upper=np.full(dim, np.inf))


def trace(problem, x, f, *, dist=None, pgnorm=None, steps=None):
    """A BatchResult-like object holding one run's checkpoint traces (1-d arrays)."""
    steps = default_checkpoints(T) if steps is None else np.asarray(steps)
    col = lambda a: np.asarray(a, dtype=float).reshape(-1, 1)  # noqa: E731
    nan = np.full((steps.size, 1), np.nan)
    x = col(x)
    d = problem.dim
    xT = np.full((1, d), x[-1, 0] / np.sqrt(d))
    x0 = np.full((1, d), x[0, 0] / np.sqrt(d))
    if problem.x_star is not None:
        xT = np.asarray(problem.x_star).reshape(1, -1) + col(dist)[-1, 0]
        x0 = np.zeros((1, d))
    return SimpleNamespace(
        problem=problem, steps=steps, x=x, dist=nan if dist is None else col(dist), fgap=col(f),
        pgnorm=nan if pgnorm is None else col(pgnorm), gnorm=nan, x_final=xT,
        flag=np.array([FLAG_OK]), x0=x0, n=1)


@pytest.fixture(scope="module")
def esc():
    return cx.get("adam-escape")


def test_constants_are_the_documented_ones():
    assert (DIVERGE_DECADES, DIVERGE_GROWTH, DIVERGE_FAR) == (2, 1.5, 2.0)


def test_sqrt_drift_with_rising_f_is_diverged(esc):
    """x_t = 0.05 √t: r grows by √10 per decade, f = (m+μ) x rises; far below the overflow
    thresholds (x_T = 5)."""
    t = default_checkpoints(T)
    x = 0.05 * np.sqrt(t)
    dist = x - esc.x_star[0]
    f = 0.8 * x + 1.0
    assert classify(trace(esc, x, f, dist=dist))[0] == DIVERGED
    # a drift like Σ α_t for α_t = α t^-s grows by 10^(1-s) per decade: s = 0.8 escapes
    # (10^0.2 = 1.58 >= 1.5), s = 0.9 does not (1.26)
    for s, want in ((0.8, True), (0.9, False)):
        r = 5 * t ** (1 - s)
        assert escaping(t, r[:, None], r[:, None], np.ones(1))[0] == want, s


def test_slow_convergence_and_settled_runs_are_not_diverged(esc):
    t = default_checkpoints(T)
    slow = 0.75 * t ** -0.05                    # honest slow convergence, T^-0.05
    assert classify(trace(esc, esc.x_star[0] + slow, slow ** 2, dist=slow))[0] != DIVERGED
    settled = np.full(t.size, 3.0)              # settled far away: stuck, not diverged
    assert classify(trace(esc, settled, settled, dist=settled))[0] == "stuck"


def test_rule_needs_far_growth_and_two_decades_of_history(esc):
    t = default_checkpoints(T)
    small = 0.001 * np.sqrt(t)                  # grows steadily but ends at 0.1 < DIVERGE_FAR·D
    assert not escaping(t, small[:, None], small[:, None], np.ones(1))[0]
    short = default_checkpoints(50)             # T = 50 < 10^2: no two decades to judge
    r = 2 * np.sqrt(short)
    assert not escaping(short, r[:, None], r[:, None], np.ones(1))[0]
    assert escaping(short, r[:, None], r[:, None], np.ones(1), decades=1)[0]


def test_one_decade_variant_mislabels_a_bounded_oscillation(esc):
    """r oscillates in log t between 0.1 and 3.1 (period two decades): it rose over the last
    decade by a factor of 31 and fell over the one before. The rule keeps it out of diverged;
    the planted variant that looks at one decade only calls it diverged."""
    t = default_checkpoints(T)
    u = np.log10(t)
    r = 1.6 + 1.5 * np.cos(np.pi * (u - 4))
    f = r ** 2
    res = trace(esc, esc.x_star[0] + r, f, dist=r)
    assert classify(res)[0] != DIVERGED
    assert not escaping(t, res.dist, res.fgap, np.ones(1))[0]
    assert escaping(t, res.dist, res.fgap, np.ones(1), decades=1)[0]        # planted: caught


def test_ignoring_f_mislabels_a_run_that_converges_in_f():
    """Without x*: ||x_t|| grows like √t while f falls to its infimum and the gradient vanishes
    (logistic regression on separable data). The rule calls it converged; the planted variant
    that ignores f calls it diverged."""
    prob = _no_xstar_problem()
    t = default_checkpoints(T)
    xn = 1 + 0.1 * np.sqrt(t)
    f = 1.0 / xn
    res = trace(prob, xn, f, pgnorm=1.0 / xn ** 2)
    assert classify(res)[0] == "converged"
    assert not escaping(t, res.x, res.fgap, np.ones(1))[0]
    assert escaping(t, res.x, res.fgap, np.ones(1), f_rises=False)[0]        # planted: caught
    # the same norm with f rising is an escape, and classify says so
    assert classify(trace(prob, xn, xn, pgnorm=np.full(t.size, 0.5)))[0] == DIVERGED


# ------------------------------------------------------------------------ the catalog problem
def test_declared_optimum_and_constants_agree_with_the_objective(esc):
    g = np.empty(1)
    F = lambda x: esc.objective(np.array([x]), esc.params, esc.data, g)  # noqa: E731
    opt = minimize_scalar(F, bracket=(-3.0, 0.0, 3.0), tol=1e-12)
    assert opt.x == pytest.approx(esc.x_star[0], abs=1e-6)
    assert opt.fun == pytest.approx(esc.f_star, rel=1e-12)
    C, p, mu = esc.params
    m = p * C - (1 - p)
    assert (m, esc.x_star[0], esc.f_star) == pytest.approx((0.3, -0.75, 0.4), rel=1e-12)
    # E g^2 at x, exactly from the two-point law, approaches G^2 from below as x -> +inf
    xs = np.array([-1e3, -1.0, 0.0, 1.0, 1e3, 1e8])
    u = xs / np.sqrt(1 + xs ** 2)
    eg2 = p * (C + mu * u) ** 2 + (1 - p) * (-1 + mu * u) ** 2
    G2 = esc.constants["G"] ** 2
    assert np.all(eg2 < G2 * (1 + 1e-15)) and eg2[-1] == pytest.approx(G2, rel=1e-12)
    assert esc.theorem_applies and esc.convex and esc.stochastic


def test_problem_validates_parameters():
    with pytest.raises(cx.ProblemParameterError, match="mean slope") as err:
        cx.get("adam-escape", p=0.2)            # m = 0.2·3 - 0.8 < 0
    assert "\n" not in str(err.value)
    with pytest.raises(cx.ProblemParameterError, match="mu must be in"):
        cx.get("adam-escape", mu=1.0)


@pytest.fixture(scope="module")
def runs(esc):
    """Constant-θ Adam (β1 = 0, θ = 1/(1+C²)) and θ_t = 1 - 1/t, α_t = 0.1/√t, three seeds."""
    specs = [OptimizerSpec.from_text("0.1/sqrt(t)", "0", "1/(1 + 3**2)"),
             OptimizerSpec.from_text("0.1/sqrt(t)", "0", "1 - 1/t")]
    return simulate_grid(specs, esc, T, seeds=np.arange(3), grad_metrics=False)


def test_constant_theta_adam_escapes_and_is_labelled_diverged(runs, esc):
    b = runs.batch
    lab = runs.reshape(runs.labels)
    x = runs.reshape(b.x_final[:, 0])
    assert list(lab[0]) == [DIVERGED] * 3
    assert b.flag.tolist() == [FLAG_OK] * b.n                      # no overflow, no NaN
    # drifts like Σ α_t = 0.1 Σ t^-1/2 ≈ 0.2 √T (sign-like steps, a fixed fraction of them net)
    sum_alpha = 0.1 * np.sum(1 / np.sqrt(np.arange(1, T + 1)))
    assert np.all((0.1 * sum_alpha < x[0]) & (x[0] < sum_alpha))
    # f rises over each of the last two decades
    st = b.steps
    i = [np.searchsorted(st, k, side="right") - 1 for k in (T // 100, T // 10, T)]
    f = runs.reshape(b.fgap)[:, 0]                                 # (checkpoints, seeds)
    assert np.all(np.diff(f[i], axis=0) > 0)


def test_guaranteed_schedule_on_the_same_problem_is_not_diverged(runs, esc):
    lab = runs.reshape(runs.labels)
    x = runs.reshape(runs.batch.x_final[:, 0])
    assert DIVERGED not in lab[1]
    assert np.all(np.abs(x[1] - esc.x_star[0]) < 0.15)            # near x* = -0.75 from x0 = 0


def test_conformance_catches_plausible_wrong_constants(esc):
    """The suite passes the declared facts and fails two plausible slips: x* = -m/μ (the root of
    the asymptotic slope, not of F') and G² = E g² at x = 0 (not the supremum over R)."""
    import dataclasses
    import math

    from counterexamples.conformance import check_problem

    check_problem(esc).raise_if_failed()
    C, p, mu = esc.params
    m = p * C - (1 - p)
    wrong_x = dataclasses.replace(esc, x_star=np.array([-m / mu]))
    assert "optimum_first_order" in check_problem(wrong_x).failed_names
    G0 = math.sqrt(p * C * C + 1 - p)
    wrong_g = dataclasses.replace(esc, constants={**esc.constants, "G": G0})
    assert "second_moment_G" in check_problem(wrong_g, n_samples=20000).failed_names


def test_documented_measurements_at_1e5_steps(esc):
    """The numbers in the module docstring of counterexamples/adam_escape.py (10^5 steps of the
    scalar path take a few seconds): x_t at 10^3, 10^4, 10^5 for constant θ, x_T for θ_t = 1 - 1/t
    and for β1 = 0.9 > √θ."""
    from adamtheory.engine.batch import default_checkpoints

    T5 = 100_000
    ck = np.union1d(default_checkpoints(T5), [1000, 10_000])
    specs = [OptimizerSpec.from_text("0.1/sqrt(t)", "0", "1/(1 + 3**2)"),
             OptimizerSpec.from_text("0.1/sqrt(t)", "0", "1 - 1/t"),
             OptimizerSpec.from_text("0.1/sqrt(t)", "0.9", "1/(1 + 3**2)")]
    g = simulate_grid(specs, esc, T5, seeds=np.arange(3), grad_metrics=False, checkpoints=ck)
    b = g.batch
    i = np.searchsorted(b.steps, [1000, 10_000, T5])
    x = g.reshape(b.x[i])                                 # (3 checkpoints, 3 specs, 3 seeds)
    f = g.reshape(b.fgap[i])
    lo, hi = np.array([[1.2], [3.8], [12.1]]), np.array([[1.85], [4.75], [12.7]])
    assert np.all((lo <= x[:, 0]) & (x[:, 0] <= hi)), x[:, 0]
    assert np.all((f[:, 0] >= [[0.7], [2.7], [9.3]]) & (f[:, 0] <= [[1.2], [3.45], [9.75]]))
    assert list(g.reshape(g.labels)[0]) == [DIVERGED] * 3
    assert np.all((-0.78 <= x[-1, 1]) & (x[-1, 1] <= -0.73))
    assert np.all((-0.6 <= x[-1, 2]) & (x[-1, 2] <= -0.5))        # β1 > √θ: no escape
    assert DIVERGED not in g.reshape(g.labels)[2]
