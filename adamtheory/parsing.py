"""Whitelisting parser for schedule text.

A schedule is written as an arithmetic expression in the step variable ``t`` and declared
parameter names, e.g. ``0.5/sqrt(t)``, ``1 - 0.01/t``, ``alpha*t**(-s)``. The text is parsed with
:func:`ast.parse` (which only builds a syntax tree and runs nothing) and the tree is walked node by
node; every node type outside a small whitelist is rejected, and the sympy expression is built
directly from the accepted nodes. Neither ``eval`` nor ``sympify`` ever sees user text.

Accepted:

* numbers (decimal literals, turned into exact rationals so that ``0.5`` is ``1/2`` and
  exponents such as ``s + r/2 = 1`` are decided exactly);
* the step variable ``t`` and declared parameter names;
* ``+ - * / **``, unary minus, parentheses;
* functions ``sqrt``, ``log`` (natural), ``exp``; ``min`` and ``max`` (warm-up and clipped
  schedules such as ``min(1, t/100)``), ``floor`` (step decay such as ``0.5**floor(t/1000)``).

Limits guard against text that would make sympy work forever: at most 400 characters, nesting
depth 40, numeric literals of at most 30 characters whose magnitude is 0 or lies in
[1e-300, 1e300] (so ``1e-99999999999999999999999999`` is refused from the float value Python
already parsed, before any exact rational is built), exponents that are numbers must lie in
[-64, 64] unless the base is a positive number (``0.99**t``), a number to a number power and
``exp`` of a number must stay within the float64 range (|log10 of the value| <= 300).
The same power and ``exp`` rules are applied again when parameter values are substituted
(:func:`check_power`, :func:`check_exp`), so ``t**(-s)`` with ``s = 1e20`` is refused like the
text ``t**(-1e20)``.
"""

from __future__ import annotations

import ast
import keyword
import math
import re

import sympy as sp

from .errors import ScheduleError

T = sp.Symbol("t", positive=True)
"""The step variable. Steps are t = 1, 2, ...; sympy treats it as a positive real."""

MAX_LENGTH = 400
MAX_DEPTH = 40
MAX_LITERAL = 30
MAX_EXPONENT = 64
#: Non-zero numbers (literals and parameter values) must have magnitude in
#: [10^-MAX_MAGNITUDE, 10^MAX_MAGNITUDE] (float64 normal range, with margin).
MAX_MAGNITUDE = 300
#: |log10| of a number-to-a-number power or of exp(number) must stay below this (float64 range).
MAX_LOG10 = 300

_FUNCTIONS = {
    "sqrt": (1, sp.sqrt),
    "log": (1, sp.log),
    "exp": (1, sp.exp),
    "floor": (1, sp.floor),
    "min": (2, sp.Min),
    "max": (2, sp.Max),
}
RESERVED = frozenset(_FUNCTIONS) | {"t"}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_parameter_name(name: str) -> str:
    """Validate a parameter name and return it; raise :class:`ScheduleError` when invalid."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > 32:
        raise ScheduleError(
            f"invalid parameter name {name!r}: use a letter followed by letters, digits or '_'"
        )
    if name in RESERVED or keyword.iskeyword(name):
        raise ScheduleError(f"parameter name {name!r} is reserved; choose another name")
    return name


def parameter_symbol(name: str) -> sp.Symbol:
    """The sympy symbol used for parameter ``name`` (real-valued)."""
    return sp.Symbol(check_parameter_name(name), real=True)


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


class _Builder:
    def __init__(self, text: str, params: frozenset[str]):
        self.text = text
        self.params = params

    def fail(self, what: str) -> ScheduleError:
        return ScheduleError(f"schedule {_short(self.text)!r}: {what}")

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep; simplify the expression")
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail("only unary + and - are allowed")
        if isinstance(node, ast.BinOp):
            value = self.binop(node, depth)
            if value.is_number:
                self.check_magnitude(value)
            return value
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        kind = {
            ast.Attribute: "attribute access",
            ast.Lambda: "lambda",
            ast.Subscript: "indexing",
            ast.Compare: "comparison",
            ast.BoolOp: "boolean operator",
            ast.IfExp: "conditional expression",
        }.get(type(node), f"'{type(node).__name__}' syntax")
        raise self.fail(
            f"{kind} is not allowed; use numbers, t, parameters, + - * / **, "
            "sqrt, log, exp, min, max, floor"
        )

    def number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{value!r} is not a number")
        literal = ast.get_source_segment(self.text, node) or repr(value)
        literal = literal.replace("_", "")
        if len(literal) > MAX_LITERAL:
            raise self.fail(f"number {_short(literal, 20)!r} has more than {MAX_LITERAL} characters")
        if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
            raise self.fail(f"number {literal!r} is not finite")
        # magnitude from the float Python already parsed: decided before any exact arithmetic
        # (sp.Rational("1e-99999999999999999999999999") would expand 10^(10^26) digits)
        if isinstance(value, float):
            if value == 0.0:
                if re.search(r"[1-9]", literal.lower().split("e")[0]):
                    raise self.fail(f"number {literal!r} is too small for float64; its magnitude "
                                    f"must be 0 or between 1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}")
                return sp.Integer(0)
            if not 10.0 ** -MAX_MAGNITUDE <= abs(value) <= 10.0 ** MAX_MAGNITUDE:
                raise self.fail(f"number {literal!r} is outside the accepted magnitudes: 0 or "
                                f"between 1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}")
        try:
            return sp.Rational(literal)
        except (TypeError, ValueError):
            return sp.Rational(repr(value))

    def check_magnitude(self, value: sp.Expr) -> None:
        try:
            check_constant(value)
        except ScheduleError as exc:
            raise self.fail(str(exc)) from None

    def name(self, ident: str) -> sp.Expr:
        if ident == "t":
            return T
        if ident in self.params:
            return parameter_symbol(ident)
        if ident in _FUNCTIONS:
            raise self.fail(f"{ident!r} is a function; call it, e.g. {ident}(t)")
        if ident.startswith("_"):
            raise self.fail(f"name {ident!r} is not allowed")
        known = ", ".join(sorted(self.params)) or "none declared"
        raise self.fail(
            f"unknown name {ident!r}; the step variable is t, and other names must be declared "
            f"parameters (declared: {known})"
        )

    def binop(self, node: ast.BinOp, depth: int) -> sp.Expr:
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            if right.is_zero:
                raise self.fail("division by zero")
            return left / right
        if isinstance(op, ast.Pow):
            return self.power(left, right)
        raise self.fail(f"operator '{type(op).__name__}' is not allowed; use + - * / **")

    def power(self, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        try:
            return check_power(base, exponent)
        except ScheduleError as exc:
            raise self.fail(str(exc)) from None

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise self.fail(
                "only sqrt, log, exp, min, max and floor can be called"
            )
        if node.keywords:
            raise self.fail("keyword arguments are not allowed")
        name = node.func.id
        arity, func = _FUNCTIONS[name]
        if len(node.args) != arity:
            raise self.fail(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}")
        args = [self.build(a, depth + 1) for a in node.args]
        if name == "exp":
            try:
                return check_exp(args[0])
            except ScheduleError as exc:
                raise self.fail(str(exc)) from None
        if name == "log" and args[0].is_number and not args[0].is_positive:
            raise self.fail("log of a non-positive number")
        if name == "sqrt" and args[0].is_number and args[0].is_negative:
            raise self.fail("sqrt of a negative number")
        return func(*args)


def _short_number(x: sp.Expr) -> str:
    text = str(x)
    if len(text) <= 24 or not x.is_number:
        return text if len(text) <= 24 else text[:21] + "..."
    try:
        return str(sp.N(x, 4))
    except (TypeError, ValueError, OverflowError):
        return text[:21] + "..."


def check_power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``base**exponent`` after the size rules; raise :class:`ScheduleError` when broken.

    A numeric exponent must lie in [-MAX_EXPONENT, MAX_EXPONENT]; a number to a number power must satisfy |exponent·log10|base|| <= MAX_LOG10 (it is
    then computed exactly, which is cheap); a non-positive number cannot be raised to a power
    that depends on t. These are checked on the operands *before* sympy builds the power, so a
    huge exact power (2^(10^20)) is never expanded.
    """
    if exponent.is_number:
        if not abs(float(sp.N(exponent, 15))) <= MAX_EXPONENT:
            raise ScheduleError(f"exponent {_short_number(exponent)} is outside "
                                f"[-{MAX_EXPONENT}, {MAX_EXPONENT}]")
        if base.is_zero and exponent.is_negative:
            raise ScheduleError("division by zero (0 to a negative power)")
        if base.is_number and base.is_negative and not exponent.is_integer:
            raise ScheduleError(f"({_short_number(base)})**({_short_number(exponent)}): a negative "
                                "number to a fractional power is not a real number")
    elif not (base.is_number and base.is_positive):
        if base.is_number:
            raise ScheduleError("a non-positive number raised to a power that depends on t")
        # base and exponent both symbolic: allowed (e.g. t**(-s)); parameters are checked
        # once their values are known.
    if not exponent.is_number:
        _check_growth(base, exponent)
    if base.is_number and exponent.is_number:
        if not base.is_zero:
            size = abs(float(sp.N(sp.log(abs(base), 10), 15)) * float(sp.N(exponent, 15)))
            if not size <= MAX_LOG10:
                raise ScheduleError(f"{_short_number(base)}**{_short_number(exponent)} is outside "
                                    "the float64 range")
        value = sp.Pow(base, exponent)
        if value.has(sp.I) or value.has(sp.zoo) or value.has(sp.nan):
            raise ScheduleError(f"{_short_number(base)}**{_short_number(exponent)} is not a real number")
        return value
    return sp.Pow(base, exponent)


def _check_growth(base: sp.Expr, exponent: sp.Expr) -> None:
    """Refuse a power whose exponent depends on t and grows too fast to be handled exactly.

    sympy's simplification pulls numeric coefficients out of exponents and evaluates the
    resulting number powers exactly, in C code that no time budget can interrupt:
    ``0.5**(1e29*t)`` becomes 2^(10^29). So every numeric coefficient c of the exponent's terms,
    and the exponent's value at t = 1 (``0.5**floor(t*1e23)``), must satisfy
    |c·log10 b| <= MAX_LOG10 for a number base b (b^c within float64) and |c| <= MAX_EXPONENT
    for a base that depends on t (``t**(-1e20*t)`` is refused like ``t**(-1e20)``).
    """
    if base.is_number:
        scale = abs(float(sp.N(sp.log(base, 10), 15))) if base.is_positive else 1.0
        limit, what = MAX_LOG10, "float64 range"
    else:
        scale, limit, what = 1.0, MAX_EXPONENT, f"[-{MAX_EXPONENT}, {MAX_EXPONENT}]"
    coeffs = [term.as_coeff_Mul()[0] for term in sp.Add.make_args(exponent)]
    if exponent.free_symbols <= {T}:
        try:
            coeffs.append(exponent.evalf(20, subs={T: 1}))
        except (TypeError, ValueError, OverflowError):
            coeffs.append(sp.oo)
    for c in coeffs:
        try:
            size = abs(float(c)) * scale
        except (TypeError, OverflowError):
            size = math.inf
        if not size <= limit:
            raise ScheduleError(
                f"{_short_number(base)}**({_short_exponent(exponent)}) grows too fast: the "
                f"exponent's coefficient or value at t = 1 ({_short_number(c)}) puts it outside "
                f"{what}")


def _short_exponent(e: sp.Expr) -> str:
    text = str(e)
    return text if len(text) <= 30 else text[:27] + "..."


def check_constant(value: sp.Expr) -> sp.Expr:
    """A constant (``1e300/1e-86``, or a product of parameter values) must be 0 or have a
    magnitude in [10^-MAX_MAGNITUDE, 10^MAX_MAGNITUDE]; raise :class:`ScheduleError` if not."""
    try:
        f = abs(float(sp.N(value, 15)))
    except (TypeError, ValueError, OverflowError):
        f = math.inf
    if value != 0 and not 10.0 ** -MAX_MAGNITUDE <= f <= 10.0 ** MAX_MAGNITUDE:
        raise ScheduleError(f"the constant {_short_number(value)} is outside the accepted "
                            f"magnitudes: 0 or between 1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}")
    return value


def check_exp(arg: sp.Expr) -> sp.Expr:
    """``exp(arg)``, refused when ``arg`` is a number with |arg| > MAX_LOG10·ln 10 (outside
    float64; a nested ``exp(exp(exp(100)))`` would otherwise make mpmath build a
    10^(10^43)-digit integer when sympy asks for its sign)."""
    if arg.is_number:
        v = float(sp.N(arg, 15))
        if not abs(v) <= MAX_LOG10 * 2.302585092994046:
            raise ScheduleError(f"exp({_short_number(arg)}) is outside the float64 range")
    return sp.exp(arg)


def parse_expression(text: str, params=()) -> sp.Expr:
    """Parse schedule ``text`` into a sympy expression in ``t`` and the declared ``params``.

    >>> parse_expression("0.5/sqrt(t)")
    1/(2*sqrt(t))
    >>> parse_expression("alpha*t**(-s)", params=["alpha", "s"])
    alpha/t**s
    """
    if not isinstance(text, str):
        raise ScheduleError(f"a schedule must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ScheduleError(
            f"schedule text has {len(text)} characters; at most {MAX_LENGTH} are accepted"
        )
    if not text.strip():
        raise ScheduleError("empty schedule; write an expression in t such as '0.5/sqrt(t)'")
    if "\x00" in text:
        raise ScheduleError("schedule text contains a NUL character")
    declared = frozenset(check_parameter_name(p) for p in params)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ScheduleError(f"schedule {_short(text)!r}: syntax error{where}") from None
    except (ValueError, RecursionError, MemoryError, OverflowError):
        raise ScheduleError(f"schedule {_short(text)!r}: cannot be parsed") from None
    builder = _Builder(text.strip(), declared)
    try:
        expr = builder.build(tree)
    except ScheduleError:
        raise
    except (RecursionError, MemoryError, OverflowError, ZeroDivisionError, TypeError, ValueError):
        raise ScheduleError(f"schedule {_short(text)!r}: cannot be parsed") from None
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
        raise ScheduleError(f"schedule {_short(text)!r}: is not a finite real expression")
    return expr
