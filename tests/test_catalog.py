"""The catalog: every problem conforms, its declared facts are right, its behaviour replays,
and the registry (names, parameters, user files) fails with clear one-line errors."""

from __future__ import annotations

import doctest
import importlib
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import counterexamples as cx
from counterexamples import Problem, ProblemError
from counterexamples.conformance import check_problem
from counterexamples.registry import module_of

ROOT = Path(__file__).resolve().parents[1]
NAMES = [
    "reddi-thm1", "reddi-thm2", "reddi-thm3", "reddi-sec5-online", "reddi-sec5-stochastic",
    "nonconvex-separable", "logreg-nonconvex", "two-layer-net", "ef-least-squares",
    "ef-nonsmooth", "adam-escape",
]

# name -> (A1, A2, A3, A4), convex, online, stochastic
DECLARED = {
    "reddi-thm1": ((True, True, False, True), True, True, False),
    "reddi-thm2": ((True, True, False, True), True, True, False),
    "reddi-thm3": ((True, True, True, True), True, False, True),
    "reddi-sec5-online": ((True, True, False, True), True, True, False),
    "reddi-sec5-stochastic": ((True, True, True, True), True, False, True),
    "nonconvex-separable": ((True, True, True, True), False, False, True),
    "logreg-nonconvex": ((True, True, True, True), False, False, True),
    "two-layer-net": ((True, False, True, False), False, False, True),
    "ef-least-squares": ((True, True, True, False), True, False, True),
    "ef-nonsmooth": ((True, False, True, True), True, False, False),
    "adam-escape": ((True, True, True, True), True, False, True),
}


@pytest.fixture(scope="module")
def problems():
    return {n: cx.get(n) for n in NAMES}


# --- registry ---------------------------------------------------------------------------------

def test_names_are_exact_and_in_order():
    assert cx.names() == NAMES


def test_catalog_returns_defaults(problems):
    got = cx.catalog()
    assert [p.name for p in got] == NAMES
    assert all(isinstance(p, Problem) for p in got)


@pytest.mark.parametrize("name", NAMES)
def test_every_catalog_problem_conforms(name, problems):
    check_problem(problems[name]).raise_if_failed()


@pytest.mark.parametrize("name", NAMES)
def test_declared_assumptions_and_flags(name, problems):
    p = problems[name]
    flags, convex, online, stochastic = DECLARED[name]
    assert tuple(p.assumptions[a] for a in ("A1", "A2", "A3", "A4")) == flags
    assert (p.convex, p.online, p.stochastic) == (convex, online, stochastic)
    assert set(p.meta["assumption_notes"]) == {"A1", "A2", "A3", "A4"}
    assert p.source and p.expected and p.x0 is not None
    assert p.name in p.describe() or p.title in p.describe()


@pytest.mark.parametrize("name", NAMES)
def test_module_docstring_states_math_source_and_behaviour(name):
    mod = importlib.import_module(module_of(name))
    doc = mod.__doc__
    assert ".. math::" in doc
    assert "Source" in doc
    assert "Behaviour it must show" in doc or "behaviour it must show" in doc.lower()
    assert mod.make.__doc__ and "Returns" in mod.make.__doc__
    if not name.startswith("reddi-sec5"):           # the Section 5 problems take no parameters
        assert "Parameters" in mod.make.__doc__


@pytest.mark.parametrize("module", ["reddi_thm1", "reddi_thm2", "reddi_thm3",
                                    "nonconvex_separable", "logreg_nonconvex", "two_layer_net",
                                    "adam_escape", "conformance", "__init__"])
def test_docstring_examples_run(module):
    mod = importlib.import_module("counterexamples" if module == "__init__"
                                  else f"counterexamples.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("bad, hint", [
    ("reddi-thm4", "reddi-thm"), ("redi-thm1", "reddi-thm1"), ("reddi_thm1", "reddi-thm1"),
    ("logreg", "logreg-nonconvex"), ("two-layer", "two-layer-net"),
    ("reddi-sec5-stoch", "reddi-sec5-stochastic"),
])
def test_typo_suggests_closest_name(bad, hint):
    with pytest.raises(cx.UnknownProblemError, match=f"did you mean '{hint}") as err:
        cx.get(bad)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name, params, fragment", [
    ("reddi-thm1", {"C": 1.5}, "C must be > 2 for Reddi Thm 1"),
    ("reddi-thm1", {"C": "abc"}, "C must be a real number"),
    ("reddi-thm1", {"C": float("nan")}, "C must be finite"),
    ("reddi-thm1", {"c": 3}, "did you mean 'C'"),
    ("reddi-thm2", {"C": 50.5}, "C must be an integer period >= 2 for Reddi Thm 2"),
    ("reddi-thm2", {"C": 1}, "C must be an integer period >= 2"),
    ("reddi-thm3", {"delta": 0}, "delta must be > 0"),
    ("reddi-thm3", {"C": 5, "delta": 6}, "delta must be < C"),
    ("reddi-sec5-online", {"C": 3}, "takes no parameters"),
    ("nonconvex-separable", {"d": 0}, "d must be an integer >= 1"),
    ("nonconvex-separable", {"sigma": -1}, "sigma must be >= 0"),
    ("logreg-nonconvex", {"batch": 0}, "batch must be an integer in [1, 569]"),
    ("logreg-nonconvex", {"lam": -0.1}, "lam must be >= 0"),
    ("two-layer-net", {"hidden": True}, "hidden must be a real number"),
    ("two-layer-net", {"hiden": 4}, "did you mean 'hidden'"),
    ("adam-escape", {"C": 1}, "C must be > 1"),
    ("adam-escape", {"mu": 0}, "mu must be in (0, 1)"),
    ("adam-escape", {"p": 0.4}, "mean slope m = pC - (1-p) in (0, mu)"),
])
def test_bad_parameters_give_one_line_value_errors(name, params, fragment):
    with pytest.raises(ValueError) as err:
        cx.get(name, **params)
    assert isinstance(err.value, ProblemError)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_integral_float_accepted_for_integer_parameters():
    assert cx.get("reddi-thm2", C=20.0).meta["period"] == 20
    assert cx.get("nonconvex-separable", d=3.0).dim == 3


# --- declared constants (exact arithmetic) ----------------------------------------------------

def test_reddi_constants_exact(problems):
    p = problems["reddi-thm1"]
    assert p.f_star == pytest.approx(-1 / 3)
    assert p.constants["G"] == pytest.approx(math.sqrt(11 / 3))
    assert problems["reddi-thm2"].f_star == pytest.approx(-1 / 50)
    assert problems["reddi-thm3"].f_star == pytest.approx(-0.1)
    on = problems["reddi-sec5-online"]
    assert on.f_star == pytest.approx(-10 / 101)
    assert on.constants["G"] ** 2 == pytest.approx(1030100 / 101)
    st_ = problems["reddi-sec5-stochastic"]
    assert st_.f_star == pytest.approx(-0.2)
    assert st_.constants["G"] ** 2 == pytest.approx(10300)
    for n in NAMES[:5]:
        q = problems[n]
        assert q.constants["L"] == 0.0 and q.x0[0] == 1.0 and q.x_star[0] == -1.0
        assert (q.lower[0], q.upper[0]) == (-1.0, 1.0)


def test_logreg_L_is_the_documented_formula(problems):
    p = problems["logreg-nonconvex"]
    a = p.data[:, :-1]
    lam = p.params[0]
    L = 0.25 * np.linalg.eigvalsh(a.T @ a / a.shape[0])[-1] + 2 * lam
    assert p.constants["L"] == pytest.approx(L, rel=1e-12)
    # the bound is tight at w = 0, where the Hessian is A^T A/(4n) + 2 lam I
    assert check_problem(p, n_points=2)["lipschitz_L"].computed == pytest.approx(L, rel=1e-4)


def test_shipped_dataset():
    from counterexamples._data import breast_cancer

    d = breast_cancer()
    assert d.shape == (569, 32) and d.flags.c_contiguous and d.flags.writeable
    assert np.allclose(d[:, :30].mean(axis=0), 0, atol=1e-12)
    assert np.allclose(d[:, :30].std(axis=0), 1)
    assert np.all(d[:, 30] == 1) and set(np.unique(d[:, 31])) == {0.0, 1.0}
    assert int(d[:, 31].sum()) == 357            # benign count from the UCI description
    assert (ROOT / "counterexamples" / "data" / "README.md").read_text().count("CC BY 4.0")


# --- metamorphic relations --------------------------------------------------------------------

def test_sec5_online_is_ten_times_thm2_with_C_101(problems):
    a, b = problems["reddi-sec5-online"], cx.get("reddi-thm2", C=101)
    for t in range(1, 304):
        fa, ga = a.grad1(0.3, t, 0, a.params)
        fb, gb = b.grad1(0.3, t, 0, b.params)
        assert ga == 10 * gb and fa == pytest.approx(10 * fb)


def test_sec5_stochastic_is_ten_times_thm3(problems):
    a, b = problems["reddi-sec5-stochastic"], cx.get("reddi-thm3", C=101, delta=0.02)
    same = [a.grad1(0.0, t, s, a.params)[1] == 10 * b.grad1(0.0, t, s, b.params)[1]
            for t in range(1, 200) for s in range(20)]
    assert all(same)


def test_common_random_numbers_and_determinism(problems):
    from counterexamples.rng import uniform

    p = problems["logreg-nonconvex"]
    x = np.linspace(-1, 1, p.dim)
    g1, g2, g3 = np.empty(p.dim), np.empty(p.dim), np.empty(p.dim)
    assert p.grad(x, 7, 3, p.params, p.data, g1) == p.grad(x, 7, 3, p.params, p.data, g2)
    assert np.array_equal(g1, g2)
    p.grad(x, 7, 4, p.params, p.data, g3)
    assert not np.array_equal(g1, g3)
    # the documented sampling: batch 1 at (t, seed) uses sample floor(n * uniform(seed, t, 0))
    i = int(uniform(3, 7, 0) * p.data.shape[0])
    a, y = p.data[i, :-1], p.data[i, -1]
    reg = p.params[0] * 2 * x / (1 + x * x) ** 2
    assert np.allclose(g1, (1 / (1 + np.exp(-a @ x)) - y) * a + reg, rtol=1e-12, atol=1e-14)
    # same seed, different delta: the large-gradient steps for the smaller p are a subset
    lo, hi = cx.get("reddi-thm3", delta=0.1), cx.get("reddi-thm3", delta=1.0)
    for t in range(1, 3000):
        if lo.grad1(0.0, t, 5, lo.params)[1] > 0:
            assert hi.grad1(0.0, t, 5, hi.params)[1] > 0


# --- behaviour: the documented replays --------------------------------------------------------

def _generic_adam(problem, r, seed):
    """Generic Adam of REFERENCE §1 (v_0 = eps, no bias correction) or Reddi's AMSGrad, 1-d."""
    a, b1, th, eps = r["alpha"], r["beta1"], r["theta"], r["eps"]
    assert r["alpha_decay"] == "1/sqrt(t)"
    ams = r["optimizer"] == "amsgrad"
    x, m, v, vh = r["x0"], 0.0, eps, eps
    lo, hi = problem.lower[0], problem.upper[0]
    grad1, params = problem.grad1, problem.params
    for t in range(1, r["steps"] + 1):
        _, g = grad1(x, t, seed, params)
        theta = (1.0 - 1.0 / t) if th == "1-1/t" else th
        m = b1 * m + (1 - b1) * g
        v = theta * v + (1 - theta) * g * g
        vh = max(vh, v)
        x = min(hi, max(lo, x - a / math.sqrt(t) * m / math.sqrt(vh if ams else v)))
    return x


REPLAYS = [(n, i) for n in NAMES[:5] for i in range(len(cx.get(n).meta["replays"]))]


@pytest.mark.parametrize("name, i", REPLAYS)
def test_documented_behaviour_replays(name, i, problems):
    p = problems[name]
    r = p.meta["replays"][i]
    for seed in (0, 1, 2) if p.stochastic else (0,):
        x = _generic_adam(p, r, seed)
        if "x_final_above" in r["outcome"]:
            assert x > r["outcome"]["x_final_above"], (name, r, seed, x)
        else:
            assert x < r["outcome"]["x_final_below"], (name, r, seed, x)


def test_every_reddi_problem_documents_adam_failing(problems):
    for n in NAMES[:5]:
        assert any(r["optimizer"] == "adam" and "x_final_above" in r["outcome"]
                   for r in problems[n].meta["replays"])


# --- property-based gradient checks -----------------------------------------------------------

def _fd(fun, x, u, h=1e-6):
    g = np.empty_like(x)
    return (fun(x + h * u, g) - fun(x - h * u, g)) / (2 * h)


@settings(max_examples=30, deadline=None)
@given(x=st.lists(st.floats(-4, 4), min_size=3, max_size=3),
       t=st.integers(1, 10**9), seed=st.integers(0, 2**40))
def test_nonconvex_separable_gradient_property(x, t, seed):
    p = cx.get("nonconvex-separable", d=3, sigma=0.3)
    x = np.array(x)
    u = np.array([0.6, -0.0, 0.8])
    g = np.empty(3)
    p.grad(x, t, seed, p.params, p.data, g)
    fd = _fd(lambda y, gg: p.grad(y, t, seed, p.params, p.data, gg), x, u)
    assert abs(fd - g @ u) <= 1e-6 * (1 + np.linalg.norm(g))
    go = np.empty(3)
    p.objective(x, p.params, p.data, go)
    assert np.all(np.abs(go) <= 3 * math.sqrt(3) / 8 + 1e-15)      # the bound behind G


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(0.01, 3.0), t=st.integers(1, 10**9), seed=st.integers(0, 2**40),
       k=st.integers(0, 2**20))
def test_data_problem_gradients_property(problems, scale, t, seed, k):
    from counterexamples.rng import normal

    for name in ("logreg-nonconvex", "two-layer-net"):
        p = problems[name]
        x = np.array([normal(k, 0, j) for j in range(p.dim)]) * scale
        u = np.array([normal(k, 1, j) for j in range(p.dim)])
        u /= np.linalg.norm(u)
        g = np.empty(p.dim)
        p.grad(x, t, seed, p.params, p.data, g)
        fd = _fd(lambda y, gg: p.grad(y, t, seed, p.params, p.data, gg), x, u, h=1e-6)
        assert abs(fd - g @ u) <= 1e-5 * max(1.0, np.linalg.norm(g)), name


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-1, 1), t=st.integers(1, 10**12), seed=st.integers(0, 2**62))
def test_scalar_oracle_matches_vector_oracle(problems, x, t, seed):
    for n in NAMES[:5]:
        p = problems[n]
        g = np.empty(1)
        f = p.grad(np.array([x]), t, seed, p.params, p.data, g)
        assert p.grad1(x, t, seed, p.params) == (f, g[0])


# --- user problems ----------------------------------------------------------------------------

USER_FILE = textwrap.dedent('''
    import numpy as np
    from numba import njit
    from counterexamples import Problem

    @njit
    def grad(x, t, seed, params, data, g):
        g[0] = params[0] * x[0]
        return 0.5 * params[0] * x[0] ** 2

    @njit
    def objective(x, params, data, g):
        g[0] = params[0] * x[0]
        return 0.5 * params[0] * x[0] ** 2

    def make(a=2.0):
        return Problem(name="quad", title="quadratic", dim=1, grad=grad, objective=objective,
                       params=np.array([a]), param_names=("a",), lower=-1, upper=1,
                       x_star=0.0, f_star=0.0, x0=1.0, constants={"L": a, "G": a, "f_star": 0.0},
                       assumptions={"A1": True, "A2": True, "A3": True, "A4": True},
                       convex=True, source="test", expected="converges to 0")

    PROBLEM = make(3.0)
    NOT_A_PROBLEM = 42

    def returns_wrong():
        return "nope"
''')


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "quad_problem.py"
    path.write_text(USER_FILE)
    return path


def test_user_factory_and_object_load(user_file):
    p = cx.get(f"{user_file}:make", a=5.0)
    assert p.name == "quad" and p.params[0] == 5.0
    assert cx.get(f"{user_file}:PROBLEM").params[0] == 3.0
    assert cx.get(str(user_file)).params[0] == 2.0          # file alone means :make
    assert check_problem(p, n_points=4, n_samples=50).ok


@pytest.mark.parametrize("suffix, params, exc, fragment", [
    (":mak", {}, cx.ProblemFileError, "did you mean 'make'"),
    (":NOT_A_PROBLEM", {}, cx.ProblemFileError, "is a int, not a Problem"),
    (":returns_wrong", {}, cx.ProblemFileError, "returned str, not a Problem"),
    (":grad", {}, cx.ProblemFileError, "compiled oracle"),
    (":PROBLEM", {"a": 1.0}, cx.ProblemParameterError, "takes no parameters"),
    (":make", {"b": 1.0}, cx.ProblemParameterError, "did you mean 'a'"),
    (":1bad", {}, cx.ProblemFileError, "not a Python name"),
])
def test_user_problem_errors(user_file, suffix, params, exc, fragment):
    with pytest.raises(exc, match=None) as err:
        cx.get(f"{user_file}{suffix}", **params)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_user_problem_missing_and_broken_files(tmp_path):
    with pytest.raises(cx.ProblemFileError, match="not found"):
        cx.get(str(tmp_path / "nope.py") + ":make")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(cx.ProblemFileError, match="importing .* failed: RuntimeError: boom"):
        cx.get(f"{broken}:make")


def test_example_my_problem_passes_the_suite(monkeypatch):
    monkeypatch.chdir(ROOT)
    p = cx.get("examples/my_problem.py:make", d=4)
    assert p.dim == 4
    check_problem(p).raise_if_failed()


def test_user_docs_exist_and_name_the_cli_form():
    text = (ROOT / "docs" / "user_problems.md").read_text()
    assert "examples/my_problem.py:make" in text and "check_problem" in text
