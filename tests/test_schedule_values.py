"""A schedule's float table equals its exact values, floor included.

The table (:meth:`Schedule.values`, what the engine and the bounds read) is compared with the
exact value at each step (:meth:`Schedule.at`, sympy's rational arithmetic) rounded once to
float64. Floors are where a float evaluation goes wrong: ``floor(t/49)`` computed as
``t * (1/49)`` gives 0 at t = 49, and a step-decay schedule then holds its first value one step
too long. An off-by-one floor changes a value by a whole factor or unit, so rtol 1e-12 (room for
the rounding of the rest of the expression) catches it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamtheory.schedules import Schedule


def _exact(s: Schedule, n: int, start: int = 1) -> np.ndarray:
    return np.array([float(s.at(k)) for k in range(start, start + n)])


FLOORS = [
    "floor(t/49)",                    # t * (1/49) is 0.999... at t = 49
    "0.5**floor(t/49)",               # step decay: halves at t = 49, 98, ...
    "0.5**floor((t-1)/49)",           # sympy keeps t/49 - 1/49
    "0.1*0.9**floor((t+3)/7)",
    "floor(t/0.7)",                   # 10 t / 7
    "floor(0.3*t)",                   # 3 t / 10
    "floor(t**2/7 + t/3)",
    "0.05*(1+t-2*floor(t/2))/sqrt(t)",  # an oscillating step (tests/test_bounds.py)
    "floor(floor(t/3)/7)",            # nested
    "floor(sqrt(t))",                 # perfect squares
    "floor(log(t)/log(2))",           # powers of two: log(8)/log(2) is 2.999... in floats
    "floor(10*log(t)/log(10))",
    "min(1, floor(t/13)/3)",
]


@pytest.mark.parametrize("text", FLOORS)
def test_floor_tables_equal_the_exact_values(text):
    s = Schedule.parse(text)
    n = 400
    np.testing.assert_allclose(s.values(n), _exact(s, n), rtol=1e-12, atol=0)


def test_floor_tables_far_out():
    """At t near 10^6 and 10^9 (large arguments; int64 headroom for t**2)."""
    for text in ("floor(t/49)", "floor(t**2/7 + t/3)", "0.5**floor(t/1009)",
                 "floor(log(t)/log(10))", "floor(10*log(t)/log(10))", "floor(sqrt(t))"):
        s = Schedule.parse(text)
        for start in (900, 999_900, 10**9 - 100):
            np.testing.assert_allclose(s.values(200, start=start), _exact(s, 200, start),
                                       rtol=1e-12, atol=0)


@settings(max_examples=25, deadline=None)
@given(p=st.integers(-20, 20), q=st.integers(1, 97), c=st.integers(-50, 50),
       base=st.sampled_from(["0.5", "0.9", "0.99"]))
def test_step_decay_tables(p, q, c, base):
    """base**floor((p t + c)/q) over the steps where the argument crosses integers."""
    s = Schedule.parse(f"{base}**floor(({p}*t + {c})/{q})")
    n = 2 * q + 10
    np.testing.assert_allclose(s.values(n), _exact(s, n), rtol=1e-12, atol=0)


def test_non_integer_steps_still_evaluate():
    """Off the integer steps (a plotted curve) the float value is used."""
    s = Schedule.parse("floor(t/49)")
    np.testing.assert_array_equal(s([1.5, 48.5, 49.5, 100.25]), [0.0, 0.0, 1.0, 2.0])


def test_a_floor_that_cannot_be_tabulated_exactly_is_an_error():
    """An argument within rounding of an integer at (almost) every step is refused with one line,
    not tabulated wrong or slowly."""
    from adamtheory.schedules import MAX_NEAR_INTEGER_STEPS, ScheduleError

    s = Schedule.parse("floor(sqrt(t**2 + 1/10**30))")
    assert s.values(100)[-1] == 100.0
    with pytest.raises(ScheduleError, match="within rounding of an integer"):
        s.values(MAX_NEAR_INTEGER_STEPS + 1)


@pytest.mark.parametrize("text,t,value", [
    ("floor(log(t)/log(10))", 999_999_996, 8),    # sympy 1.14's floor gives 9 (sympy #26368)
    ("floor(log(t)/log(10))", 10**9, 9),          # exactly an integer
    ("floor(log(t)/log(2))", 2**31 - 1, 30),
    ("floor(log(t)/log(2))", 2**31, 31),
    ("floor(sqrt(t))", 10**12 - 1, 999_999),
    ("floor(sqrt(t))", 10**12, 10**6),
    ("floor(t/49)", 49, 1),
    ("floor(floor(t/3)/7)", 21, 1),
])
def test_exact_values_of_floors_near_integers(text, t, value):
    """The checker's exact value at a step (what the conditions are decided on): integers a
    float or sympy's own floor gets wrong by one, the values known by integer arithmetic."""
    assert Schedule.parse(text).at(t) == value


def test_scalar_and_shaped_steps():
    s = Schedule.parse("0.5**floor(t/49)")
    assert s(49) == 0.5 and s(48.0) == 1.0
    np.testing.assert_array_equal(s(np.array([[48, 49], [97, 98]])), [[1.0, 0.5], [0.5, 0.25]])


def test_floors_of_large_polynomials():
    """Beyond int64 the polynomial is evaluated in Python integers (exact), beyond float64 the
    value is inf; never the NaN of an overflowed integer."""
    s = Schedule.parse("floor(t**64/3 + t**63/7)")  # ~1e383 at 1e6: beyond float64
    assert np.isposinf(s.values(2, start=10**6)).all()
    s = Schedule.parse("floor(t**5/7)")  # ~1.4e44 at 1e9: beyond int64, within float64
    np.testing.assert_allclose(s.values(3, start=10**9), _exact(s, 3, 10**9), rtol=1e-15)


def _tiny(exponent: int) -> str:
    """10^-exponent as a product the parser accepts (exponents within [-64, 64])."""
    parts = [50] * (exponent // 50) + ([exponent % 50] if exponent % 50 else [])
    return "*".join(f"10**-{p}" for p in parts)


@pytest.mark.parametrize("exponent,digits", [(50, 60), (100, 120), (200, 240), (230, 240)])
def test_exact_floors_at_every_precision(exponent, digits):
    """sqrt(t² ± 10^-e) is within about 10^-e / (2t) of the integer t: 30 digits cannot tell
    the side, so the floor is decided at ``digits`` (the last at 240: a gap of 7e-232, below the
    margin of every precision, where the side of the 240-digit value decides)."""
    from adamtheory.schedules import FLOOR_DIGITS

    assert digits in FLOOR_DIGITS
    up = Schedule.parse(f"floor(sqrt(t**2 + {_tiny(exponent)}))")
    down = Schedule.parse(f"floor(sqrt(t**2 - {_tiny(exponent)}))")
    assert up.at(7) == 7 and down.at(7) == 6


def test_a_floor_no_precision_can_decide_is_an_error():
    """An argument closer to an integer than 240 digits resolve, and not provably that integer,
    has no floor the checker can vouch for: one line, not a guess (the 240-digit value of
    sqrt(49 - 10^-240) is 7 to within its last digits, which decide nothing)."""
    from adamtheory.schedules import ScheduleError

    with pytest.raises(ScheduleError, match="cannot be told from the integer 7"):
        Schedule.parse(f"floor(sqrt(t**2 - {_tiny(240)}))").at(7)
    assert Schedule.parse("floor(log(t**3)/log(t))").at(7) == 3  # provably 3: simplifies
