"""The conformance suite catches planted bugs, each on the right check, and passes good problems.

Each test takes a correct catalog problem, breaks one thing (an oracle, a constant, the optimum,
the metadata), and asserts the report fails on the check that owns that thing and only there.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numba import njit

import counterexamples as cx
from counterexamples.conformance import ConformanceReport, check_problem, sample_box
from counterexamples.rng import normal

FAST = {"n_points": 8, "n_samples": 1000}


@pytest.fixture(scope="module")
def sep():
    return cx.get("nonconvex-separable", d=4, sigma=0.2)


@pytest.fixture(scope="module")
def thm1():
    return cx.get("reddi-thm1")


def failed(problem, **kw):
    return check_problem(problem, **{**FAST, **kw}).failed_names


def broken(problem, **changes):
    return dataclasses.replace(problem, **changes)


# --- planted oracle bugs ----------------------------------------------------------------------

@njit
def _sep_grad_wrong_sign(x, t, seed, params, data, g):
    f = 0.0
    for i in range(x.shape[0]):
        q = 1.0 + x[i] * x[i]
        z = normal(seed, t, i)
        f += x[i] * x[i] / q + params[1] * z * x[i]
        g[i] = -(2.0 * x[i] / (q * q) + params[1] * z)          # planted: wrong sign
    return f


@njit
def _sep_objective_wrong_sign(x, params, data, g):
    f = 0.0
    for i in range(x.shape[0]):
        q = 1.0 + x[i] * x[i]
        f += x[i] * x[i] / q
        g[i] = -2.0 * x[i] / (q * q)                            # planted: wrong sign
    return f


@njit
def _sep_grad_biased(x, t, seed, params, data, g):
    f = 0.0
    for i in range(x.shape[0]):
        q = 1.0 + x[i] * x[i]
        z = normal(seed, t, i) + 0.5                            # planted: noise mean 0.5
        f += x[i] * x[i] / q + params[1] * z * x[i]
        g[i] = 2.0 * x[i] / (q * q) + params[1] * z
    return f


@njit
def _sep_grad_partial(x, t, seed, params, data, g):
    g[0] = 2.0 * x[0] / (1.0 + x[0] * x[0]) ** 2                # planted: g[1:] never written
    return x[0] * x[0] / (1.0 + x[0] * x[0])


@njit
def _sep_grad_raises(x, t, seed, params, data, g):
    raise ValueError("oracle exploded")


def test_wrong_gradient_sign_is_caught_by_grad_fd(sep):
    bad = failed(broken(sep, grad=_sep_grad_wrong_sign))
    assert "grad_fd" in bad
    assert "objective_fd" not in bad


def test_wrong_objective_gradient_sign_is_caught_by_objective_fd(sep):
    bad = failed(broken(sep, objective=_sep_objective_wrong_sign))
    assert "objective_fd" in bad
    assert "grad_fd" not in bad


def test_biased_oracle_is_caught_by_unbiased_only(sep):
    report = check_problem(broken(sep, grad=_sep_grad_biased), **FAST)
    assert report.failed_names == {"unbiased"}
    assert report["unbiased"].computed > report["unbiased"].claimed


def test_unwritten_gradient_entries_fail_shapes(sep):
    assert "shapes" in failed(broken(sep, grad=_sep_grad_partial))


def test_raising_oracle_fails_without_crashing_the_suite(sep):
    report = check_problem(broken(sep, grad=_sep_grad_raises), **FAST)
    assert not report.ok
    assert report["grad_fd"].computed == "raised"
    assert "oracle exploded" in report["grad_fd"].note
    assert report["objective_fd"].passed


def test_uncompiled_oracles_fail_compiled(sep):
    report = check_problem(broken(sep, grad=sep.grad.py_func, objective=sep.objective.py_func),
                           n_points=2, n_samples=20)
    assert report.failed_names == {"compiled"}


# --- planted constant bugs --------------------------------------------------------------------

def test_too_small_L_is_caught(sep):
    report = check_problem(broken(sep, constants={**sep.constants, "L": 1.5}), **FAST)
    assert report.failed_names == {"lipschitz_L"}
    assert report["lipschitz_L"].computed == pytest.approx(2.0, rel=1e-3)


def test_slightly_too_small_L_on_real_data_is_caught():
    p = cx.get("logreg-nonconvex")
    L = p.constants["L"]
    assert failed(broken(p, constants={**p.constants, "L": 0.99 * L})) == {"lipschitz_L"}
    assert failed(p) == set()


def test_too_small_G_is_caught(sep):
    G = sep.constants["G"]
    assert failed(broken(sep, constants={**sep.constants, "G": 0.3 * G})) == {"second_moment_G"}


def test_too_small_G_online_is_caught_exactly(thm1):
    G = thm1.constants["G"]
    assert failed(broken(thm1, constants={**thm1.constants, "G": G * (1 - 1e-6)})) == {
        "second_moment_G"}


def test_too_small_G_inf_is_caught(thm1):
    assert failed(broken(thm1, constants={**thm1.constants, "G_inf": 2.9})) == {"sup_bound_G_inf"}


def test_wrong_period_is_caught(thm1):
    meta = {**thm1.meta, "period": 4}
    assert "period_mean" in failed(broken(thm1, meta=meta))


# --- planted optimum bugs ---------------------------------------------------------------------

def test_wrong_optimum_consistent_value_is_caught(thm1):
    # x* = +1 with its own (consistent) value: the worst point declared as the optimum
    wrong = broken(thm1, x_star=np.array([1.0]), f_star=1 / 3,
                   constants={**thm1.constants, "f_star": 1 / 3})
    bad = failed(wrong)
    assert {"f_star_lower_bound", "optimum_first_order"} <= bad
    assert "optimum_value" not in bad and "grad_fd" not in bad


def test_wrong_f_star_is_caught(thm1):
    wrong = broken(thm1, f_star=-1.0, constants={**thm1.constants, "f_star": -1.0})
    assert failed(wrong) == {"optimum_value"}


def test_too_high_f_star_lower_bound_is_caught():
    p = cx.get("logreg-nonconvex")
    wrong = broken(p, f_star=0.7, constants={**p.constants, "f_star": 0.7})
    assert failed(wrong) == {"f_star_lower_bound"}


def test_interior_point_declared_optimal_in_unconstrained_problem(sep):
    wrong = broken(sep, x_star=np.full(4, 0.5))
    assert {"optimum_value", "optimum_first_order"} <= failed(wrong)


def test_x_star_outside_domain_is_caught(thm1):
    assert "optimum_value" in failed(broken(thm1, x_star=np.array([-2.0])))


# --- planted metadata bugs --------------------------------------------------------------------

def test_x0_outside_domain_is_caught(thm1):
    assert failed(broken(thm1, x0=np.array([1.5]))) == {"x0_in_domain"}


def test_missing_x0_is_caught(thm1):
    assert "x0_in_domain" in failed(broken(thm1, x0=None))


def test_assumption_without_its_constant_is_caught(sep):
    consts = {k: v for k, v in sep.constants.items() if k != "L"}
    report = check_problem(broken(sep, constants=consts), **FAST)
    assert report.failed_names == {"metadata"}
    assert "A2 declared but L missing" in report["metadata"].computed


def test_undeclared_assumption_is_caught(sep):
    report = check_problem(broken(sep, assumptions={"A1": True}), **FAST)
    assert "metadata" in report.failed_names


def test_false_convexity_claim_is_caught(sep):
    assert failed(broken(sep, convex=True)) == {"convexity"}


def test_online_without_period_is_caught(thm1):
    meta = {k: v for k, v in thm1.meta.items() if k != "period"}
    assert "metadata" in failed(broken(thm1, meta=meta))


# --- the report -------------------------------------------------------------------------------

def test_report_api(thm1):
    report = check_problem(thm1)
    assert isinstance(report, ConformanceReport) and report.ok and report.failures == []
    row = report["lipschitz_L"]
    assert (row.name, row.computed, row.claimed, row.passed) == ("lipschitz_L", 0.0, 0.0, True)
    text = str(report)
    assert text.startswith("conformance of reddi-thm1: OK") and "lipschitz_L" in text
    report.raise_if_failed()
    with pytest.raises(KeyError):
        report["no-such-check"]
    bad = check_problem(broken(thm1, x0=np.array([3.0])))
    with pytest.raises(AssertionError, match="x0_in_domain"):
        bad.raise_if_failed()
    assert [r.name for r in bad.failures] == ["x0_in_domain"]


def test_report_is_reproducible_and_accepts_names():
    a = check_problem("reddi-thm3", seed=3)
    b = check_problem(cx.get("reddi-thm3"), seed=3)
    assert [(r.name, r.computed) for r in a.rows] == [(r.name, r.computed) for r in b.rows]


def test_not_applicable_rows_do_not_fail():
    report = check_problem("two-layer-net", n_points=3, n_samples=200)
    assert report.ok
    assert report["lipschitz_L"].passed is None and report["optimum_value"].passed is None


def test_sample_box():
    lo, hi = sample_box(cx.get("reddi-thm1"))
    assert (lo[0], hi[0]) == (-1.0, 1.0)
    lo, hi = sample_box(cx.get("nonconvex-separable", d=2))
    assert np.all(lo == -5) and np.all(hi == 5)


def test_check_problem_rejects_non_problems():
    with pytest.raises(TypeError, match="needs a Problem"):
        check_problem(42)
