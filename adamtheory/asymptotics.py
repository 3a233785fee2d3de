"""Asymptotic orders of sequences and partial sums as t → ∞ (sympy).

The checker needs the order of Σ_{t≤T} a_t and of T α_T. For a positive sequence a_t whose
leading behaviour is c · t^p · log(t)^q (the class of power laws and logs, which covers every
schedule family in the papers), the partial sum is known in closed form up to equivalence:

====================  =================================================
leading term of a_t    Σ_{t ≤ T} a_t  (as T → ∞)
====================  =================================================
p > -1                 ~ c T^{p+1} log(T)^q / (p + 1)
p = -1, q > -1         ~ c log(T)^{q+1} / (q + 1)
p = -1, q = -1         ~ c log(log(T))
p = -1, q < -1         converges
p < -1                 converges
c t^p log^q e^{h(t)}   converges when h(t)/log(t) → -∞ (faster than any power)
====================  =================================================

(For a divergent series with positive terms, a_t ~ b_t implies Σ a_t ~ Σ b_t, and Σ b_t ~ ∫ b by
the integral test since b is eventually monotone.) Anything sympy cannot put in this form returns
``None`` and the caller falls back to a numeric certificate.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import sympy as sp

from .parsing import T as t

N = sp.Symbol("T", positive=True)
"""The horizon T of the bound."""


class SymbolicTimeout(Exception):
    """A symbolic step took longer than its budget."""


@contextmanager
def budget(seconds: float):
    """Abort the enclosed sympy work with :class:`SymbolicTimeout` after ``seconds``.

    Uses SIGALRM, so it only acts in the main thread of the main interpreter; elsewhere it is a
    no-op (the work then runs to completion).
    """
    usable = (
        seconds
        and threading.current_thread() is threading.main_thread()
        and hasattr(signal, "setitimer")
    )
    if not usable:
        yield
        return

    def _raise(signum, frame):
        raise SymbolicTimeout()

    old = signal.signal(signal.SIGALRM, _raise)
    previous = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if previous[0]:
            signal.setitimer(signal.ITIMER_REAL, *previous)


def _clean(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    # logs first (log(1/t) → -log(t)), then split powers of products: t^p log(t)^q factors
    return sp.expand_power_base(sp.expand_log(expr, force=True), force=True)


@dataclass(frozen=True)
class Leading:
    """a_t ~ coef · t^p · log(t)^q · exp(h(t)) with h = 0 or h → ±∞."""

    coef: sp.Expr
    p: sp.Expr
    q: sp.Expr
    h: sp.Expr

    def expr(self, var=t) -> sp.Expr:
        return self.coef * var**self.p * sp.log(var) ** self.q * sp.exp(self.h.subs(t, var))


def leading(expr: sp.Expr, var: sp.Symbol = t) -> Leading | None:
    """The leading behaviour of ``expr`` as ``var`` → ∞, or ``None`` if not of the handled form."""
    expr = sp.sympify(expr)
    if var not in expr.free_symbols:
        return Leading(expr, sp.Integer(0), sp.Integer(0), sp.Integer(0)) if expr != 0 else None
    # Candidates for the leading term: the leading term at x = 1/t → 0 (fast), sympy's Order
    # at infinity, and the Order at x = 1/t → 0 (the Order at infinity is wrong for some
    # differences such as (t-1)^(-1/2) - t^(-1/2): it gives O(0) or O(1)). A candidate is
    # accepted only when expr / core has a finite non-zero limit, so a wrong one is never used.
    x = sp.Dummy("x", positive=True)
    candidates = (lambda: expr.subs(var, 1 / x).as_leading_term(x).subs(x, 1 / var),
                  lambda: sp.Order(expr, (var, sp.oo)).expr,
                  lambda: sp.Order(expr.subs(var, 1 / x), x).expr.subs(x, 1 / var))
    for candidate in candidates:
        try:
            order = candidate()
        except SymbolicTimeout:
            raise
        except Exception:  # sympy raises many types (PoleError, NotImplementedError, RecursionError)
            continue
        found = _leading_of_order(expr, order, var)
        if found is not None:
            return found
    return None


def _leading_of_order(expr: sp.Expr, order: sp.Expr, var: sp.Symbol) -> Leading | None:
    """The leading behaviour c·core of ``expr`` given a candidate ``order`` (None if it is wrong)."""
    if order == 0:
        return None
    order = _clean(order, var)
    p, q, h = sp.Integer(0), sp.Integer(0), sp.Integer(0)
    rest = sp.Integer(1)
    for factor in sp.Mul.make_args(order):
        base, ex = factor.as_base_exp()
        if base == var and ex.is_number:
            p += ex
        elif base == sp.log(var) and ex.is_number:
            q += ex
        elif isinstance(factor, sp.exp) or base == sp.E:
            h += factor.args[0] if isinstance(factor, sp.exp) else ex
        elif base.is_number and base.is_positive and not ex.is_number:
            h += ex * sp.log(base)
        elif var not in factor.free_symbols:
            rest *= factor
        else:
            return None
    h = sp.expand(h)
    core = var**p * sp.log(var) ** q * sp.exp(h)
    try:
        ratio = sp.simplify(sp.powsimp(expr / core, force=True))
        coef = ratio if var not in ratio.free_symbols else sp.limit(ratio, var, sp.oo)
    except SymbolicTimeout:
        raise
    except Exception:
        return None
    if coef.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or coef == 0 or not coef.is_number:
        return None
    if h != 0:
        try:
            hlim = sp.limit(h, var, sp.oo)
        except SymbolicTimeout:
            raise
        except Exception:
            return None
        if hlim not in (sp.oo, -sp.oo):
            coef, h = coef * sp.exp(hlim), sp.Integer(0)
    return Leading(sp.nsimplify(coef) if coef.is_Float else coef, p, q, h)


@dataclass(frozen=True)
class SumOrder:
    """Σ_{t≤T} a_t: either ~ ``equivalent`` (an expression in T) or convergent."""

    convergent: bool
    equivalent: sp.Expr | None  # None when convergent

    def describe(self) -> str:
        if self.convergent:
            return "O(1) (the series converges)"
        return f"~ {sp.sstr(self.equivalent)}"


def partial_sum_order(a: sp.Expr) -> SumOrder | None:
    """Asymptotic order of Σ_{t=1}^T a_t for a positive sequence a_t (see module table)."""
    lead = leading(a)
    if lead is None:
        return None
    c, p, q, h = lead.coef, lead.p, lead.q, lead.h
    if h != 0:
        # t^p log(t)^q e^{h(t)} ≤ t^{-2} eventually iff h(t)/log(t) → -∞; an h that tends to -∞
        # more slowly (e.g. -log(t)^(1/3)) can leave the series divergent: not decided here
        hlim = sp.limit(h / sp.log(t), t, sp.oo)
        if hlim == -sp.oo:
            return SumOrder(True, None)
        return None
    if p > -1:
        return SumOrder(False, c * N ** (p + 1) * sp.log(N) ** q / (p + 1))
    if p == -1:
        if q > -1:
            return SumOrder(False, c * sp.log(N) ** (q + 1) / (q + 1))
        if q == -1:
            return SumOrder(False, c * sp.log(sp.log(N)))
        return SumOrder(True, None)
    return SumOrder(True, None)


def order_string(expr: sp.Expr) -> str:
    """Big-O form of ``expr`` in T with constant factors dropped, e.g. ``O(log(T)/sqrt(T))``."""
    lead = leading(expr.subs(N, t))
    if lead is None:
        return f"O({sp.sstr(expr)})"
    core = (t**lead.p * sp.log(t) ** lead.q * sp.exp(lead.h)).subs(t, N)
    return f"O({sp.sstr(core)})"


def exponents(expr: sp.Expr) -> tuple[float, float] | None:
    """(p, q) with expr ~ c T^p log(T)^q, or None (exponential factors, unknown form)."""
    lead = leading(expr.subs(N, t))
    if lead is None or lead.h != 0:
        return None
    return float(lead.p), float(lead.q)
