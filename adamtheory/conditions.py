"""The sufficient condition for Generic Adam (REFERENCE section 2), decided for a spec.

A verdict rests on a statement that ``docs/derivations.md`` proves, and names it. Theorem 1
there bounds (E||∇f(x_τ)||^{4/3})^{3/2} by (C + C'·S_T + C''·D_T + C'''·V_T) / (T α_T), with
S_T = Σ_{t≤T} α_t sqrt(1 - θ_t), D_T = Σ_{2≤t≤T} |α_{t-1} - α_t| / sqrt(1 - θ_{t-1}) and
V_T = Σ_{2≤t≤T} |β_t/(1-β_t) - β_{t-1}/(1-β_{t-1})|. The checker decides each hypothesis of
the theorem and each condition of its corollaries as one item of the verdict:

* **form** the form of the algorithm the theorem is proved for: ε enters only as v_0 = ε
  (``eps_mode="v0"``); Adam's bias correction is a fixed factor of α_t only for constant β and
  θ, and is then folded into α_t exactly;
* **H0** θ_1 > 0 (with θ_1 = 0, v_1 = g_1² and ε is dropped: a zero coordinate of g_1 gives 0/0);
* **SC1** 0 ≤ β_t ≤ β < 1 for a constant β;
* **SC2** 0 ≤ θ_t < 1, θ_t non-decreasing, θ_t > 0 from t = 2 on;
* **SC3** χ_t = α_t / sqrt(1 - θ_t) is almost non-increasing; the smallest constant is
  C_0 = sup_t χ_t / min_{k≤t} χ_k;
* **SC4** β² < θ := lim θ_t, reported with t_0 = min{t : θ_t > β²} and γ = β²/θ_{t_0}
  (given SC2, θ_t is non-decreasing, so SC4 holds iff such a t_0 exists);
* **convergence** S_T = o(T α_T);
* **D_T**, **V_T** D_T = o(T α_T) and V_T = o(T α_T) (an oscillating α_t or β_t breaks them
  while SC1-SC4 and the convergence condition hold).

Each item is *holds*, *fails* or *undecided*, with a one-line reason and the method that decided
it: ``symbolic`` (sympy, exact), or ``numeric`` (a certificate computed over a stated range of t,
used when sympy cannot decide; the range is part of the answer). Nothing is guessed silently.

``converges`` is True only when every item holds (:data:`COROLLARY_1`: the right-hand side
tends to 0, at the rate O((1 + S_T + D_T + V_T) / (T α_T)) of :attr:`Verdict.rate`). When every
item but the convergence condition holds and S_T / (T α_T) → ℓ ∈ (0, ∞), :data:`COROLLARY_2`
gives the bound's floor ℓ·C' (:attr:`Verdict.floor`), an expression in the problem's constants
G, L, d, ε; it does not shrink as θ → 1, because C' contains χ_1 = α_1/sqrt(1-θ_1).
"""

from __future__ import annotations

import contextvars
import functools
import json
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from .asymptotics import (
    N,
    SymbolicTimeout,
    budget,
    exponents,
    order_string,
    partial_sum_order,
)
from .errors import InputError, ScheduleError
from .parsing import T as t
from .schedules import Schedule
from .specs import RANGES, OptimizerSpec, check_range
from .theorem import SYM, constants_symbolic, schedule_constants
from .usercache import read_entry, write_entry

HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"
SYMBOLIC, NUMERIC = "symbolic", "numeric"
CONDITIONS = ("form", "H0", "SC1", "SC2", "SC3", "SC4", "convergence", "D_T", "V_T")

#: The statements of docs/derivations.md a verdict rests on.
THEOREM_1 = "Theorem 1 (docs/derivations.md §4)"
COROLLARY_1 = "Corollary 1 of Theorem 1 (docs/derivations.md §4): S_T, D_T, V_T = o(T α_T)"
COROLLARY_2 = "Corollary 2 of Theorem 1 (docs/derivations.md §4): the floor ℓ·C'"

THEOREM_2 = "Theorem 2 (docs/derivations.md §4b)"
#: The statements :func:`statement` chooses from, tightest first (same hypotheses; Theorem 2's
#: constants are never larger, its α-weighted form has denominator Σ α_t ≥ T α_T / C_0).
STATEMENTS = ("theorem-2-weighted", "theorem-2-uniform", "theorem-1")

#: Steps t = 1..NUMERIC_RANGE are evaluated for numeric certificates and range checks.
NUMERIC_RANGE = 10**6
#: Seconds allowed to each symbolic step before falling back to numbers.
SYMBOLIC_BUDGET = 10.0
#: Numeric certificate for the convergence condition: the log-log slope of the ratio
#: Σ α_t sqrt(1-θ_t) / (T α_T) over the last two decades of the range must be below
#: -RATIO_SLOPE_HOLDS (and the ratio decreasing) to hold, above -RATIO_SLOPE_FAILS to fail.
RATIO_SLOPE_HOLDS = 0.02
RATIO_SLOPE_FAILS = 0.005
#: Numeric certificate for SC3: the ratio χ_t / min_{k≤t} χ_k counts as unbounded when its
#: log-log slope over the last decade exceeds this.
CHI_SLOPE_FAILS = 0.01


@dataclass(frozen=True)
class ConditionResult:
    """One condition's verdict."""

    name: str
    status: str
    reason: str
    method: str = SYMBOLIC
    range: tuple[int, int] | None = None
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"status": self.status, "reason": self.reason, "method": self.method}
        if self.range is not None:
            out["range"] = list(self.range)
        out.update({k: _jsonable(v) for k, v in self.details.items()})
        return out


@dataclass(frozen=True)
class Verdict:
    """The checker's answer for one spec."""

    spec: OptimizerSpec
    conditions: dict
    sum_order: str | None
    step_order: str | None
    ratio_limit: str | None
    rate: str | None
    rate_exponent: float | None
    rate_log_power: float | None
    converges: bool | None
    bound: str
    notes: tuple = ()
    theorem: str | None = None
    floor: dict | None = None

    @property
    def method(self) -> str:
        methods = {c.method for c in self.conditions.values()}
        return NUMERIC if NUMERIC in methods else SYMBOLIC

    @classmethod
    def from_dict(cls, spec: OptimizerSpec, data: dict) -> Verdict:
        """The verdict ``data`` (a :meth:`to_dict`) of ``spec``: what the verdict cache reads
        back. Details keep their JSON form (numbers as floats, expressions as text)."""
        conds = {}
        for name, c in data["conditions"].items():
            rest = {k: v for k, v in c.items() if k not in ("status", "reason", "method", "range")}
            rng = c.get("range")
            conds[name] = ConditionResult(name, c["status"], c["reason"], c["method"],
                                          None if rng is None else tuple(rng), rest)
        return cls(spec=spec, conditions=conds, sum_order=data["sum_order"],
                   step_order=data["T_alpha_T_order"], ratio_limit=data["ratio_limit"],
                   rate=data["rate"], rate_exponent=data["rate_exponent"],
                   rate_log_power=data["rate_log_power"], converges=data["converges"],
                   bound=data["bound"], notes=tuple(data["notes"]), theorem=data["theorem"],
                   floor=data["floor"])

    def to_dict(self) -> dict:
        return {
            "optimizer": self.spec.name,
            "alpha": self.spec.alpha.describe(),
            "beta": self.spec.beta.describe(),
            "theta": self.spec.theta.describe(),
            "conditions": {k: v.to_dict() for k, v in self.conditions.items()},
            "sum_order": self.sum_order,
            "T_alpha_T_order": self.step_order,
            "ratio_limit": self.ratio_limit,
            "rate": self.rate,
            "rate_exponent": self.rate_exponent,
            "rate_log_power": self.rate_log_power,
            "converges": self.converges,
            "bound": self.bound,
            "method": self.method,
            "theorem": self.theorem,
            "floor": self.floor,
            "notes": list(self.notes),
        }


def headline(verdict: Verdict) -> str:
    """The one-line verdict every front end prints (CLI, plots, figures, demo).

    * ``"converges (Corollary 1), <rate>"`` when every item holds;
    * ``"no guarantee: the bound tends to its floor (Corollary 2)"`` when only the convergence
      condition fails and Corollary 2 gives the floor ℓ·C';
    * ``"no guarantee: <items> fail(s)"`` when an item fails (the condition is sufficient, not
      necessary);
    * ``"undecided: <items> could not be decided"`` otherwise.

    >>> from adamtheory import named
    >>> headline(check(named("adagrad")))
    'no guarantee: H0 fails'
    """
    if verdict.converges:
        rate = verdict.rate or "rate unknown"
        return f"converges (Corollary 1), {rate}"
    failed = [k for k, c in verdict.conditions.items() if c.status == FAILS]
    if verdict.converges is False:
        if verdict.floor is not None and failed == ["convergence"]:
            return "no guarantee: the bound tends to its floor (Corollary 2)"
        return f"no guarantee: {', '.join(failed)} fail{'s' if len(failed) == 1 else ''}"
    undecided = [k for k, c in verdict.conditions.items() if c.status == UNDECIDED]
    return f"undecided: {', '.join(undecided) or 'an item'} could not be decided"


def statement(verdict: Verdict, lhs: str | None = None) -> dict | None:
    """The tightest proved statement that covers the verdict's spec, for rates and overlays.

    Theorems 1 and 2 have the same hypotheses (the verdict's items); Theorem 2's constants are
    computed per step and its α-weighted form (τ drawn ∝ α_t) drops Lemma 6. So when the verdict
    rests on Corollary 1 or 2 the tightest statement is Theorem 2, α-weighted τ (``lhs=
    "uniform"``: Theorem 2 with τ uniform), with the same rate order as :attr:`Verdict.rate`
    (Corollary 3: Σ_{t≤T} α_t ≥ T α_T / C_0, so the α-weighted rate is at least as fast). Its
    numbers on a problem: :func:`adamtheory.bounds.generic_bound` (``statements``,
    ``tightest``). None when no statement covers the spec.

    Returns
    -------
    dict or None
        ``{"statement": key of STATEMENTS, "theorem": text, "lhs": "uniform" | "alpha-weighted",
        "converges": bool, "rate": str | None, "floor": bool}``.
    """
    if verdict.theorem is None:
        return None
    side = "alpha-weighted" if lhs in (None, "alpha-weighted") else "uniform"
    if side not in ("uniform", "alpha-weighted") or lhs not in (None, "uniform", "alpha-weighted"):
        raise InputError(f"lhs must be 'uniform' or 'alpha-weighted', got {lhs!r}")
    key = "theorem-2-weighted" if side == "alpha-weighted" else "theorem-2-uniform"
    what = "τ drawn with probability α_t/Σ α_s" if side == "alpha-weighted" else "τ uniform on {1..T}"
    return {"statement": key, "theorem": f"{THEOREM_2}, {what}", "lhs": side,
            "converges": bool(verdict.converges), "rate": verdict.rate,
            "floor": verdict.floor is not None}


def _jsonable(v):
    if isinstance(v, sp.Basic):
        if v.is_number:
            f = float(v)
            return f if math.isfinite(f) else str(v)
        return str(v)
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def _fmt(x) -> str:
    """A number for a reason line: exact when short, else 4 significant digits."""
    if isinstance(x, sp.Basic) and x.is_Rational and len(str(x)) <= 12:
        return str(x)
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return str(x)


def _range_str(n: int) -> str:
    e = math.log10(n)
    return f"t = 1..10^{int(e)}" if e == int(e) else f"t = 1..{n}"


_SYMBOLIC = contextvars.ContextVar("symbolic", default=True)
#: Seconds of sympy work allowed to one :func:`check` in all; past it every item still to be
#: decided falls back to its numeric certificate (SYMBOLIC_BUDGET bounds each call).
CHECK_SYMBOLIC_BUDGET = 9.0
_DEADLINE = contextvars.ContextVar("deadline", default=None)
#: During a check: a one-element list set to True when a time budget ran out (a verdict that
#: depended on the machine's speed is not cached).
_TIMED_OUT = contextvars.ContextVar("timed_out", default=None)


def _ran_out() -> None:
    flag = _TIMED_OUT.get()
    if flag is not None:
        flag[0] = True


def _remaining(seconds: float) -> float:
    """``seconds``, cut to what is left of the check's total symbolic budget (≤ 0: none left)."""
    deadline = _DEADLINE.get()
    return seconds if deadline is None else min(seconds, deadline - time.monotonic())


#: The exception types sympy (and mpmath under it) raises when it cannot decide: an error of one
#: of these types raised *inside* sympy or mpmath is "sympy gave up" and :func:`_safe` returns
#: None; any other exception (a coding bug in the caller) propagates.
SYMPY_ERRORS = (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError,
                AttributeError, IndexError, KeyError, sp.polys.polyerrors.BasePolynomialError,
                sp.core.function.PoleError)
_SYMPY_PACKAGES = ("sympy", "mpmath")


def _raised_in_sympy(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc``'s traceback is sympy's or mpmath's code
    (a RecursionError counts wherever it ends: sympy's recursion runs through our lambdas)."""
    if isinstance(exc, RecursionError):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    module = tb.tb_frame.f_globals.get("__name__", "")
    return module.split(".")[0] in _SYMPY_PACKAGES


def _safe(fn, *args, seconds=SYMBOLIC_BUDGET):
    """Run a sympy call under a time budget; None on timeout, when sympy gives up (an exception
    of :data:`SYMPY_ERRORS` raised inside sympy or mpmath), or when symbolic analysis is switched
    off (``check(..., symbolic=False)``). Any other exception is a bug and propagates."""
    if not _SYMBOLIC.get():
        return None
    seconds = _remaining(seconds)
    if seconds <= 0:
        _ran_out()
        return None
    try:
        with budget(seconds):
            return fn(*args)
    except SymbolicTimeout:
        _ran_out()
        return None
    except SYMPY_ERRORS as exc:
        if _raised_in_sympy(exc):
            return None
        raise


def _limit(expr, var=t):
    """lim_{var→∞} expr when sympy finds a number or ±∞; None otherwise."""
    lim = _safe(lambda: sp.limit(expr, var, sp.oo))
    if lim is None or not (lim.is_number or lim in (sp.oo, -sp.oo)) or lim.has(sp.nan, sp.zoo):
        return None
    return lim


def _interval(a=1):
    return sp.Interval(a, sp.oo)


# ----------------------------------------------------------------------------- validation
def _exact_at(expr: sp.Expr, k: int) -> sp.Expr:
    """Value at t = k: exact when cheap, else 50 digits (:func:`adamtheory.schedules.exact_at`;
    never expands a huge exact power such as (1/2)**(10^29))."""
    from .schedules import exact_at

    return exact_at(expr, k)


def validate(spec: OptimizerSpec, n: int = NUMERIC_RANGE, notes: list | None = None) -> dict:
    """Check that the spec's schedules are valid on t = 1..n and return their float tables.

    Raises :class:`ScheduleError` with one line naming the schedule, the step and the fix when
    α_t ≤ 0, β_t or θ_t leave [0, 1), or any value is not finite (e.g. division by zero at t = 1).

    Validity is decided on the exact values: a float64 value at the edge is rechecked with the
    sign of α_t, β_t and 1 - θ_t at that step (exact when cheap, else 50 digits with an
    arbitrary exponent, :func:`adamtheory.schedules.sign_at`). A schedule that is valid exactly
    but rounds to the edge in float64 (θ_t = 1 - exp(-exp(t)) < 1 for every t, yet 1 - θ_4 =
    1.8e-24 rounds θ_4 to 1.0) is accepted, and a note saying so is appended to ``notes``: the
    float tables (simulations, numeric certificates) then hold the rounded value.
    """
    from .errors import InputError

    if not isinstance(spec, OptimizerSpec):
        raise InputError(f"validate() needs an OptimizerSpec, got {type(spec).__name__}; build one "
                         "with OptimizerSpec.from_text(...) or adamtheory.named(...)")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"the number of steps must be an integer >= 1, got {n!r}")
    n = int(n)
    tables = {}
    for role, (sym, need) in RANGES.items():
        sched: Schedule = getattr(spec, role)
        expr = sched.bound_expr
        try:
            first = _exact_at(expr, 1)
        except ScheduleError as exc:
            raise ScheduleError(f"{role} = {sched}: at t = 1, {exc}") from None
        if first.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or (first.is_number and first.has(sp.I)):
            raise ScheduleError(
                f"{role} = {sched}: not defined at t = 1 (division by zero?); steps start at t = 1"
            )
        values = sched.values(n)
        try:  # the one range rule (float64, edges decided exactly), shared with the sweeps
            rounded = check_range(role, sched, values)
        except ScheduleError as exc:
            raise ScheduleError(f"{role} = {sched}: {exc}") from None
        if rounded:
            if notes is not None:
                k = rounded[0]
                gap = expr if role == "alpha" else 1 - expr
                what = f"1 - {sym[0]}_{k}" if role != "alpha" else f"{sym[0]}_{k}"
                edge = "0.0" if role == "alpha" else "1.0"
                notes.append(
                    f"{role} = {sched}: exactly {sym} {need} (at t = {k}, {what} = "
                    f"{_fmt(_exact_at(gap, k))}), but float64 rounds {sym} to {edge} there; "
                    "simulations and numeric certificates use the rounded value"
                )
        tables[role] = values
    return tables


# ----------------------------------------------------------------------------- SC1
def _sc1(beta: sp.Expr, values: np.ndarray, n: int):
    if t not in beta.free_symbols:
        return ConditionResult(
            "SC1", HOLDS, f"β_t = {_fmt(beta)} is constant in [0, 1)", details={"beta": beta}
        ), beta
    lim = _limit(beta)
    if lim is not None and lim.is_number and lim >= 1:
        return ConditionResult(
            "SC1", FAILS, f"β_t → {_fmt(lim)}, so no constant β < 1 bounds it",
            details={"beta_limit": lim},
        ), None
    sup = _safe(lambda: sp.calculus.util.maximum(beta, t, _interval()))
    if sup is not None and sup.is_number and sup < 1 and lim is not None:
        return ConditionResult(
            "SC1", HOLDS, f"0 ≤ β_t ≤ β = {_fmt(sup)} < 1 (sup over t ≥ 1; β_t → {_fmt(lim)})",
            details={"beta": sup},
        ), sup
    # numeric certificate
    top = float(values.max())
    tail = values[n // 10 :]
    rising = tail[-1] > tail[0] and (1 - tail[-1]) < 0.5 * (1 - tail[0])
    if rising:
        return ConditionResult(
            "SC1", UNDECIDED,
            f"β_t keeps approaching 1 on {_range_str(n)} (max {top:.6g}); sympy could not decide",
            NUMERIC, (1, n),
        ), None
    return ConditionResult(
        "SC1", HOLDS, f"max β_t = {top:.6g} < 1 on {_range_str(n)} and not approaching 1",
        NUMERIC, (1, n), {"beta": top},
    ), sp.nsimplify(top)


# ----------------------------------------------------------------------------- SC2
def _first_decrease(values: np.ndarray, expr: sp.Expr) -> int | None:
    d = np.diff(values)
    cand = np.flatnonzero(d < -1e-12 * np.maximum(np.abs(values[1:]), 1e-300))
    for k in cand[:10] + 1:
        a, b = _exact_at(expr, int(k)), _exact_at(expr, int(k) + 1)
        if sp.N(b - a, 30) < 0:
            return int(k)
    return None


def _sc2(theta: sp.Expr, values: np.ndarray, n: int):
    th1 = theta.subs(t, 1)
    if t not in theta.free_symbols:
        if theta == 0:
            return ConditionResult(
                "SC2", FAILS, "θ_t = 0 for all t: θ_t > 0 is needed from t = 2 on", details={"theta_1": 0}
            ), theta
        return ConditionResult(
            "SC2", HOLDS, f"θ_t = {_fmt(theta)} is constant in (0, 1)", details={"theta_limit": theta}
        ), theta
    lim = _limit(theta)
    k = _first_decrease(values, theta)
    if k is not None:
        return ConditionResult(
            "SC2", FAILS, f"θ_t decreases: θ_{k} = {_fmt(_exact_at(theta, k))} > "
            f"θ_{k + 1} = {_fmt(_exact_at(theta, k + 1))}", details={"theta_1": th1},
        ), lim
    zero = np.flatnonzero(values[1:] <= 0)
    if zero.size:
        k = int(zero[0]) + 2
        if _exact_at(theta, k) <= 0:
            return ConditionResult(
                "SC2", FAILS, f"θ_{k} = 0; θ_t > 0 is needed from t = 2 on", details={"theta_1": th1}
            ), lim
    inc = _safe(lambda: sp.is_increasing(theta, _interval(), t))
    below_one = _safe(lambda: sp.solveset(theta >= 1, t, _interval()) == sp.S.EmptySet)
    positive = _safe(lambda: sp.solveset(theta <= 0, t, _interval(2)) == sp.S.EmptySet)
    details = {"theta_1": th1, "theta_limit": lim}
    if inc and below_one and positive and lim is not None:
        return ConditionResult(
            "SC2", HOLDS,
            f"θ_t is non-decreasing from θ_1 = {_fmt(th1)} towards {_fmt(lim)}, < 1 and > 0 for t ≥ 2",
            details=details,
        ), lim
    # numeric certificate: no decrease, no zero after t = 1, < 1 on the range (validated)
    tail = float(values[-1])
    return ConditionResult(
        "SC2", HOLDS,
        f"θ_t is non-decreasing, in (0, 1) for t ≥ 2 on {_range_str(n)} (θ_n = {tail:.10g}); "
        "sympy could not decide beyond",
        NUMERIC, (1, n), {"theta_1": th1, "theta_limit": lim if lim is not None else tail},
    ), (lim if lim is not None else None)


# ----------------------------------------------------------------------------- SC3
def _c0_prefix(chi_vals: np.ndarray) -> float:
    return float(np.max(chi_vals / np.minimum.accumulate(chi_vals)))


def _last_moves(expr: sp.Expr, values: np.ndarray) -> tuple[int, int]:
    """(k_up, k_down): the last steps k of the table ``values`` (t = 1..n) with
    expr(k+1) > expr(k), resp. expr(k+1) < expr(k), each confirmed by the exact sign of
    expr(k+1) - expr(k) (:func:`adamtheory.schedules.sign_at`); 0 when the table shows no such
    move beyond rounding (relative 1e-9) or the exact sign does not confirm it.

    A confirmed k_up disproves "non-increasing on [t1, ∞)" for every t1 ≤ k_up (and k_down
    "non-decreasing"), so sympy need not be asked there; the table only proposes the witness,
    the exact evaluation decides."""
    from .schedules import sign_at

    d = np.diff(values)
    tol = 1e-9 * np.abs(values[1:])
    out = []
    for moved, sign in ((d > tol, 1), (d < -tol, -1)):
        idx = np.flatnonzero(moved)
        k = int(idx[-1]) + 1 if idx.size else 0
        if k and sign_at(expr.subs(t, t + 1) - expr, k) != sign:
            k = 0
        out.append(k)
    return out[0], out[1]


#: the functions a schedule may contain for :func:`_log_derivative_sign` to differentiate it
_ELEMENTARY = (sp.log, sp.exp)


@functools.lru_cache(maxsize=256)
def _log_derivative_parts(expr: sp.Expr):
    """d log(expr)/dt split as (r, signs): r is the sum of its rational-function terms (one
    fraction), ``signs`` the set of signs (±1) of the other terms, each decided by sympy's
    assumptions for every t > 0; None when ``expr`` is not a positive product of powers of
    elementary functions (:data:`_ELEMENTARY`) or a term's sign is not known.

    The terms come from ``expand_log(log(expr), force=True)``; d log|f|/dt = f'/f whatever the
    sign of f, and the sum is compared with expr'/expr at three points (relative 1e-12), so a
    rewriting sympy got wrong gives None, not a wrong sign."""
    if expr.is_positive is not True or any(
            not isinstance(f, _ELEMENTARY) for f in expr.atoms(sp.Function)):
        return None
    d = sp.expand(sp.diff(sp.expand_log(sp.log(expr), force=True), t))
    direct = sp.diff(expr, t) / expr
    for x in (sp.Rational(3, 2), sp.Rational(37, 3), sp.Integer(1009)):
        a, b = sp.N(d.subs(t, x), 30), sp.N(direct.subs(t, x), 30)
        if not (a.is_number and b.is_number) or abs(a - b) > 1e-12 * (1 + abs(b)):
            return None
    rational, signs = [], set()
    for term in sp.Add.make_args(d):
        if term.is_rational_function(t):
            rational.append(term)
        elif term.is_nonpositive:
            signs.add(-1)
        elif term.is_nonnegative:
            signs.add(1)
        else:
            return None
    return sp.cancel(sp.Add(*rational)), frozenset(signs)


def _log_derivative_sign(expr: sp.Expr, a) -> int | None:
    """-1 (non-increasing) or +1 (non-decreasing) when d log(expr)/dt has that sign on every
    t > a and expr is continuous on [a, ∞), by :func:`_log_derivative_parts`: the other terms'
    signs hold for all t > 0, and the rational part keeps the sign it has at t = a + 1 when
    neither its numerator nor its denominator has a real root in (a, ∞) (nor the denominator
    at a). None otherwise (including a constant)."""
    parts = _log_derivative_parts(expr)
    if parts is None:
        return None
    r, signs = parts
    signs = set(signs)
    if r != 0:
        num, den = sp.fraction(sp.together(r))
        for p, closed in ((num, False), (den, True)):
            if t in p.free_symbols:
                roots = sp.Poly(p, t).real_roots()
                if any(z > a or (closed and z == a) for z in roots):
                    return None
        s = sp.sign(r.subs(t, a + 1))
        if s not in (1, -1):
            return None
        signs.add(int(s))
    return signs.pop() if len(signs) == 1 else None


def _monotone(expr: sp.Expr, a, sign: int, seconds=SYMBOLIC_BUDGET) -> bool | None:
    """Whether ``expr`` is non-increasing (sign -1) or non-decreasing (+1) on [a, ∞): first by
    the sign of its log-derivative (:func:`_log_derivative_sign`, milliseconds), then by
    sympy's ``is_decreasing``/``is_increasing`` under the time budget."""
    known = _safe(_log_derivative_sign, expr, a, seconds=min(seconds, 2))
    if known is not None:
        return known == sign
    test = sp.is_decreasing if sign < 0 else sp.is_increasing
    return _safe(lambda: test(expr, _interval(a), t), seconds=seconds)


def _sc3(alpha: sp.Expr, theta: sp.Expr, tables: dict, n: int):
    chi = _safe(sp.simplify, alpha / sp.sqrt(1 - theta)) or alpha / sp.sqrt(1 - theta)
    chi_vals = tables["alpha"] / np.sqrt(1.0 - tables["theta"])
    details = {"chi": chi, "chi_1": chi.subs(t, 1)}
    if t not in chi.free_symbols:
        return ConditionResult(
            "SC3", HOLDS, f"χ_t = α_t/sqrt(1-θ_t) = {_fmt(chi)} is constant (C_0 = 1)",
            details={**details, "C0": 1},
        )
    lim = _limit(chi)
    if lim == sp.oo:
        lead = _safe(order_string, chi.subs(t, N))
        grows = f" ~ {lead[2:-1]}" if lead else ""
        return ConditionResult(
            "SC3", FAILS,
            f"χ_t = α_t/sqrt(1-θ_t){grows.replace('T', 't')} grows without bound, so it is not "
            "almost non-increasing",
            details=details,
        )
    k_up, k_down = _last_moves(chi, chi_vals) if _SYMBOLIC.get() else (0, 0)
    if not k_up and _monotone(chi, 1, -1):
        return ConditionResult(
            "SC3", HOLDS, f"χ_t = α_t/sqrt(1-θ_t) = {chi} is non-increasing (C_0 = 1)",
            details={**details, "C0": 1},
        )
    if lim is not None and lim.is_number and lim >= 0:
        # find t1 from which χ is monotone; C_0 is then a finite computation
        deadline = time.monotonic() + SYMBOLIC_BUDGET
        for e in range(1, 21):
            t1 = 2**e
            if t1 > n or time.monotonic() > deadline:
                break
            dec = t1 > k_up and _monotone(chi, t1, -1, seconds=3)
            inc = not dec and lim > 0 and t1 > k_down and _monotone(chi, t1, 1, seconds=3)
            if dec or inc:
                pre = chi_vals[:t1]
                c0 = _c0_prefix(pre)
                if inc:
                    c0 = max(c0, float(lim) / float(pre.min()))
                how = "decreasing" if dec else f"increasing to {_fmt(lim)}"
                return ConditionResult(
                    "SC3", HOLDS,
                    f"χ_t = α_t/sqrt(1-θ_t) is {how} from t = {t1} on; C_0 = {c0:.4g}",
                    details={**details, "C0": c0, "monotone_from": t1},
                )
    # numeric certificate over the range
    ratio = chi_vals / np.minimum.accumulate(chi_vals)
    c0 = float(ratio.max())
    idx = np.unique(np.geomspace(n // 10, n, 50).astype(int)) - 1
    slope = float(np.polyfit(np.log(idx + 1.0), np.log(ratio[idx]), 1)[0])
    if slope > CHI_SLOPE_FAILS:
        return ConditionResult(
            "SC3", FAILS,
            f"χ_t / min_(k≤t) χ_k grows like t^{slope:.2f} on {_range_str(n)}: not almost non-increasing",
            NUMERIC, (1, n), {**details, "ratio_slope": slope},
        )
    return ConditionResult(
        "SC3", HOLDS,
        f"χ_t / min_(k≤t) χ_k ≤ C_0 = {c0:.4g} on {_range_str(n)} and flat over the last decade",
        NUMERIC, (1, n), {**details, "C0": c0},
    )


# ----------------------------------------------------------------------------- SC4
def _sc4(beta_bound, theta: sp.Expr, theta_lim, tables: dict, n: int):
    if beta_bound is None:
        return ConditionResult("SC4", UNDECIDED, "needs the bound β of SC1, which is not established")
    b2 = sp.nsimplify(beta_bound) ** 2 if not isinstance(beta_bound, sp.Basic) else beta_bound**2
    above = np.flatnonzero(tables["theta"] > float(b2))
    for k in above[:5] + 1:
        th = _exact_at(theta, int(k))
        if sp.N(th - b2, 30) > 0:
            k = int(k)
            gamma = b2 / th
            return ConditionResult(
                "SC4", HOLDS,
                f"β² = {_fmt(b2)} < θ_t from t_0 = {k} on (θ is non-decreasing); γ = β²/θ_(t_0) = {_fmt(gamma)}",
                details={"beta_sq": b2, "t0": k, "gamma": gamma, "theta_limit": theta_lim},
            )
    if theta_lim is not None and theta_lim.is_number and theta_lim <= b2:
        return ConditionResult(
            "SC4", FAILS, f"β² = {_fmt(b2)} ≥ θ = lim θ_t = {_fmt(theta_lim)}",
            details={"beta_sq": b2, "theta_limit": theta_lim},
        )
    return ConditionResult(
        "SC4", UNDECIDED, f"θ_t ≤ β² = {_fmt(b2)} on {_range_str(n)} and lim θ_t is not known",
        NUMERIC, (1, n),
    )


# ----------------------------------------------------------------------------- convergence
@dataclass
class _Rate:
    result: ConditionResult
    sum_order: str | None = None
    step_order: str | None = None
    ratio_limit: str | None = None
    rate: str | None = None
    exponent: float | None = None
    log_power: float | None = None
    bound: str = ""
    #: S_T ~ ``numerator`` (an expression in T; None when S_T converges), decided symbolically
    numerator: sp.Expr | None = None
    #: the exact limit ℓ of S_T / (T α_T) when it is a positive number
    limit: sp.Expr | None = None


def _convergence_symbolic(alpha: sp.Expr, theta: sp.Expr) -> _Rate | None:
    a = alpha * sp.sqrt(1 - theta)
    so = _safe(partial_sum_order, a)
    step = alpha.subs(t, N) * N
    step_lim = _limit(step, N)
    if so is None or step_lim is None:
        return None
    step_order = _safe(order_string, step)
    if so.convergent:
        sum_order = "O(1) (the series converges)"
        if step_lim == sp.oo:
            res = ConditionResult(
                "convergence", HOLDS,
                f"Σ α_t sqrt(1-θ_t) converges while T α_T ~ {step_order[2:-1]} → ∞",
                details={"ratio_limit": 0},
            )
            return _Rate(res, sum_order, step_order, "0")
        res = ConditionResult(
            "convergence", FAILS,
            f"T α_T stays bounded (→ {_fmt(step_lim)}) while Σ α_t sqrt(1-θ_t) > 0: the ratio does not vanish",
            details={"ratio_limit": "positive"},
        )
        return _Rate(res, sum_order, step_order, "> 0", bound="no decay: T α_T does not grow")
    sum_order = f"~ {sp.sstr(so.equivalent)}"
    lim = _limit(sp.simplify(so.equivalent / step), N)
    if lim is None:
        return None
    ratio = _fmt(lim) if lim.is_number and lim != sp.oo else str(lim)
    if lim == 0:
        res = ConditionResult(
            "convergence", HOLDS,
            f"Σ α_t sqrt(1-θ_t) {sum_order} is o(T α_T) with T α_T ~ {step_order[2:-1]}",
            details={"ratio_limit": 0},
        )
        return _Rate(res, sum_order, step_order, ratio, numerator=so.equivalent)
    if lim == sp.oo:
        res = ConditionResult(
            "convergence", FAILS,
            f"Σ α_t sqrt(1-θ_t) {sum_order} outgrows T α_T ~ {step_order[2:-1]}: the bound diverges",
            details={"ratio_limit": "oo"},
        )
        return _Rate(res, sum_order, step_order, "oo", bound="no guarantee: the right-hand side grows with T")
    res = ConditionResult(
        "convergence", FAILS,
        f"Σ α_t sqrt(1-θ_t) / (T α_T) → ℓ = {_fmt(lim)} ≠ 0",
        details={"ratio_limit": lim},
    )
    return _Rate(res, sum_order, step_order, ratio, numerator=so.equivalent, limit=lim,
                 bound=f"the bound does not vanish: S_T/(T α_T) → ℓ = {_fmt(lim)}")


def _slope_certificate(name: str, what: str, cum: np.ndarray, alpha: np.ndarray, n: int):
    """Numeric certificate that ``cum`` (a partial-sum table over t = 1..n) is o(T α_T): the
    log-log slope of cum_T/(T α_T) over the last two decades of the range, with the thresholds
    of the convergence condition. Returns (ConditionResult, ratio table)."""
    ts = np.arange(1, n + 1, dtype=float)
    with np.errstate(all="ignore"):
        ratio = cum / (ts * alpha)
    rng = _range_str(n)
    if not np.all(np.isfinite(ratio)):
        return ConditionResult(name, UNDECIDED, f"{what} is not finite in float64 on {rng} "
                               "(1 - θ_t rounds to 0): no numeric certificate", NUMERIC, (1, n)), ratio
    if not np.any(cum > 0):
        return ConditionResult(name, HOLDS, f"{what} = 0 on {rng}", NUMERIC, (1, n),
                               {"ratio_at_end": 0.0}), ratio
    grid = np.unique(np.geomspace(max(10, n // 100), n, 25).astype(int)) - 1
    grid = grid[ratio[grid] > 0]
    details = {"ratio_at_end": float(ratio[-1])}
    if grid.size < 5:
        return ConditionResult(name, UNDECIDED, f"{what} / (T α_T) is 0 on most of {rng}",
                               NUMERIC, (1, n), details), ratio
    slope = float(np.polyfit(np.log(ts[grid]), np.log(ratio[grid]), 1)[0])
    details["ratio_slope"] = slope
    if slope < -RATIO_SLOPE_HOLDS and bool(np.all(np.diff(ratio[grid]) < 0)):
        return ConditionResult(
            name, HOLDS, f"{what} / (T α_T) falls like T^{slope:.3f} over the last two decades of {rng}",
            NUMERIC, (1, n), details), ratio
    if slope > -RATIO_SLOPE_FAILS:
        return ConditionResult(
            name, FAILS, f"{what} / (T α_T) does not fall over {rng} (slope {slope:.3f}, "
            f"value {ratio[-1]:.4g} at t = {n})", NUMERIC, (1, n), details), ratio
    return ConditionResult(
        name, UNDECIDED, f"{what} / (T α_T) falls too slowly to decide on {rng} (slope {slope:.3f})",
        NUMERIC, (1, n), details), ratio


def _convergence_numeric(tables: dict, n: int) -> _Rate:
    alpha = tables["alpha"]
    s = tables["S"]
    ts = np.arange(1, n + 1, dtype=float)
    grid = np.unique(np.geomspace(max(10, n // 100), n, 25).astype(int)) - 1
    rng = _range_str(n)
    sum_slope = float(np.polyfit(np.log(ts[grid]), np.log(s[grid]), 1)[0])
    step_slope = float(np.polyfit(np.log(ts[grid]), np.log(ts[grid] * alpha[grid]), 1)[0])
    sum_order = f"≈ T^{sum_slope:.3f} (numeric fit on {rng})"
    step_order = f"≈ T^{step_slope:.3f} (numeric fit on {rng})"
    res, ratio = _slope_certificate("convergence", "Σ α_t sqrt(1-θ_t)", s, alpha, n)
    if res.status == HOLDS:
        return _Rate(res, sum_order, step_order, f"→ 0 (numeric; {ratio[-1]:.4g} at t = {n})")
    if res.status == FAILS:
        return _Rate(res, sum_order, step_order, f"≈ {ratio[-1]:.4g} (numeric)",
                     bound=f"the bound does not vanish: S_T/(T α_T) ≈ {ratio[-1]:.3g} at t = {n} (numeric)")
    return _Rate(res, sum_order, step_order, None, bound="undecided")


# ----------------------------------------------------------------------------- form and H0
def _form(spec: OptimizerSpec, folded: bool) -> ConditionResult:
    if spec.eps_mode != "v0":
        return ConditionResult(
            "form", FAILS,
            f"eps_mode={spec.eps_mode}: ε is not v_0 = ε; {THEOREM_1} is proved for the generic form "
            "only (use --variant generic)",
        )
    if spec.bias_correction and not folded:
        return ConditionResult(
            "form", FAILS,
            "bias correction with time-varying β_t or θ_t is not a fixed factor of α_t; "
            f"{THEOREM_1} covers the form without it",
        )
    how = "; bias correction folded into α_t exactly" if folded else ""
    return ConditionResult("form", HOLDS, f"generic form: ε enters only as v_0 = ε{how}")


def _h0(theta: sp.Expr) -> ConditionResult:
    th1 = theta.subs(t, 1)
    if th1.is_number and th1 > 0:
        return ConditionResult(
            "H0", HOLDS, f"θ_1 = {_fmt(th1)} > 0: v_1 ≥ θ_1 ε keeps ε in the bound", details={"theta_1": th1}
        )
    return ConditionResult(
        "H0", FAILS,
        "θ_1 = 0 drops v_0 = ε (v_1 = g_1², 0/0 on a zero coordinate of g_1): not covered by "
        f"{THEOREM_1}; a θ_t with θ_1 > 0 is, e.g. 1 - 1/(t+1) for AdaGrad "
        "(v_t = (ε + Σ_(i≤t) g_i²)/(t+1))",
        details={"theta_1": th1},
    )


# ----------------------------------------------------------------------------- D_T and V_T
def _monotone_from(expr: sp.Expr, values: np.ndarray):
    """(t1, +1) when expr is non-increasing on [t1, ∞), (t1, -1) when non-decreasing, or None.

    sympy is asked only from past the last change of direction of the table ``values``
    (t = 1..n): an expression that is not monotone on the table is not monotone from any
    t1 before it."""
    if not _SYMBOLIC.get():
        return None
    n = values.size
    d = np.diff(values)
    tol = 1e-12 * np.abs(values[1:])
    signs = [np.flatnonzero(d < -tol), np.flatnonzero(d > tol)]
    if signs[0].size and signs[1].size:
        last_turn = int(min(signs[0][-1], signs[1][-1])) + 2
        if last_turn > n // 2:
            return None
    else:
        last_turn = 1
    deadline = time.monotonic() + SYMBOLIC_BUDGET
    for e in range(int(math.ceil(math.log2(last_turn))), 21):
        t1 = 2**e
        if t1 > n or time.monotonic() > deadline:
            if t1 <= n:
                _ran_out()
            return None
        for sign, test in ((1, sp.is_decreasing), (-1, sp.is_increasing)):
            left = _remaining(3)
            if left <= 0:
                _ran_out()
                return None
            try:
                with budget(left):
                    answer = test(expr, _interval(t1), t)
            except Exception as exc:  # a timeout, or sympy cannot handle the expression: give up
                if isinstance(exc, SymbolicTimeout):
                    _ran_out()
                return None
            if answer:
                return t1, sign
    return None


def _d_exact(alpha: sp.Expr, theta: sp.Expr, sign: int):
    """Order of D_T = Σ_{t<T} sign·(α_t - α_{t+1}) / sqrt(1 - θ_t) (None if unknown); the index
    is shifted by one so that sympy sees t ≥ 1 (t - 1 would give Abs(t - 1) under roots)."""
    return _safe(partial_sum_order, sign * (alpha - alpha.subs(t, t + 1)) / sp.sqrt(1 - theta))


def _d_symbolic(alpha: sp.Expr, theta: sp.Expr, step, step_lim, tables: dict, chi_bounded: bool):
    """D_T = o(T α_T) decided by sympy, with α_t monotone from some t1 on.

    For α_t non-increasing from t1, with ω_t = 1 - θ_t non-increasing (SC2) and χ_t bounded
    (SC3), each term is (χ_{t-1} - χ_t) + χ_t (1 - sqrt(ω_t/ω_{t-1})) and 1 - sqrt(u) ≤ -log u,
    so D_T ≤ D_{t1} + χ_{t1} + sup χ · log(ω_{t1}/ω_T) = O(1 + log(1/ω_T)): one limit decides.
    Otherwise the order of the partial sums of |α_{t-1} - α_t| / sqrt(ω_{t-1}) is computed.
    Returns (result, numerator, exact) or None; ``numerator`` is D_T's order (an upper bound
    when ``exact`` is False), None when D_T is bounded."""
    mono = _monotone_from(alpha, tables["alpha"])
    if mono is None or step_lim is None:
        return None
    t1, sign = mono
    how = f"α_t is {'non-increasing' if sign > 0 else 'non-decreasing'} from t = {t1} on"
    if sign > 0 and chi_bounded and step_lim == sp.oo:
        ell = sp.expand_log(sp.log(1 / (1 - theta)), force=True)
        if t not in ell.free_symbols:
            return ConditionResult("D_T", HOLDS, f"{how} and θ_t is constant: D_T ≤ D_(t1) + χ_(t1) is bounded"), None, True
        ell_T = ell.subs(t, N)
        if _limit(ell_T / step, N) == 0:
            return ConditionResult(
                "D_T", HOLDS,
                f"{how}: D_T ≤ D_(t1) + χ_(t1) + sup χ_t · log(ω_(t1)/ω_T) (SC2, SC3) = O(log(1/(1-θ_T))), "
                "which is o(T α_T)"), ell_T, False
    so = _d_exact(alpha, theta, sign)
    if so is None:
        return None
    if so.convergent:
        if step_lim == sp.oo:
            return ConditionResult("D_T", HOLDS, f"{how}; D_T converges while T α_T → ∞"), None, True
        return ConditionResult("D_T", FAILS, f"{how}; D_T > 0 while T α_T stays bounded"), None, True
    lim = _limit(sp.simplify(so.equivalent / step), N)
    if lim is None:
        return None
    text = f"{how}; D_T ~ {sp.sstr(so.equivalent)}"
    if lim == 0:
        return ConditionResult("D_T", HOLDS, f"{text} is o(T α_T)"), so.equivalent, True
    return ConditionResult("D_T", FAILS, f"{text} is not o(T α_T) (ratio → {_fmt(lim)})",
                           details={"ratio_limit": lim}), None, True


def _d_item(alpha, theta, beta, step, step_lim, tables, n, chi_bounded):
    if t not in alpha.free_symbols:
        return ConditionResult("D_T", HOLDS, "α_t is constant: D_T = 0"), None, True
    if beta == 0:
        return ConditionResult("D_T", HOLDS, "β_t = 0: C'' = 0, D_T does not enter the bound"), None, True
    found = _d_symbolic(alpha, theta, step, step_lim, tables, chi_bounded)
    if found is not None:
        return found
    return _slope_certificate("D_T", "D_T", tables["D"], tables["alpha"], n)[0], None, True


def _v_item(beta, beta_bound, step_lim, tables, n):
    if t not in beta.free_symbols:
        return ConditionResult("V_T", HOLDS, "β_t is constant: V_T = 0")
    mono = _monotone_from(beta, tables['beta']) if beta_bound is not None and step_lim == sp.oo else None
    if mono is not None:
        t1, sign = mono
        return ConditionResult(
            "V_T", HOLDS,
            f"β_t is {'non-increasing' if sign > 0 else 'non-decreasing'} from t = {t1} on and ≤ β < 1, "
            "so V_T is bounded (by the total variation of β_t/(1-β_t)) while T α_T → ∞",
        )
    return _slope_certificate("V_T", "V_T", tables["V"], tables["alpha"], n)[0]


# ----------------------------------------------------------------------------- rate and floor
def _pq(expr: sp.Expr):
    """(p, q) with expr ~ c T^p log(T)^q read off its structure (a product, or a sum of
    products, of numbers, T^p and log(T)^q), or None: no limits, so it is cheap."""
    best = None
    for term in sp.Add.make_args(sp.expand(sp.expand_log(expr, force=True))):
        p = q = sp.Integer(0)
        for factor in sp.Mul.make_args(term):
            base, ex = factor.as_base_exp()
            if factor.is_number:
                if factor == 0:
                    break
                continue
            if not ex.is_number:
                return None
            if base == N:
                p += ex
            elif base == sp.log(N):
                q += ex
            else:
                return None
        if best is None or (p, q) > best:
            best = (p, q)
    return best


def _dominates(a: sp.Expr, b: sp.Expr) -> bool | None:
    """Whether a/b → ∞ as T → ∞ (True), stays bounded (False), or None when unknown."""
    pa, pb = _pq(a), _pq(b)
    if pa is not None and pb is not None:
        return pa > pb
    lim = _limit(sp.simplify(a / b), N)
    return None if lim is None else lim == sp.oo


def _rate_symbolic(step, numerators):
    """Order of (1 + S_T + D_T) / (T α_T) from the symbolic orders of S_T and D_T (V_T is
    bounded when decided symbolically); None when sympy cannot compare them."""
    dom = sp.Integer(1)
    for e in numerators:
        if e is None:
            continue
        bigger = _dominates(e, dom)
        if bigger is None:
            return None
        if bigger:
            dom = e
    expr = sp.simplify(dom / step)
    rate = _safe(order_string, expr)
    ex = _safe(exponents, expr)
    if rate is None:
        return None
    return rate, (ex[0] if ex else None), (ex[1] if ex else None)


def _rate_numeric(tables: dict, n: int):
    """Exponent of (1 + S_T + D_T + V_T)/(T α_T) from log-log slopes over the last two decades:
    the largest growth exponent among 1, S_T, D_T and V_T (each fitted on its own, so a term
    still approaching its limit does not bend the fit) minus that of T α_T."""
    ts = np.arange(1, n + 1, dtype=float)
    grid = np.unique(np.geomspace(max(10, n // 100), n, 25).astype(int)) - 1
    x = np.log(ts[grid])
    growth = 0.0
    for key in ("S", "D", "V"):
        y = tables[key][grid]
        if np.all(y > 0):
            growth = max(growth, float(np.polyfit(x, np.log(y), 1)[0]))
    slope = growth - float(np.polyfit(x, np.log(ts[grid] * tables["alpha"][grid]), 1)[0])
    return f"≈ O(T^{slope:.3f}) (numeric fit of (1 + S_T + D_T + V_T)/(T α_T) on {_range_str(n)})", slope


def _floor(tables: dict, limit, c0) -> dict | None:
    """Corollary 2: the limit ℓ·C' of the bound, C' with this schedule's constants substituted
    (an expression in G, L, d, ε)."""


    m = min(tables["alpha"].size, 10**5)
    try:
        sc = schedule_constants(tables["alpha"][:m], tables["beta"][:m], tables["theta"][:m])
    except ValueError:
        return None
    if c0 is not None:
        sc["C_0"] = max(sc["C_0"], float(c0))
    subs = {SYM[k]: sp.Float(sc[k], 15) for k in ("beta", "gamma", "theta_1", "C_0", "chi_1", "K", "K_m")}
    c_prime = constants_symbolic()["C'"].subs(subs)
    floor = sp.expand(sp.simplify(limit * c_prime / (SYM["d"] * sp.sqrt(SYM["G"] ** 2 + SYM["d"] * SYM["epsilon"]))))
    # C' = 2 C_0 sqrt(dε + G²) d (A/θ_1 + G_e/sqrt(θ_1)) with A and G_e linear in G and L
    c_g, c_l = floor.coeff(SYM["G"]), floor.coeff(SYM["L"])
    if sp.simplify(floor - c_g * SYM["G"] - c_l * SYM["L"]) != 0:  # pragma: no cover - defensive
        return None
    c_g, c_l = float(c_g), float(c_l)
    text = f"d*sqrt(G**2 + d*epsilon)*({c_g:.4g}*G + {c_l:.4g}*L)"
    return {"theorem": COROLLARY_2, "ratio_limit": _fmt(limit), "expr": text,
            "coef_G": c_g, "coef_L": c_l,
            "symbols": "G, L, d: the problem's constants (A2, A4, dimension); epsilon: ε",
            "schedule_constants": {k: sc[k] for k in ("theta_1", "chi_1", "C_0", "beta", "gamma", "K", "K_m")}}


def floor_value(floor: dict, G: float, L: float, d: int, eps: float) -> float:
    """The number of a verdict's floor (Corollary 2) for a problem's constants G, L, d and ε:
    d sqrt(G² + dε) (c_G G + c_L L), the coefficients as stored in ``floor``."""
    return float(d * math.sqrt(G * G + d * eps) * (floor["coef_G"] * G + floor["coef_L"] * L))


# ----------------------------------------------------------------------------- entry point
def _fold_bias_correction(spec: OptimizerSpec) -> tuple[OptimizerSpec, str | None]:
    if not spec.bias_correction:
        return spec, None
    b, th = spec.beta.bound_expr, spec.theta.bound_expr
    if t in b.free_symbols or t in th.free_symbols:
        return spec, None
    factor = sp.sqrt(1 - th**t) / (1 - b**t)
    alpha = Schedule(spec.alpha.bound_expr * factor, (), f"({spec.alpha})*sqrt(1-θ^t)/(1-β^t)")
    return replace(spec, alpha=alpha), "bias correction folded into α_t as sqrt(1-θ^t)/(1-β^t)"


def _variation_tables(tables: dict) -> dict:
    alpha, beta, theta = tables["alpha"], tables["beta"], tables["theta"]
    omega = 1.0 - theta
    with np.errstate(divide="ignore", invalid="ignore"):
        bb = beta / (1.0 - beta)
        d = np.abs(np.diff(alpha)) / np.sqrt(omega[:-1])
    return {**tables,
            "S": np.cumsum(alpha * np.sqrt(omega)),
            "D": np.concatenate([[0.0], np.cumsum(d)]),
            "V": np.concatenate([[0.0], np.cumsum(np.abs(np.diff(bb)))])}


#: The modules whose source decides a verdict: their text salts the verdict cache.
CHECKER_MODULES = ("conditions", "asymptotics", "bounds", "theorem", "schedules", "parsing",
                   "specs", "limits", "errors", "usercache")


@functools.cache
def checker_key() -> str:
    """SHA-256 of the checker's source (:data:`CHECKER_MODULES`) and the sympy and numpy
    versions: the salt of the verdict cache (a changed checker never reads an old verdict)."""
    import hashlib
    import importlib
    from pathlib import Path

    h = hashlib.sha256(f"sympy {sp.__version__} numpy {np.__version__}\n".encode())
    for name in CHECKER_MODULES:
        mod = importlib.import_module(f"adamtheory.{name}")
        h.update(name.encode() + b"\0" + Path(mod.__file__).read_bytes() + b"\0")
    return h.hexdigest()


def verdict_key(spec: OptimizerSpec, numeric_range: int = NUMERIC_RANGE,
                symbolic: bool = True) -> str | None:
    """The question a verdict answers, as exact text: the schedules' bound expressions as
    ``srepr`` (floats to the last bit), every other field of the spec, the numeric range and the
    method. The key of the verdict cache; None when a schedule holds a function known only by
    its name (a tabulated or user-implemented function: its text does not say its values), which
    is never cached."""
    from sympy.core.function import AppliedUndef

    exprs = (spec.alpha.bound_expr, spec.beta.bound_expr, spec.theta.bound_expr)
    if any(e.atoms(AppliedUndef) for e in exprs):
        return None
    return json.dumps({
        "alpha": sp.srepr(spec.alpha.bound_expr), "beta": sp.srepr(spec.beta.bound_expr),
        "theta": sp.srepr(spec.theta.bound_expr), "name": spec.name, "eps": float(spec.eps).hex(),
        "eps_mode": str(spec.eps_mode), "bias_correction": bool(spec.bias_correction),
        "amsgrad": None if spec.amsgrad is None else str(spec.amsgrad),
        "eps_root": float(spec.eps_root).hex(), "numeric_range": int(numeric_range),
        "symbolic": bool(symbolic)}, sort_keys=True)


def cached_verdict(spec: OptimizerSpec, numeric_range: int = NUMERIC_RANGE,
                   symbolic: bool = True) -> Verdict | None:
    """The verdict of :func:`check` from the per-user verdict cache (:mod:`adamtheory.usercache`,
    kind ``verdicts``, salted by :func:`checker_key`), or None when it holds none or the entry
    is not a well-formed verdict."""
    key = verdict_key(spec, numeric_range, symbolic)
    data = None if key is None else read_entry("verdicts", checker_key(), key)
    if not isinstance(data, dict):
        return None
    try:
        return Verdict.from_dict(_fold_bias_correction(spec)[0], data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def check(spec: OptimizerSpec, numeric_range: int = NUMERIC_RANGE, symbolic: bool = True,
          cache: bool = False) -> Verdict:
    """Decide the hypotheses of Theorem 1 and the conditions of its corollaries for ``spec``.

    Parameters
    ----------
    spec:
        A Generic Adam spec with all schedule parameters bound.
    numeric_range:
        Steps t = 1..numeric_range are used for range validation and numeric certificates.
    symbolic:
        When False, skip sympy's decisions and use the numeric certificates only (used to check
        the two methods against each other).
    cache:
        When True, answer from the per-user verdict cache when it holds this exact question
        (:func:`verdict_key`) for this checker's source (:func:`checker_key`), and store the
        answer there otherwise (:mod:`adamtheory.usercache`; ``$ADAMTHEORY_CACHE_DIR`` moves it),
        unless a symbolic time budget ran out (that answer depends on the machine's speed).
        The cached verdict's ``to_dict()`` equals the computed one's.

    >>> from adamtheory import named
    >>> v = check(named("rmsprop", lr=0.01, beta2=0.99))
    >>> v.converges, v.conditions["convergence"].status
    (False, 'fails')
    >>> check(named("adagrad")).conditions["H0"].status
    'fails'
    """
    if not isinstance(spec, OptimizerSpec):
        raise InputError(f"check() takes an OptimizerSpec (e.g. named('adam') or OptimizerSpec.from_text(...)), "
                         f"not {type(spec).__name__}")
    spec.require_family()
    if not isinstance(numeric_range, int) or numeric_range < 1000:
        raise ScheduleError("numeric range must be an integer >= 1000")
    if cache:
        hit = cached_verdict(spec, numeric_range, symbolic)
        if hit is not None:
            return hit
    deadline = _DEADLINE.set(time.monotonic() + CHECK_SYMBOLIC_BUDGET)
    timed_out = _TIMED_OUT.set([False])
    try:
        verdict = _check(spec, numeric_range, symbolic)
        ran_out = _TIMED_OUT.get()[0]
    finally:
        _DEADLINE.reset(deadline)
        _TIMED_OUT.reset(timed_out)
    key = verdict_key(spec, numeric_range, symbolic) if cache else None
    # A verdict a time budget cut short is not kept (it depends on the machine's speed), unless
    # its form fails: the form is decided without sympy or a budget, and a failing form makes the
    # verdict "no guarantee" whatever the budget (only some conditions' methods could differ).
    if key is not None and (not ran_out or verdict.conditions["form"].status == FAILS):
        write_entry("verdicts", checker_key(), key, verdict.to_dict())
    return verdict


def _check(spec: OptimizerSpec, numeric_range: int, symbolic: bool) -> Verdict:
    notes = []
    spec, note = _fold_bias_correction(spec)
    if note:
        notes.append(note)
    form = _form(spec, folded=note is not None)
    tables = _variation_tables(validate(spec, numeric_range, notes))
    n = numeric_range
    alpha, beta, theta = spec.alpha.bound_expr, spec.beta.bound_expr, spec.theta.bound_expr
    token = _SYMBOLIC.set(symbolic)
    try:
        h0 = _h0(theta)
        sc1, beta_bound = _sc1(beta, tables["beta"], n)
        sc2, theta_lim = _sc2(theta, tables["theta"], n)
        sc3 = _sc3(alpha, theta, tables, n)
        sc4 = _sc4(beta_bound, theta, theta_lim, tables, n)
        rate = _convergence_symbolic(alpha, theta)
        step = alpha.subs(t, N) * N
        step_lim = _limit(step, N)
        chi_bounded = sc2.status == HOLDS and sc3.status == HOLDS
        dt, d_num, d_exact = _d_item(alpha, theta, beta, step, step_lim, tables, n, chi_bounded)
        vt = _v_item(beta, beta_bound, step_lim, tables, n)
    finally:
        _SYMBOLIC.reset(token)
    if rate is None:
        rate = _convergence_numeric(tables, n)
    conds = {c.name: c for c in (form, h0, sc1, sc2, sc3, sc4, rate.result, dt, vt)}
    statuses = [c.status for c in conds.values()]
    converges = False if FAILS in statuses else None if UNDECIDED in statuses else True
    others_hold = all(c.status == HOLDS for k, c in conds.items() if k != "convergence")
    theorem, floor = None, None
    rate_text = exponent = log_power = None
    if converges:
        theorem = COROLLARY_1
        found = None
        if all(c.method == SYMBOLIC for c in (rate.result, dt, vt)):
            token = _SYMBOLIC.set(symbolic)
            try:
                if d_num is not None and not d_exact and (
                        rate.numerator is None or _dominates(rate.numerator, d_num) is not True):
                    # D_T's upper bound O(log(1/ω_T)) could set the rate: use D_T's exact order
                    so = _d_exact(alpha, theta, 1)
                    if so is not None:
                        d_num = None if so.convergent else so.equivalent
                found = _rate_symbolic(step, (rate.numerator, d_num))
            finally:
                _SYMBOLIC.reset(token)
        if found is not None:
            rate_text, exponent, log_power = found
        else:
            rate_text, exponent = _rate_numeric(tables, n)
        bound = f"(E||∇f(x_τ)||^(4/3))^(3/2) = {rate_text} ({COROLLARY_1.split(':')[0]})"
    elif others_hold and rate.result.status == FAILS and rate.limit is not None and step_lim == sp.oo:
        floor = _floor(tables, rate.limit, sc3.details.get("C0"))
        if floor is not None:
            theorem = COROLLARY_2
            bound = (f"the bound tends to its floor ℓ·C' = {floor['expr']} (in the problem's G, L, d, ε; "
                     f"ℓ = {floor['ratio_limit']}): a neighbourhood, not convergence (Corollary 2)")
        else:
            bound = rate.bound
    else:
        failed = [k for k, c in conds.items() if c.status == FAILS]
        undecided = [k for k, c in conds.items() if c.status == UNDECIDED]
        if failed and rate.result.status != FAILS or (failed and len(failed) > 1):
            bound = f"no guarantee: {', '.join(failed)} fails, so {THEOREM_1} does not cover the spec"
        elif failed:
            bound = rate.bound or "no guarantee: the convergence condition fails"
        else:
            bound = f"undecided: {', '.join(undecided)} could not be decided"
    return Verdict(
        spec, conds, rate.sum_order, rate.step_order, rate.ratio_limit,
        rate_text, exponent, log_power, converges, bound, tuple(notes), theorem, floor,
    )


def _check_one(args):
    spec, numeric_range, cache = args
    return check(spec, numeric_range=numeric_range, cache=cache)


def check_many(specs, numeric_range: int = 10**5, workers: int = 1,
               cache: bool = False) -> list[Verdict]:
    """:func:`check` for many specs, in ``workers`` processes (order preserved; ``cache`` as
    in :func:`check`)."""
    specs = list(specs)
    if workers <= 1 or len(specs) < 8:
        return [check(s, numeric_range=numeric_range, cache=cache) for s in specs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_check_one, [(s, numeric_range, cache) for s in specs],
                             chunksize=8))
