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
from fractions import Fraction
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from .errors import ScheduleError
from .parsing import T, parameter_symbol, parse_expression

__all__ = ["Schedule", "constant", "power", "one_minus_power", "to_rational", "T"]


def to_rational(value, what: str = "value") -> sp.Rational:
    """An exact rational from a number or numeric text (``0.1`` becomes ``1/10``)."""
    if isinstance(value, sp.Basic):
        if not value.is_number:
            raise ScheduleError(f"{what} must be a number, got {value}")
        return sp.nsimplify(value) if value.is_Float else value
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.floating, np.integer)):
        raise ScheduleError(f"{what} must be a number, got {value!r}")
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ScheduleError(f"{what} must be finite, got {value!r}")
    try:
        return sp.Rational(str(value).strip() if isinstance(value, str) else repr(float(value))
                           if isinstance(value, (float, np.floating)) else int(value))
    except (TypeError, ValueError):
        raise ScheduleError(f"{what} must be a number, got {value!r}") from None


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
    def parse(cls, text: str, **params) -> "Schedule":
        """Parse schedule text; keyword arguments declare parameters and give their values.

        A parameter given as ``None`` is declared but left free.
        """
        expr = parse_expression(text, params=list(params))
        values = tuple(
            sorted((k, to_rational(v, f"parameter {k}")) for k, v in params.items() if v is not None)
        )
        return cls(expr, values, text.strip())

    def bind(self, **values) -> "Schedule":
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
        expr = self.expr.subs(subs)
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
        return str(self.bound_expr)

    # ------------------------------------------------------------------ numbers
    @cached_property
    def _func(self):
        # lambdify compiles sympy's own printout of an already-validated expression tree;
        # user text never reaches it.
        return sp.lambdify(T, self.bound_expr, modules="numpy")

    def __call__(self, t):
        """Values at steps ``t`` (array-like of positive numbers) as float64."""
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = self._func(t)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), t.shape).copy()

    def values(self, n: int, start: int = 1) -> np.ndarray:
        """Float64 values for t = start, ..., start + n - 1."""
        return self(np.arange(start, start + n, dtype=np.float64))

    def at(self, t: int) -> sp.Expr:
        """Exact value at an integer step."""
        return self.bound_expr.subs(T, t)


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
