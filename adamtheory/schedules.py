"""Schedules: sequences α_t, β_t, θ_t written as expressions in the step ``t``.

A :class:`Schedule` holds a sympy expression in ``t`` (see :mod:`adamtheory.parsing`) and the
values of its named parameters. It is the one object behind every way of writing a schedule:
text (``Schedule.parse("alpha*t**(-s)", alpha=0.5, s=0.5)``) and the families
:func:`constant`, :func:`power` (``a t^{-s}``) and :func:`one_minus_power` (``1 - c t^{-r}``).

>>> a = Schedule.parse("0.5/sqrt(t)")
>>> a.values(4)
array([0.5       , 0.35355339, 0.28867513, 0.25      ])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np
import sympy as sp

from .errors import ScheduleError
from .parsing import (
    MAX_MAGNITUDE,
    T,
    check_constant,
    check_exp,
    check_power,
    parameter_symbol,
    parse_expression,
)

__all__ = ["Schedule", "constant", "power", "one_minus_power", "to_rational", "exact_at", "T"]

#: Longest numeric text accepted for a value (``--param s=...``, a sweep file's string).
MAX_VALUE_TEXT = 100
#: An exact value at an integer step is computed only when its estimated size is below this many
#: bits; beyond it :func:`exact_at` returns a high-precision float (mpmath, arbitrary exponent).
MAX_EXACT_BITS = 20_000
#: Digits of the high-precision fallback of :func:`exact_at`.
FALLBACK_DIGITS = 50


def _magnitude_ok(value: float) -> bool:
    return value == 0.0 or 10.0 ** -MAX_MAGNITUDE <= abs(value) <= 10.0 ** MAX_MAGNITUDE


def to_rational(value, what: str = "value") -> sp.Rational:
    """An exact rational from a number or numeric text (``0.1`` becomes ``1/10``).

    Values must be finite with magnitude 0 or in [1e-300, 1e300]; the magnitude is decided from
    the float value before the exact rational is built (``"1e999999999"`` would otherwise expand
    a billion-digit integer).
    """
    limits = f"0 or a magnitude between 1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}"
    if isinstance(value, sp.Basic):
        if not value.is_number or not (value.is_Rational or value.is_Float):
            if value.is_number and value.is_real:
                value = sp.Float(sp.N(value, 17))
            else:
                raise ScheduleError(f"{what} must be a real number, got {value}")
        try:
            f = float(value)
        except (TypeError, OverflowError):
            f = math.inf
        if not math.isfinite(f) or not _magnitude_ok(f) or (f == 0.0 and value != 0):
            raise ScheduleError(f"{what} = {str(value)[:30]} is out of range; give {limits}")
        return sp.nsimplify(value) if value.is_Float else value
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
        return to_rational(value, what)
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.floating, np.integer)):
        raise ScheduleError(f"{what} must be a number, got {type(value).__name__} {value!r:.40}")
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if len(text) > MAX_VALUE_TEXT:
            raise ScheduleError(f"{what}: a number of {len(text)} characters; at most "
                                f"{MAX_VALUE_TEXT} are accepted")
        try:
            f = float(text)
        except ValueError:
            raise ScheduleError(f"{what} must be a number, got {value!r}") from None
        if not math.isfinite(f) and "inf" in text.lower() or f != f:
            raise ScheduleError(f"{what} must be finite, got {value!r}")
        if not math.isfinite(f) or not _magnitude_ok(f) or (f == 0.0 and any(c in "123456789" for c in
                                                      text.lower().split("e")[0])):
            raise ScheduleError(f"{what} = {text} is out of range; give {limits}")
        if f == 0.0:
            return sp.Integer(0)
        try:
            return sp.Rational(text)
        except (TypeError, ValueError):
            raise ScheduleError(f"{what} must be a number, got {value!r}") from None
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ScheduleError(f"{what} must be finite, got {value!r}")
        if not _magnitude_ok(float(value)):
            raise ScheduleError(f"{what} = {value!r} is out of range; give {limits}")
        return sp.Rational(repr(float(value)))
    v = int(value)
    if abs(v) > 10**MAX_MAGNITUDE:
        raise ScheduleError(f"{what} is out of range; give {limits}")
    return sp.Integer(v)


def _estimate_bits(e: sp.Expr, k: int) -> float:
    """An upper estimate of the bits of the exact value of ``e`` at ``t = k`` (cheap, inexact).

    Exact powers are what blows up: ``(1/2)**(10^29 t)`` at t = 1 is a 10^29-bit rational. A
    power with a numeric (after t = k) exponent e and a rational base of b bits costs about
    |e|·b bits; sums, products, min and max at most the sum of their operands; symbolic
    functions (exp, log, roots) stay unevaluated and cost their argument. The exponent's value is
    taken with mpmath (``evalf``), which never expands an exact power.
    """
    if e.is_Integer:
        return float(max(1, int(e).bit_length()))
    if e.is_Rational:
        return float(max(1, e.p.bit_length()) + e.q.bit_length())
    if e == T:
        return float(max(1, int(k).bit_length()))
    if e.is_Float:
        return 64.0
    if not e.args:
        return 64.0
    if isinstance(e, sp.Pow):
        b_bits = _estimate_bits(e.base, k)
        x_bits = _estimate_bits(e.exp, k)
        if x_bits > MAX_EXACT_BITS:
            return math.inf
        try:
            x = abs(float(e.exp.evalf(20, subs={T: k})))
        except (TypeError, ValueError, OverflowError):
            return math.inf
        return b_bits * max(1.0, x) + x_bits
    if isinstance(e, sp.floor):
        inner = _estimate_bits(e.args[0], k)
        try:
            v = abs(float(e.args[0].evalf(20, subs={T: k})))
        except (TypeError, ValueError, OverflowError):
            return math.inf
        return inner + math.log2(v + 2.0) if math.isfinite(v) else math.inf
    return float(sum(_estimate_bits(a, k) for a in e.args))


def exact_at(expr: sp.Expr, k: int) -> sp.Expr:
    """The value of ``expr`` at the integer step ``t = k``: exact when that is cheap, else a
    :data:`FALLBACK_DIGITS`-digit float.

    The exact value is computed only when :func:`_estimate_bits` stays below
    :data:`MAX_EXACT_BITS`; otherwise mpmath evaluates it (``evalf`` with ``subs``), which keeps
    an arbitrary exponent and so answers ``(1/2)**(10^29)`` or ``exp(-exp(40))`` in microseconds
    with the right sign and magnitude. Float literals are made rational first (``nsimplify``).
    """
    k = int(k)
    if _estimate_bits(expr, k) <= MAX_EXACT_BITS:
        v = _subs_floor_exact(expr, k) if expr.has(sp.floor) else expr.subs(T, k)
        return sp.nsimplify(v) if v.has(sp.Float) else v
    return expr.evalf(FALLBACK_DIGITS, subs={T: k})


def _subs_floor_exact(e: sp.Expr, k: int) -> sp.Expr:
    """``e`` at t = k with every floor evaluated by :func:`_floor_of` (bottom up)."""
    if not e.has(sp.floor):
        return e.subs(T, k)
    args = [_subs_floor_exact(a, k) for a in e.args]
    return _floor_of(args[0]) if isinstance(e, sp.floor) else e.func(*args)


#: Digits :func:`_floor_of` evaluates a number to, in turn, to tell it from an integer.
FLOOR_DIGITS = (30, 60, 120, 240)


def _floor_of(a: sp.Expr) -> sp.Expr:
    """floor(a) for a real number ``a``, right where sympy's own evaluation is not.

    sympy (1.14; sympy issues #13098, #26368) rounds numbers within about 1e-9 of an integer to
    it first: ``floor(log(999999996)/log(10))`` gives 9. Here a rational is floored exactly; any
    other number is evaluated to 30, 60, ... digits until it is clearly between two integers;
    one still within 1e-230 of an integer n is n if ``a - n`` simplifies to 0 (``log(1000) /
    log(10)``), else the side its 240-digit value is on when that is 1e-235 (relative) or more
    away from n. A value closer to n, and not provably n, is a :class:`ScheduleError`: its
    floor is n or n - 1, and no precision fixed in advance decides which.
    """
    if a.is_Rational:
        return sp.floor(a)
    if not a.is_number:
        return sp.floor(a)
    v = None
    for digits in FLOOR_DIGITS:
        v = a.evalf(digits)
        if not v.is_Float:
            return sp.floor(a)
        k = sp.floor(v)  # exact on a binary float
        gap = min(v - k, k + 1 - v)
        if gap > sp.Float(10) ** (10 - digits) * max(1, abs(v)):
            return k
    n = sp.Integer(round(v))
    try:
        zero = sp.simplify(sp.expand_log(a - n, force=True)) == 0
    except (TypeError, ValueError, RecursionError):
        zero = False
    if zero:
        return n
    if abs(v - n) > sp.Float(10) ** (5 - FLOOR_DIGITS[-1]) * max(1, abs(v)):
        return n if v > n else n - 1
    text = str(a)
    text = text if len(text) <= 60 else text[:57] + "..."
    raise ScheduleError(f"floor({text}): the argument cannot be told from the integer {n} at "
                        f"{FLOOR_DIGITS[-1]} digits and is not provably {n}; write the schedule "
                        "so that its floors' arguments are rational at integer t, or not this "
                        "close to an integer")


def sign_at(expr: sp.Expr, k: int) -> int | None:
    """The sign (-1, 0, 1) of ``expr`` at ``t = k``, from :func:`exact_at`; None when it cannot
    be decided (a symbolic value whose 30-digit evaluation is 0, or evaluation fails)."""
    try:
        v = exact_at(expr, k)
        if v.is_Rational:
            return int(sp.sign(v))
        if not v.is_number or v.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
            return None
        n = v if v.is_Float else sp.N(v, 30)
    except (TypeError, ValueError, OverflowError, ArithmeticError, RecursionError):
        return None
    if not n.is_Float or n == 0:
        return None
    return 1 if n > 0 else -1


def _bind_checked(expr: sp.Expr, subs: dict) -> sp.Expr:
    """``expr`` with ``subs`` substituted, rebuilt bottom-up with the parser's size rules.

    Every power and every exp is checked (:func:`adamtheory.parsing.check_power`,
    :func:`~adamtheory.parsing.check_exp`) on its operands *before* sympy builds it, so
    ``0.5**s`` with ``s = 1e20`` is refused instead of expanding 2^(10^20).
    """
    if expr in subs:
        return subs[expr]
    if not expr.args or not (expr.free_symbols & set(subs)):
        return expr
    args = [_bind_checked(a, subs) for a in expr.args]
    if isinstance(expr, sp.Pow):
        return check_power(*args)
    if isinstance(expr, sp.exp):
        return check_exp(args[0])
    out = expr.func(*args)
    return check_constant(out) if out.is_number and isinstance(expr, (sp.Add, sp.Mul)) else out


#: Largest |P(t)| evaluated in int64 by :func:`_floor_poly` (else Python integers).
_INT64_SAFE = 2**62
#: A float argument this close to an integer (relative) is decided exactly by :func:`sign_at`.
_NEAR_INTEGER = 1e-9
#: At most this many steps of one table are decided exactly by :func:`_floor_near`.
MAX_NEAR_INTEGER_STEPS = 10_000


def _floor_poly(arg: sp.Expr, t: np.ndarray):
    """floor(arg) at the integer steps ``t`` for ``arg`` a polynomial in t with rational
    coefficients, in integer arithmetic: P(t) // Q with P's coefficients integers. None when
    ``arg`` is not such a polynomial."""
    try:
        poly = sp.Poly(arg, T)
    except sp.PolynomialError:
        return None
    if not poly.domain.is_QQ and not poly.domain.is_ZZ:
        return None
    coeffs = poly.all_coeffs()
    q = int(sp.ilcm(*[sp.Rational(c).q for c in coeffs]))
    ints = [int(sp.Rational(c) * q) for c in coeffs]
    tmax = int(np.max(np.abs(t))) if t.size else 0
    big = sum(abs(c) * tmax**k for k, c in enumerate(reversed(ints))) >= _INT64_SAFE
    ti = t.astype(np.int64)
    ti = ti.astype(object) if big else ti  # object: Python integers
    acc = np.zeros(t.shape, dtype=object if big else np.int64)
    for c in ints:  # Horner
        acc = acc * ti + c
    try:
        return (acc // q).astype(np.float64)
    except OverflowError:  # beyond float64: the float evaluation says inf
        return None


def _floor_near(arg: sp.Expr, t: np.ndarray, approx: np.ndarray) -> np.ndarray:
    """floor of the float values ``approx`` of ``arg`` at the integer steps ``t``, with the
    steps where ``approx`` is within rounding of an integer k decided exactly (arg - k >= 0,
    :func:`sign_at`)."""
    out = np.floor(approx)
    k = np.rint(approx)
    near = np.flatnonzero(np.isfinite(approx)
                          & (np.abs(approx - k) <= _NEAR_INTEGER * np.maximum(1.0, np.abs(k))))
    if near.size > MAX_NEAR_INTEGER_STEPS:
        raise ScheduleError(f"floor({arg}) is within rounding of an integer at {near.size} of "
                            f"{t.size} steps (at most {MAX_NEAR_INTEGER_STEPS} are decided "
                            "exactly); write the argument as a polynomial in t with rational "
                            "coefficients, or without floor")
    for i in near:
        sgn = sign_at(arg - sp.Integer(int(k[i])), int(t[i]))
        if sgn is not None:
            out[i] = k[i] if sgn >= 0 else k[i] - 1.0
    return out


class _FloorExact:
    """A bound expression as a numpy function of t whose ``floor`` calls are exact at integer
    steps.

    In float64, ``floor(t/49)`` at t = 49 is floor(49 * (1/49)) = floor(0.999...) = 0. Each
    floor is replaced by a symbol, innermost first; at integer steps its values are computed
    in integer arithmetic when the argument is a rational polynomial in t (:func:`_floor_poly`),
    else from the float argument with the near-integer steps decided exactly
    (:func:`_floor_near`); then the rest of the expression is evaluated with those values.
    Off the integer steps the float argument is used.
    """

    def __init__(self, expr: sp.Expr):
        self.floors = []  # (symbol, argument in t and earlier symbols, argument in t alone)
        back = {}
        e = expr
        while True:
            inner = sorted((f for f in e.atoms(sp.floor) if not f.args[0].has(sp.floor)),
                           key=sp.default_sort_key)
            if not inner:
                break
            for f in inner:
                sym = sp.Dummy(f"floor{len(self.floors)}")
                arg = f.args[0]
                self.floors.append((sym, sp.lambdify((T, *[s for s, _, _ in self.floors]), arg,
                                                     modules="numpy"), arg.xreplace(back)))
                back[sym] = sp.floor(arg.xreplace(back))
                e = e.xreplace({f: sym})
        self.syms = [s for s, _, _ in self.floors]
        self.rest = sp.lambdify((T, *self.syms), e, modules="numpy")

    def __call__(self, t: np.ndarray):
        if not self.floors:
            return self.rest(t)
        t = np.asarray(t, dtype=np.float64)
        shape, t = t.shape, t.reshape(-1)
        integer = bool(np.all(np.isfinite(t) & (t == np.floor(t))))
        vals = []
        for _sym, fn, arg in self.floors:
            exact = _floor_poly(arg, t) if integer else None
            if exact is None:
                approx = np.broadcast_to(np.asarray(fn(t, *vals), dtype=np.float64),
                                         t.shape).copy()
                exact = _floor_near(arg, t, approx) if integer else np.floor(approx)
            vals.append(exact)
        out = np.broadcast_to(np.asarray(self.rest(t, *vals), dtype=np.float64), t.shape)
        return out.reshape(shape)


@dataclass(frozen=True)
class Schedule:
    """A sequence indexed by the step t = 1, 2, ... given by a sympy expression.

    Parameters
    ----------
    expr:
        sympy expression in :data:`adamtheory.parsing.T` and parameter symbols.
    params:
        Parameter values, ``name -> number``. A schedule whose parameters all have values is
        *bound*; only bound schedules can be evaluated or checked.
    text:
        The text the user wrote, kept for messages.
    """

    expr: sp.Expr
    params: tuple = field(default=())
    text: str = ""

    # ------------------------------------------------------------------ construction
    @classmethod
    def parse(cls, text: str, **params) -> Schedule:
        """Parse schedule text; keyword arguments declare parameters and give their values.

        A parameter given as ``None`` is declared but left free.
        """
        expr = parse_expression(text, params=list(params))
        values = tuple(
            sorted((k, to_rational(v, f"parameter {k}")) for k, v in params.items() if v is not None)
        )
        return cls(expr, values, text.strip())

    def bind(self, **values) -> Schedule:
        """The same schedule with (more) parameter values."""
        merged = dict(self.params)
        for k, v in values.items():
            if parameter_symbol(k) in self.expr.free_symbols:
                merged[k] = to_rational(v, f"parameter {k}")
        return Schedule(self.expr, tuple(sorted(merged.items())), self.text)

    def __reduce__(self):
        # pickle the definition, not the cached compiled function
        return (Schedule, (self.expr, self.params, self.text))

    # ------------------------------------------------------------------ views
    @property
    def free_parameters(self) -> list[str]:
        """Parameter names used in the expression that have no value."""
        bound = {k for k, _ in self.params}
        return sorted(s.name for s in self.expr.free_symbols if s != T and s.name not in bound)

    @cached_property
    def bound_expr(self) -> sp.Expr:
        """The expression with parameter values substituted (raises if some are missing)."""
        missing = self.free_parameters
        if missing:
            raise ScheduleError(
                f"schedule {self}: parameter {missing[0]!r} has no value; give it one "
                f"(e.g. --param {missing[0]}=0.5)"
            )
        subs = {parameter_symbol(k): v for k, v in self.params}
        try:
            expr = _bind_checked(self.expr, subs) if subs else self.expr
        except ScheduleError as exc:
            raise ScheduleError(f"schedule {self} with {', '.join(f'{k} = {_num(v)}' for k, v in self.params)}: "
                                f"{exc}") from None
        if expr.has(sp.zoo, sp.nan, sp.I) or expr.has(sp.oo):
            raise ScheduleError(f"schedule {self}: not a finite real expression for these values")
        return expr

    @property
    def is_constant(self) -> bool:
        return T not in self.bound_expr.free_symbols

    def __str__(self) -> str:
        return self.text or str(self.expr)

    def describe(self) -> str:
        """The expression with values substituted, as sympy prints it."""
        return self._described

    @cached_property
    def _described(self) -> str:
        return str(self.bound_expr)

    # ------------------------------------------------------------------ numbers
    @cached_property
    def _func(self):
        # lambdify compiles sympy's own printout of an already-validated expression tree;
        # user text never reaches it.
        return _FloorExact(self.bound_expr)

    def __call__(self, t):
        """Values at steps ``t`` (array-like of positive numbers) as float64.

        At integer steps every ``floor`` is exact (:class:`_FloorExact`); elsewhere its
        argument is evaluated in float64.
        """
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = self._func(t)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), t.shape).copy()

    def values(self, n: int, start: int = 1) -> np.ndarray:
        """Float64 values for t = start, ..., start + n - 1."""
        return self(np.arange(start, start + n, dtype=np.float64))

    def at(self, t: int) -> sp.Expr:
        """Value at an integer step: exact when cheap, else 50 digits (see :func:`exact_at`)."""
        return exact_at(self.bound_expr, t)


def _num(v) -> str:
    text = str(v)
    return text if len(text) <= 16 else f"{float(v):.6g}"


def constant(c) -> Schedule:
    """The constant schedule c."""
    return Schedule(to_rational(c, "constant"), (), str(c))


def power(a, s) -> Schedule:
    """The power family a t^{-s}."""
    a_, s_ = to_rational(a, "a"), to_rational(s, "s")
    return Schedule(a_ * T ** (-s_), (), f"{a}*t**(-{s})")


def one_minus_power(c, r) -> Schedule:
    """The family 1 - c t^{-r} (for θ_t: r = 0 is constant, r = 1 is AdaGrad-like)."""
    c_, r_ = to_rational(c, "c"), to_rational(r, "r")
    return Schedule(1 - c_ * T ** (-r_), (), f"1 - {c}*t**(-{r})")
