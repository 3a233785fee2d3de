"""The sufficient condition for Generic Adam (REFERENCE section 2), decided for a spec.

For schedules α_t, β_t, θ_t the checker decides

* **SC1** 0 ≤ β_t ≤ β < 1 for a constant β;
* **SC2** 0 ≤ θ_t < 1, θ_t non-decreasing, θ_t > 0 from t = 2 on;
* **SC3** χ_t = α_t / sqrt(1 - θ_t) is almost non-increasing; the smallest constant is
  C_0 = sup_t χ_t / min_{k≤t} χ_k;
* **SC4** β² < θ := lim θ_t, reported with t_0 = min{t : θ_t > β²} and γ = β²/θ_{t_0}
  (given SC2, θ_t is non-decreasing, so SC4 holds iff such a t_0 exists);
* the **convergence condition** Σ_{t≤T} α_t sqrt(1 - θ_t) = o(T α_T).

Each item is *holds*, *fails* or *undecided*, with a one-line reason and the method that decided
it: ``symbolic`` (sympy, exact), or ``numeric`` (a certificate computed over a stated range of t,
used when sympy cannot decide; the range is part of the answer). Nothing is guessed silently.

With the conditions, the bound (E||∇f(x_τ)||^{4/3})^{3/2} ≤ (C + C' Σ α_t sqrt(1-θ_t)) / (T α_T)
decays at the rate reported in :attr:`Verdict.rate`. When the convergence condition fails with
a finite limit L of the ratio, the bound still gives a neighbourhood of size O(L).
"""

from __future__ import annotations

import contextvars
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
from .errors import ScheduleError
from .parsing import T as t
from .schedules import Schedule
from .specs import OptimizerSpec

HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"
SYMBOLIC, NUMERIC = "symbolic", "numeric"
CONDITIONS = ("SC1", "SC2", "SC3", "SC4", "convergence")

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

    @property
    def method(self) -> str:
        methods = {c.method for c in self.conditions.values()}
        return NUMERIC if NUMERIC in methods else SYMBOLIC

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
            "notes": list(self.notes),
        }


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


def _safe(fn, *args, seconds=SYMBOLIC_BUDGET):
    """Run a sympy call under a time budget; None on timeout, when sympy gives up, or when
    symbolic analysis is switched off (``check(..., symbolic=False)``)."""
    if not _SYMBOLIC.get():
        return None
    try:
        with budget(seconds):
            return fn(*args)
    except SymbolicTimeout:
        return None
    except Exception:  # sympy raises NotImplementedError, ValueError, TypeError, RecursionError...
        return None


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
    from .schedules import sign_at

    if not isinstance(spec, OptimizerSpec):
        raise InputError(f"validate() needs an OptimizerSpec, got {type(spec).__name__}; build one "
                         "with OptimizerSpec.from_text(...) or adamtheory.named(...)")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"the number of steps must be an integer >= 1, got {n!r}")
    n = int(n)
    tables = {}
    rules = {
        "alpha": ("α_t", lambda v: v > 0, "must be > 0"),
        "beta": ("β_t", lambda v: (v >= 0) & (v < 1), "must lie in [0, 1)"),
        "theta": ("θ_t", lambda v: (v >= 0) & (v < 1), "must lie in [0, 1)"),
    }
    for role, (sym, ok, need) in rules.items():
        sched: Schedule = getattr(spec, role)
        expr = sched.bound_expr
        first = _exact_at(expr, 1)
        if first.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or (first.is_number and first.has(sp.I)):
            raise ScheduleError(
                f"{role} = {sched}: not defined at t = 1 (division by zero?); steps start at t = 1"
            )
        values = sched.values(n)
        bad = ~np.isfinite(values)
        if bad.any():
            k = int(np.argmax(bad)) + 1
            raise ScheduleError(f"{role} = {sched}: not finite at t = {k}; steps are t = 1, 2, ...")
        viol = ~ok(values)
        if viol.any():
            # float rounding can push e.g. 1 - 1e-20/t to 1.0: decide with the exact signs of
            # α_t (> 0), β_t, θ_t (>= 0) and 1 - β_t, 1 - θ_t (> 0)
            rounded = []
            for k in (np.flatnonzero(viol)[:5] + 1):
                k = int(k)
                lo = sign_at(expr, k)
                hi = 1 if role == "alpha" else sign_at(1 - expr, k)
                exact_ok = (lo == 1) if role == "alpha" else (lo in (0, 1) and hi == 1)
                if lo is None or hi is None:
                    raise ScheduleError(
                        f"{role} = {sched}: {sym} = {values[k - 1]!r} in float64 at t = {k}, and "
                        f"its exact value cannot be compared with the range; {sym} {need}"
                    )
                if not exact_ok:
                    raise ScheduleError(
                        f"{role} = {sched}: {sym} = {_fmt(_exact_at(expr, k))} at t = {k}; "
                        f"{sym} {need} for every step (checked on {_range_str(n)})"
                    )
                rounded.append(k)
            if rounded and notes is not None:
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
    if _safe(lambda: sp.is_decreasing(chi, _interval(), t)):
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
            dec = _safe(lambda: sp.is_decreasing(chi, _interval(t1), t), seconds=3)
            inc = not dec and lim > 0 and _safe(lambda: sp.is_increasing(chi, _interval(t1), t), seconds=3)
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


def _neighbourhood(L, theta: sp.Expr) -> str:
    text = f"the bound tends to C'·{_fmt(L)}: convergence only to a neighbourhood of size O({_fmt(L)})"
    if t not in theta.free_symbols and theta != 1:
        k = sp.nsimplify(L / sp.sqrt(1 - theta))
        if k.is_Rational:
            text += f" = O({_fmt(k)}·sqrt(1-θ))" if k != 1 else " = O(sqrt(1-θ))"
    return text


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
            rate_expr = 1 / step
            res = ConditionResult(
                "convergence", HOLDS,
                f"Σ α_t sqrt(1-θ_t) converges while T α_T ~ {step_order[2:-1]} → ∞",
                details={"ratio_limit": 0},
            )
            ratio = "0"
        else:
            res = ConditionResult(
                "convergence", FAILS,
                f"T α_T stays bounded (→ {_fmt(step_lim)}) while Σ α_t sqrt(1-θ_t) > 0: the ratio does not vanish",
                details={"ratio_limit": "positive"},
            )
            return _Rate(res, sum_order, step_order, "> 0", bound="no decay: T α_T does not grow")
    else:
        sum_order = f"~ {sp.sstr(so.equivalent)}"
        lim = _limit(sp.simplify(so.equivalent / step), N)
        if lim is None:
            return None
        ratio = _fmt(lim) if lim.is_number and lim != sp.oo else str(lim)
        if lim == 0:
            rate_expr = so.equivalent / step
            res = ConditionResult(
                "convergence", HOLDS,
                f"Σ α_t sqrt(1-θ_t) {sum_order} is o(T α_T) with T α_T ~ {step_order[2:-1]}",
                details={"ratio_limit": 0},
            )
        elif lim == sp.oo:
            res = ConditionResult(
                "convergence", FAILS,
                f"Σ α_t sqrt(1-θ_t) {sum_order} outgrows T α_T ~ {step_order[2:-1]}: the bound diverges",
                details={"ratio_limit": "oo"},
            )
            return _Rate(res, sum_order, step_order, "oo", bound="no guarantee: the right-hand side grows with T")
        else:
            res = ConditionResult(
                "convergence", FAILS,
                f"Σ α_t sqrt(1-θ_t) / (T α_T) → {_fmt(lim)} ≠ 0",
                details={"ratio_limit": lim},
            )
            return _Rate(res, sum_order, step_order, ratio, bound=_neighbourhood(lim, theta))
    rate = _safe(order_string, sp.simplify(rate_expr))
    ex = _safe(exponents, sp.simplify(rate_expr))
    return _Rate(
        res, sum_order, step_order, ratio, rate,
        ex[0] if ex else None, ex[1] if ex else None,
        bound=f"(E||∇f(x_τ)||^(4/3))^(3/2) = {rate}",
    )


def _convergence_numeric(tables: dict, n: int) -> _Rate:
    alpha = tables["alpha"]
    a = alpha * np.sqrt(1.0 - tables["theta"])
    s = np.cumsum(a)
    ts = np.arange(1, n + 1, dtype=float)
    ratio = s / (ts * alpha)
    grid = np.unique(np.geomspace(max(10, n // 100), n, 25).astype(int)) - 1
    slope = float(np.polyfit(np.log(ts[grid]), np.log(ratio[grid]), 1)[0])
    rhs = (1.0 + s) / (ts * alpha)
    rate_slope = float(np.polyfit(np.log(ts[grid]), np.log(rhs[grid]), 1)[0])
    decreasing = bool(np.all(np.diff(ratio[grid]) < 0))
    rng = _range_str(n)
    sum_slope = float(np.polyfit(np.log(ts[grid]), np.log(s[grid]), 1)[0])
    step_slope = float(np.polyfit(np.log(ts[grid]), np.log(ts[grid] * alpha[grid]), 1)[0])
    sum_order = f"≈ T^{sum_slope:.3f} (numeric fit on {rng})"
    step_order = f"≈ T^{step_slope:.3f} (numeric fit on {rng})"
    if slope < -RATIO_SLOPE_HOLDS and decreasing:
        res = ConditionResult(
            "convergence", HOLDS,
            f"Σ α_t sqrt(1-θ_t) / (T α_T) falls like T^{slope:.3f} over the last two decades of {rng}",
            NUMERIC, (1, n), {"ratio_at_end": float(ratio[-1]), "ratio_slope": slope},
        )
        rate = f"≈ O(T^{rate_slope:.3f}) (numeric fit on {rng})"
        return _Rate(res, sum_order, step_order, f"→ 0 (numeric; {ratio[-1]:.4g} at t = {n})",
                     rate, rate_slope, None, bound=f"(E||∇f(x_τ)||^(4/3))^(3/2) {rate}")
    if slope > -RATIO_SLOPE_FAILS:
        res = ConditionResult(
            "convergence", FAILS,
            f"Σ α_t sqrt(1-θ_t) / (T α_T) does not fall over {rng} (slope {slope:.3f}, "
            f"value {ratio[-1]:.4g} at t = {n})",
            NUMERIC, (1, n), {"ratio_at_end": float(ratio[-1]), "ratio_slope": slope},
        )
        return _Rate(res, sum_order, step_order, f"≈ {ratio[-1]:.4g} (numeric)",
                     bound=f"a neighbourhood of size about {ratio[-1]:.3g} at best (numeric)")
    res = ConditionResult(
        "convergence", UNDECIDED,
        f"Σ α_t sqrt(1-θ_t) / (T α_T) falls too slowly to decide on {rng} (slope {slope:.3f})",
        NUMERIC, (1, n), {"ratio_at_end": float(ratio[-1]), "ratio_slope": slope},
    )
    return _Rate(res, sum_order, step_order, None, bound="undecided")


# ----------------------------------------------------------------------------- entry point
def _fold_bias_correction(spec: OptimizerSpec) -> tuple[OptimizerSpec, str | None]:
    if not spec.bias_correction:
        return spec, None
    b, th = spec.beta.bound_expr, spec.theta.bound_expr
    if t in b.free_symbols or t in th.free_symbols:
        return spec, (
            "bias correction is a bounded factor sqrt(1-Πθ_k)/(1-Πβ_k) → 1 folded into α_t; "
            "with time-varying β_t or θ_t it is not folded: verdicts are for the uncorrected α_t"
        )
    factor = sp.sqrt(1 - th**t) / (1 - b**t)
    alpha = Schedule(spec.alpha.bound_expr * factor, (), f"({spec.alpha})*sqrt(1-θ^t)/(1-β^t)")
    return replace(spec, alpha=alpha), "bias correction folded into α_t as sqrt(1-θ^t)/(1-β^t)"


def check(spec: OptimizerSpec, numeric_range: int = NUMERIC_RANGE, symbolic: bool = True) -> Verdict:
    """Decide SC1-SC4 and the convergence condition for ``spec``.

    Parameters
    ----------
    spec:
        A Generic Adam spec with all schedule parameters bound.
    numeric_range:
        Steps t = 1..numeric_range are used for range validation and numeric certificates.
    symbolic:
        When False, skip sympy's decisions and use the numeric certificates only (used to check
        the two methods against each other).

    >>> from adamtheory import named
    >>> check(named("adagrad")).rate
    'O(log(T)/sqrt(T))'
    """
    spec.require_family()
    if not isinstance(numeric_range, int) or numeric_range < 1000:
        raise ScheduleError("numeric range must be an integer >= 1000")
    notes = []
    spec, note = _fold_bias_correction(spec)
    if note:
        notes.append(note)
    if spec.eps_mode != "v0":
        notes.append(
            f"eps_mode={spec.eps_mode}: ε outside the square root only bounds the denominator "
            "below; SC1-SC4 do not involve ε"
        )
    tables = validate(spec, numeric_range)
    n = numeric_range
    alpha, beta, theta = spec.alpha.bound_expr, spec.beta.bound_expr, spec.theta.bound_expr
    token = _SYMBOLIC.set(symbolic)
    try:
        sc1, beta_bound = _sc1(beta, tables["beta"], n)
        sc2, theta_lim = _sc2(theta, tables["theta"], n)
        sc3 = _sc3(alpha, theta, tables, n)
        sc4 = _sc4(beta_bound, theta, theta_lim, tables, n)
        rate = _convergence_symbolic(alpha, theta)
    finally:
        _SYMBOLIC.reset(token)
    if rate is None:
        rate = _convergence_numeric(tables, n)
    conds = {c.name: c for c in (sc1, sc2, sc3, sc4, rate.result)}
    statuses = [c.status for c in conds.values()]
    if FAILS in statuses:
        converges = False
    elif UNDECIDED in statuses:
        converges = None
    else:
        converges = True
    bound = rate.bound
    if converges is False and rate.result.status == HOLDS:
        failed = ", ".join(k for k, c in conds.items() if c.status == FAILS)
        bound = f"no guarantee: {failed} fails, so the theorem does not apply"
    return Verdict(
        spec, conds, rate.sum_order, rate.step_order, rate.ratio_limit,
        rate.rate if converges else None,
        rate.exponent if converges else None,
        rate.log_power if converges else None,
        converges, bound, tuple(notes),
    )


def _check_one(args):
    spec, numeric_range = args
    return check(spec, numeric_range=numeric_range)


def check_many(specs, numeric_range: int = 10**5, workers: int = 1) -> list[Verdict]:
    """:func:`check` for many specs, in ``workers`` processes (order preserved)."""
    specs = list(specs)
    if workers <= 1 or len(specs) < 8:
        return [check(s, numeric_range=numeric_range) for s in specs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_check_one, [(s, numeric_range) for s in specs], chunksize=8))
