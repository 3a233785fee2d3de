"""The whitelisting schedule parser: what it accepts, what it refuses, and that nothing runs."""

import builtins

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from adamtheory.errors import ScheduleError
from adamtheory.parsing import MAX_LENGTH, T, parse_expression
from adamtheory.schedules import Schedule, constant, one_minus_power, power

R = sp.Rational


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.5/sqrt(t)", R(1, 2) / sp.sqrt(T)),
        ("1 - 0.01/t", 1 - R(1, 100) / T),
        ("0.9", R(9, 10)),
        ("0.99**t", R(99, 100) ** T),
        ("min(1, t/100)", sp.Min(1, T / 100)),
        ("exp(-t) + log(t + 1)", sp.exp(-T) + sp.log(T + 1)),
        ("1e-3 * t**(-0.5)", R(1, 1000) * T ** R(-1, 2)),
        ("-(-2)", sp.Integer(2)),
    ],
)
def test_accepts_arithmetic_in_t(text, expected):
    assert sp.simplify(parse_expression(text) - expected) == 0


def test_decimals_become_exact_rationals():
    # s + r/2 = 1 must be decided exactly: 0.3 + 1.4/2 is exactly 1
    e = parse_expression("t**(-0.3) * t**(-1.4/2)")
    assert e == 1 / T


def test_declared_parameters():
    e = parse_expression("alpha*t**(-s)", params=["alpha", "s"])
    assert {s.name for s in e.free_symbols} == {"t", "alpha", "s"}
    with pytest.raises(ScheduleError, match="unknown name 's'"):
        parse_expression("alpha*t**(-s)", params=["alpha"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("1 +", "syntax error"),
        ("t ** ", "syntax error"),
        ("foo(t)", "can be called"),
        ("n", "step variable is t"),
        ("2*tt", "unknown name 'tt'"),
        ("t.real", "attribute access"),
        ("lambda: 1", "lambda"),
        ("__import__('os')", "can be called"),
        ("__builtins__", "not allowed"),
        ("[1, 2][0]", "not allowed"),
        ("t if t else 1", "conditional"),
        ("t > 1", "comparison"),
        ("'abc'", "not a number"),
        ("True", "not a number"),
        ("1/0", "division by zero"),
        ("9**9**9", "exponent"),
        ("10.0**400", "outside"),
        ("1e400", "not finite"),
        ("sqrt(-1)", "negative"),
        ("log(0)", "non-positive"),
        ("(-2)**t", "non-positive"),
        ("sqrt(t, 2)", "takes 1 argument"),
        ("min(t)", "takes 2 arguments"),
        ("sqrt(x=t)", "keyword"),
        ("t" + "+t" * MAX_LENGTH, "characters"),
        ("sqrt(" * 50 + "t" + ")" * 50, "deep"),
        ("-" * 100 + "t", "deep"),
        ("1" * 40, "characters"),
        ("t; import os", "syntax error"),
        ("t\x00", "NUL"),
    ],
)
def test_rejects_with_one_line(text, message):
    with pytest.raises(ScheduleError) as info:
        parse_expression(text)
    msg = str(info.value)
    assert message in msg
    assert "\n" not in msg and len(msg) < 300


CODE = [
    "__import__('os').system('touch {p}')",
    "open('{p}', 'w').write('x')",
    "(lambda: __import__('os').system('touch {p}'))()",
    "().__class__.__bases__[0].__subclasses__()",
    "t.__class__.__init__.__globals__['os'].system('touch {p}')",
    "exec(\"open('{p}','w')\")",
    "eval(\"open('{p}','w')\")",
    "[open('{p}', 'w') for _ in t]",
]


@pytest.mark.parametrize("template", CODE)
def test_code_is_rejected_and_nothing_runs(template, tmp_path):
    target = tmp_path / "side_effect"
    text = template.format(p=target)
    with pytest.raises(ScheduleError):
        parse_expression(text)
    assert not target.exists()


def test_parser_never_calls_eval_or_exec(monkeypatch):
    def forbidden(*a, **k):
        raise AssertionError("eval/exec called while parsing")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for text in ["0.5/sqrt(t)", "1 - 0.01*t**(-0.5)", "max(0.1, 0.99**t)", "exp(-t/10)"]:
        parse_expression(text)


@settings(max_examples=300)
@given(st.text(max_size=120))
def test_fuzz_arbitrary_text_never_crashes(text):
    try:
        expr = parse_expression(text)
    except ScheduleError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(expr, sp.Expr)


_atoms = st.sampled_from(["t", "1", "0.5", "2", "sqrt(t)", "log(t+1)", "exp(-t)", "(t+1)"])


@st.composite
def _expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(_atoms)
    op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
    return f"({draw(_expressions(depth=depth - 1))}){op}({draw(_expressions(depth=depth - 1))})"


@settings(max_examples=150)
@given(_expressions())
def test_fuzz_grammar_texts_parse_or_fail_cleanly(text):
    try:
        parse_expression(text)
    except ScheduleError as exc:
        assert "\n" not in str(exc)


def test_schedule_values_are_float64():
    a = Schedule.parse("0.5/sqrt(t)")
    v = a.values(4)
    assert v.dtype == np.float64
    np.testing.assert_allclose(v, 0.5 / np.sqrt([1, 2, 3, 4]), rtol=0, atol=1e-16)
    np.testing.assert_array_equal(constant(0.9).values(3), [0.9, 0.9, 0.9])
    np.testing.assert_allclose(power(0.5, 0.25).values(3), 0.5 * np.arange(1, 4) ** -0.25, rtol=1e-15)
    np.testing.assert_allclose(
        one_minus_power(0.01, 1).values(3), 1 - 0.01 / np.arange(1, 4), rtol=1e-15
    )


def test_families_are_the_same_object_as_text():
    assert power(0.5, 0.5).bound_expr == Schedule.parse("0.5*t**(-0.5)").bound_expr
    assert one_minus_power(0.01, 1).bound_expr == Schedule.parse("1 - 0.01/t").bound_expr


def test_unbound_parameter_is_a_clear_error():
    s = Schedule.parse("a*t**(-s)", a=0.5, s=None)
    assert s.free_parameters == ["s"]
    with pytest.raises(ScheduleError, match="parameter 's' has no value"):
        s.values(3)
    np.testing.assert_allclose(s.bind(s=0.5).values(1), [0.5])
