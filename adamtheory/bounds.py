r"""Right-hand sides of convergence bounds, symbolic (sympy, in T) and numeric (over checkpoints).

Four bounds share one interface: ``bound(spec, problem, checkpoints) -> Bound``.

``generic`` (the Generic Adam bound, docs/derivations.md, with the constants derived there)
    .. math::

        \big(\mathbb E\|\nabla f(x_\tau)\|^{4/3}\big)^{3/2} \le
        \frac{C + C' \sum_{t\le T} \alpha_t\sqrt{1-\theta_t} + C'' D_T + C''' V_T}{T\alpha_T},
        \qquad D_T = \sum_{t=2}^{T} \frac{|\alpha_{t-1}-\alpha_t|}{\sqrt{1-\theta_{t-1}}},
        \quad V_T = \sum_{t=2}^{T} \Big|\frac{\beta_t}{1-\beta_t} - \frac{\beta_{t-1}}{1-\beta_{t-1}}\Big|,

    τ uniform on {1..T}; C'' = 0 when β = 0 and V_T = 0 for constant β (then it is exactly
    REFERENCE section 2's form); V_T ≤ the total variation of β_t/(1-β_t), a constant for monotone
    β_t (AdamNC). Needs A1-A4 (A4 conditional on x: E||g(x, ξ)||² ≤ G² for every x), SC1-SC4, the
    extra hypothesis θ_1 > 0 of the derivation, and the generic form (eps_mode v0, no bias
    correction, no AMSGrad) on an unconstrained problem.
``amsgrad``
    Reddi, Kale, Kumar (ICLR 2018), Theorem 4, the regret of AMSGrad (Reddi's variant) on an online
    convex problem with domain diameter D_∞; data-dependent (v̂_T, ||g_{1:T,i}||), so it is
    evaluated along a reference run (:func:`reference_amsgrad`).
``defossez-adam``, ``defossez-adagrad``
    Défossez, Bottou, Bach, Usunier (TMLR 2022), β_1 = 0: their algorithms (ε inside the square
    root, no (1-β) factors, :func:`reference_defossez`) bound E||∇F(x_τ)||², τ uniform on {0..N-1},
    under ||∇f(x, ξ)||_∞ ≤ R - sqrt(ε) almost surely.

A bound that does not apply (a condition fails, an assumption is not declared, a constant is
missing) is *returned* with ``applicable=False`` and ``reason="not applicable: ..."``, so that a
grid of runs can report it; malformed input (unbound schedule parameters, steps < 1) raises
:class:`~adamtheory.errors.InputError`.

Examples
--------
>>> import counterexamples as cx
>>> from adamtheory.specs import OptimizerSpec
>>> spec = OptimizerSpec.from_text("0.05/sqrt(t)", "0", "1 - 0.5/t")
>>> b = generic_bound(spec, cx.get("nonconvex-separable", d=2, sigma=0.1), [10, 100])
>>> b.applicable, bool(b.values[1] < b.values[0])
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .conditions import HOLDS, check, floor_value
from .errors import InputError
from .theorem import (  # noqa: F401  (re-exported: the constants of Theorem 1)
    SYM,
    constants_symbolic,
    derived_constants,
    schedule_constants,
    step_constant,
)

T = sp.Symbol("T", positive=True, integer=True)
t_ = sp.Symbol("t", positive=True, integer=True)

@dataclass
class Bound:
    """A bound evaluated for one spec and problem.

    ``values[i]`` is the right-hand side at ``checkpoints[i]``; ``expr`` the right-hand side as a
    sympy expression in ``T`` (None for data-dependent bounds); ``lhs`` names the quantity bounded.
    """

    name: str
    applicable: bool
    reason: str = ""
    lhs: str = ""
    source: str = ""
    checkpoints: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    constants: dict = field(default_factory=dict)
    expr: sp.Expr | None = None
    #: generic only: every statement's values at ``checkpoints`` (keys of :data:`STATEMENT_LHS`)
    #: and the constants each used; ``values`` and ``expr`` stay Theorem 1's (closed form)
    statements: dict = field(default_factory=dict)
    statement_constants: dict = field(default_factory=dict)

    def tightest(self, lhs: str = "uniform") -> tuple[str, np.ndarray]:
        """(name, values): the smallest statement for the left side ``lhs`` ("uniform": τ uniform
        on {1..T}; "alpha-weighted": τ drawn ∝ α_t), pointwise over the checkpoints (the minimum
        of valid bounds on the same quantity is valid); the name is the one smallest at the last
        checkpoint."""
        names = [k for k in self.statements if STATEMENT_LHS[k] == lhs]
        if not names:
            return ("theorem-1", self.values) if lhs == "uniform" else ("", np.zeros(0))
        vals = np.min([self.statements[k] for k in names], axis=0)
        best = min(names, key=lambda k: float(self.statements[k][-1]))
        return best, vals

    def to_dict(self) -> dict:
        out = {"bound": self.name, "applicable": self.applicable, "reason": self.reason,
               "lhs": self.lhs, "source": self.source,
               "constants": {k: (float(v) if isinstance(v, (int, float, np.floating)) else str(v))
                             for k, v in self.constants.items()}}
        if self.applicable:
            out["checkpoints"] = [int(c) for c in self.checkpoints]
            out["values"] = [float(v) for v in self.values]
            if self.expr is not None:
                out["expr"] = str(self.expr)
            if self.statements:
                out["statements"] = {
                    k: {"lhs": STATEMENT_TEXT[k], "values": [float(x) for x in v],
                        "constants": {c: (float(x) if isinstance(x, (int, float, np.floating, np.integer))
                                          else x) for c, x in self.statement_constants.get(k, {}).items()}}
                    for k, v in self.statements.items()}
        return out


def _na(name, reason, lhs="", source="") -> Bound:
    return Bound(name, False, f"not applicable: {reason}", lhs, source)


def _checkpoints(checkpoints) -> np.ndarray:
    ck = np.unique(np.asarray(checkpoints, dtype=np.int64).reshape(-1))
    if ck.size == 0 or ck[0] < 1:
        raise InputError("checkpoints must be integers >= 1 (steps T at which to evaluate the bound)")
    return ck


def _tables(spec, n):
    try:
        return spec.alpha.values(n), spec.beta.values(n), spec.theta.values(n)
    except InputError:
        raise
    except Exception as exc:  # pragma: no cover - defensive
        raise InputError(f"cannot evaluate the schedules: {exc}") from None


def initial_gap(problem, x0=None) -> float:
    """f(x_1) - f* from ``problem.objective`` at the starting point (x0 or problem.x0 or ones)."""
    d = int(problem.dim)
    x = np.ones(d) if (x0 is None and problem.x0 is None) else np.broadcast_to(
        np.asarray(problem.x0 if x0 is None else x0, float), (d,)).copy()
    x = np.clip(x, problem.lower, problem.upper)
    g = np.empty(d)
    # one value: the oracle's Python function (the compiled one would be compiled for this
    # call, about 0.4 s, in every process that asks); the same arithmetic
    objective = getattr(problem.objective, "py_func", problem.objective)
    f = float(objective(np.ascontiguousarray(x), problem.params, problem.data, g))
    fs = _f_star(problem)
    if fs is None:
        raise InputError(f"{problem.name} declares no f*: f(x_1) - f* is unknown")
    return f - fs


def _f_star(problem):
    fs = problem.constants.get("f_star", problem.f_star)
    return None if fs is None else float(fs)


GENERIC_LHS = "(E||∇f(x_τ)||^(4/3))^(3/2), τ uniform on {1..T}"
WEIGHTED_LHS = "(E||∇f(x_τ)||^(4/3))^(3/2), P(τ = t) = α_t/Σ_{s≤T} α_s"
#: The statements ``generic_bound`` evaluates and the left side each bounds.
STATEMENT_LHS = {"theorem-1": "uniform", "theorem-2-uniform": "uniform",
                 "theorem-2-weighted": "alpha-weighted"}
STATEMENT_TEXT = {"theorem-1": "Theorem 1: " + GENERIC_LHS,
                  "theorem-2-uniform": "Theorem 2: " + GENERIC_LHS,
                  "theorem-2-weighted": "Theorem 2: " + WEIGHTED_LHS}


def coordinate_bound(problem) -> float | None:
    """G_c with E_ξ g_k(x, ξ)² ≤ G_c² for every x and coordinate k: the declared ``G_coord``,
    or the declared sure bound ``G_inf`` (|g_k| ≤ G_inf), the smaller of the two; None if neither."""
    vals = [float(problem.constants[k]) for k in ("G_coord", "G_inf") if k in problem.constants]
    return min(vals) if vals else None


def _problem_outside(problem) -> str:
    """Why Theorem 1 does not apply to ``problem`` ("" when it does: A1-A4 declared, L, G and
    f* known, unconstrained)."""
    for a in ("A1", "A2", "A3", "A4"):
        if not problem.assumptions.get(a, False):
            note = problem.meta.get("assumption_notes", {}).get(a, "")
            return f"{problem.name} does not satisfy {a}" + (f" ({note})" if note else "")
    for c in ("L", "G"):
        if c not in problem.constants:
            return f"{problem.name} declares no constant {c}"
    if _f_star(problem) is None:
        return f"{problem.name} declares no f* (or lower bound): f(x_1) - f* is unknown"
    if problem.bounded or np.any(np.isfinite(problem.lower)) or np.any(np.isfinite(problem.upper)):
        return f"{problem.name} is constrained (projection); the derivation is for unconstrained problems"
    return ""


def generic_floor(verdict, problem) -> tuple[float | None, str]:
    """The floor of the Generic Adam bound (Corollary 2 of docs/derivations.md §4) on ``problem``
    for a :func:`adamtheory.conditions.check` verdict: ``(value, "")``, or ``(None, reason)``
    when the verdict has no floor or the theorem does not apply to the problem.

    The value is lim_{T→∞} of :func:`generic_bound`'s right-hand side, ℓ·C' with
    ℓ = lim S_T/(T α_T); ``adamtheory bound`` at large T approaches it from above.
    """
    if verdict.floor is None:
        return None, "the verdict has no floor (Corollary 2 needs S_T/(T α_T) → ℓ > 0 and every other item holding)"
    reason = _problem_outside(problem)
    if reason:
        return None, f"not applicable: {reason}"
    G, L = float(problem.constants["G"]), float(problem.constants["L"])
    return floor_value(verdict.floor, G, L, int(problem.dim), float(verdict.spec.eps)), ""


def generic_bound(spec, problem, checkpoints, x0=None, check_conditions: bool = True,
                  verdict=None) -> Bound:
    """The Generic Adam bound with the derived constants (see the module docstring).

    ``verdict``: a :func:`adamtheory.conditions.check` verdict for ``spec`` to reuse (else one is
    computed when ``check_conditions``).
    """
    name, src = "generic", "derived in docs/derivations.md (after Zou et al. CVPR 2019)"
    ck = _checkpoints(checkpoints)
    if not spec.in_family:
        return _na(name, f"amsgrad={spec.amsgrad} is outside the Generic Adam family", GENERIC_LHS, src)
    if spec.eps_mode != "v0" or spec.bias_correction:
        return _na(name, "the derivation is for the generic form (eps_mode v0, no bias correction)",
                   GENERIC_LHS, src)
    reason = _problem_outside(problem)
    if reason:
        return _na(name, reason, GENERIC_LHS, src)
    n = max(int(ck[-1]), 1000)     # constants over a longer range are still valid (sups)
    alpha, beta, theta = _tables(spec, n)
    try:
        sc = schedule_constants(alpha, beta, theta)
    except ValueError as exc:
        return _na(name, str(exc), GENERIC_LHS, src)
    if check_conditions or verdict is not None:
        if verdict is None:
            verdict = check(spec, numeric_range=max(n, 10**4), cache=True)
        for k in ("SC1", "SC2", "SC3", "SC4"):
            c = verdict.conditions[k]
            if c.status != HOLDS:
                return _na(name, f"{k} {c.status}: {c.reason}", GENERIC_LHS, src)
        c0 = verdict.conditions["SC3"].details.get("C0")
        if c0 is not None:
            sc["C_0"] = max(sc["C_0"], float(c0))
    L, G = float(problem.constants["L"]), float(problem.constants["G"])
    df = initial_gap(problem, x0)
    cst = derived_constants(sc, df, G, L, int(problem.dim), float(spec.eps))
    S, D, V = sc["S"][ck - 1], sc["D"][ck - 1], sc["V"][ck - 1]
    vals = (cst["C"] + cst["C'"] * S + cst["C''"] * D + cst["C'''"] * V) / (ck * alpha[ck - 1])
    a_t = _in_t(spec.alpha.bound_expr)
    th_t = _in_t(spec.theta.bound_expr)
    S_expr = sp.Sum(a_t * sp.sqrt(1 - th_t), (t_, 1, T))
    D_expr = sp.Sum(sp.Abs(a_t.subs(t_, t_ - 1) - a_t) / sp.sqrt(1 - th_t.subs(t_, t_ - 1)), (t_, 2, T))
    b_t = _in_t(spec.beta.bound_expr)
    bb = b_t / (1 - b_t)
    V_expr = sp.Sum(sp.Abs(bb - bb.subs(t_, t_ - 1)), (t_, 2, T)) if t_ in b_t.free_symbols else 0
    expr = (sp.Float(cst["C"], 17) + sp.Float(cst["C'"], 17) * S_expr
            + (sp.Float(cst["C''"], 17) * D_expr if cst["C''"] else 0)
            + (sp.Float(cst["C'''"], 17) * V_expr if V_expr != 0 else 0)) / (T * a_t.subs(t_, T))
    stm = {"theorem-1": vals}
    stc = {"theorem-1": {k: cst[k] for k in ("C", "C'", "C''", "C'''", "K", "K_m", "C_0", "gamma")}}
    if ck[-1] <= alpha.size:
        from .theorem import UNIFORM, WEIGHTED, tight_bound, tight_constants

        Gc = coordinate_bound(problem)
        kw = dict(L=L, G=G, Delta_f=df, d=int(problem.dim), eps=float(spec.eps), G_coord=Gc)
        n2 = int(ck[-1])
        tb = tight_bound(alpha[:n2], beta[:n2], theta[:n2], ck, **kw)
        tc = tight_constants(alpha[:n2], beta[:n2], theta[:n2], **kw)
        stm["theorem-2-uniform"] = tb[UNIFORM]
        stm["theorem-2-weighted"] = tb[WEIGHTED]
        common = {"G_c": tc["G_c"], "M": tc["M"], **tc["params"], "horizon": tc["horizon"]}
        stc["theorem-2-uniform"] = {**tc[UNIFORM], "C_0": tc["C_0"], **common,
                                    "form": "(C + C' S_T + C'' D_T + C''' V_T)/(T α_T)"}
        stc["theorem-2-weighted"] = {**tc[WEIGHTED], **common,
                                     "form": "(C + C' S_T + C'' D_T + C''' V_T)/Σ_{t≤T} α_t"}
    return Bound(name, True, "", GENERIC_LHS, src, ck, vals, cst, expr, stm, stc)


def _in_t(expr):
    from .parsing import T as tsym

    return expr.subs(tsym, t_)


# ------------------------------------------------------------------------ AMSGrad (Reddi et al.)
AMSGRAD_LHS = "regret R_T = Σ_{t≤T} f_t(x_t) - f_t(x*)"


def reference_amsgrad(problem, alpha: float, beta1: float, beta2: float, steps: int, seed: int = 0,
                      x0=None):
    """Reddi et al.'s AMSGrad (Algorithm 2, β_{1t} = β_1, α_t = α/sqrt t) in plain numpy.

    m_t = β_1 m + (1-β_1) g, v_t = β_2 v + (1-β_2) g², v̂_t = max(v̂_{t-1}, v_t),
    x_{t+1} = Π(x_t - α_t m_t / sqrt(v̂_t)). Returns per-step arrays (length T) of the regret R_t,
    Σ_i sqrt(v̂_{t,i}), Σ_{k≤t} Σ_i sqrt(v̂_{k,i})/α_k and Σ_i ||g_{1:t,i}||_2.
    """
    d = int(problem.dim)
    x = np.clip(np.broadcast_to(np.asarray(problem.x0 if x0 is None else x0, float), (d,)).copy(),
                problem.lower, problem.upper)
    xs = np.ascontiguousarray(problem.x_star, dtype=float)
    m, v, vh, gsq = np.zeros(d), np.zeros(d), np.zeros(d), np.zeros(d)
    g, gs = np.empty(d), np.empty(d)
    R = np.empty(steps)
    sv = np.empty(steps)
    sva = np.empty(steps)
    sg = np.empty(steps)
    reg, acc = 0.0, 0.0
    for t in range(1, steps + 1):
        loss = problem.grad(np.ascontiguousarray(x), t, seed, problem.params, problem.data, g)
        ls = problem.grad(xs, t, seed, problem.params, problem.data, gs)
        reg += loss - ls
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        vh = np.maximum(vh, v)
        gsq += g * g
        at = alpha / math.sqrt(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(vh > 0, at * m / np.sqrt(vh), 0.0)
        x = np.clip(x - step, problem.lower, problem.upper)
        R[t - 1] = reg
        sv[t - 1] = np.sum(np.sqrt(vh))
        acc += np.sum(np.sqrt(vh)) / at
        sva[t - 1] = acc
        sg[t - 1] = np.sum(np.sqrt(gsq))
    return {"regret": R, "sum_sqrt_vhat": sv, "sum_sqrt_vhat_over_alpha": sva, "sum_g_norm": sg}


def _constant_value(sched) -> float | None:
    return float(sched.bound_expr) if sched.is_constant else None


def _amsgrad_params(spec):
    from .parsing import T as tsym

    b1, b2 = _constant_value(spec.beta), _constant_value(spec.theta)
    if b1 is None or b2 is None:
        return None, "β_1 and β_2 must be constant for the encoded form of Theorem 4"
    ratio = sp.simplify(spec.alpha.bound_expr * sp.sqrt(tsym))
    if tsym in ratio.free_symbols:
        return None, "α_t must be α/sqrt(t)"
    return (float(ratio), b1, b2), ""


def amsgrad_bound(spec, problem, checkpoints, seed: int = 0, run=None) -> Bound:
    """Reddi et al. (ICLR 2018) Theorem 4 along a reference run (see the module docstring).

    R_T ≤ D²sqrt(T)/(α(1-β_1)) Σ_i v̂_{T,i}^{1/2} + D²β_1/(2(1-β_1)) Σ_t Σ_i v̂_{t,i}^{1/2}/α_t
          + α sqrt(1 + log T)/((1-β_1)²(1-γ) sqrt(1-β_2)) Σ_i ||g_{1:T,i}||_2,   γ = β_1/sqrt(β_2),
    with D = D_∞ the box diameter (β_{1t} = β_1 constant).
    """
    name, src = "amsgrad", "Reddi, Kale, Kumar, ICLR 2018, Theorem 4"
    ck = _checkpoints(checkpoints)
    if spec.amsgrad != "reddi":
        return _na(name, "the regret bound is for AMSGrad in Reddi's form (amsgrad=reddi)",
                   AMSGRAD_LHS, src)
    if not problem.convex or not problem.online and not problem.stochastic:
        return _na(name, f"{problem.name} is not an online convex problem", AMSGRAD_LHS, src)
    if not problem.bounded or problem.x_star is None:
        return _na(name, f"{problem.name} has no bounded domain or no x*", AMSGRAD_LHS, src)
    p, why = _amsgrad_params(spec)
    if p is None:
        return _na(name, why, AMSGRAD_LHS, src)
    a, b1, b2 = p
    if b2 <= 0 or b1 / math.sqrt(b2) >= 1:
        return _na(name, f"γ = β_1/sqrt(β_2) = {b1 / math.sqrt(max(b2, 1e-300)):.4g} ≥ 1",
                   AMSGRAD_LHS, src)
    gam = b1 / math.sqrt(b2)
    D = float(np.max(problem.upper - problem.lower))
    if run is None:
        run = reference_amsgrad(problem, a, b1, b2, int(ck[-1]), seed)
    i = ck - 1
    Tf = ck.astype(float)
    t1 = D * D * np.sqrt(Tf) / (a * (1 - b1)) * run["sum_sqrt_vhat"][i]
    t2 = D * D * b1 / (2 * (1 - b1)) * run["sum_sqrt_vhat_over_alpha"][i]
    t3 = a * np.sqrt(1 + np.log(Tf)) / ((1 - b1) ** 2 * (1 - gam) * math.sqrt(1 - b2)) * \
        run["sum_g_norm"][i]
    cst = {"alpha": a, "beta1": b1, "beta2": b2, "gamma": gam, "D_inf": D}
    return Bound(name, True, "", AMSGRAD_LHS, src, ck, t1 + t2 + t3, cst, None)


# ------------------------------------------------------------------------ Défossez et al.
DEFOSSEZ_LHS = "E||∇F(x_τ)||², τ uniform on {0..N-1}"


def grad_inf_bound(problem) -> float | None:
    """An almost-sure bound on ||∇f(x, ξ)||_∞ over all x and ξ, when one is known.

    ``G_inf`` declared by the problem; nonconvex-separable with σ = 0: |r'| ≤ 3√3/8;
    logreg-nonconvex: |σ(z) - y| |a_ij| + λ |r'| ≤ max_ij |a_ij| + λ 3√3/8. None otherwise
    (e.g. Gaussian noise is unbounded).
    """
    if "G_inf" in problem.constants:
        return float(problem.constants["G_inf"])
    rmax = 3.0 * math.sqrt(3.0) / 8.0
    if problem.name == "nonconvex-separable" and float(problem.params[1]) == 0.0:
        return rmax
    if problem.name == "logreg-nonconvex":
        d = problem.dim
        return float(np.max(np.abs(problem.data[:, :d]))) + float(problem.params[0]) * rmax
    return None


def reference_defossez(problem, alpha: float, beta2: float, eps: float, steps: int, seed: int = 0,
                       adagrad: bool = False, x0=None) -> np.ndarray:
    """Défossez et al.'s Adam (β_1 = 0) or AdaGrad in numpy; returns ||∇F(x_n)||², n = 0..N-1.

    v_n = β_2 v_{n-1} + g_n² (AdaGrad: β_2 = 1), x_{n+1} = x_n - α_n g_n/sqrt(ε + v_n) with
    α_n = α sqrt((1-β_2^n)/(1-β_2)) for Adam and α_n = α for AdaGrad.
    """
    d = int(problem.dim)
    x = np.broadcast_to(np.asarray(problem.x0 if x0 is None else x0, float), (d,)).copy()
    v = np.zeros(d)
    g, gf = np.empty(d), np.empty(d)
    out = np.empty(steps)
    for n in range(1, steps + 1):
        problem.objective(x, problem.params, problem.data, gf)
        out[n - 1] = float(gf @ gf)
        problem.grad(x, n, seed, problem.params, problem.data, g)
        if adagrad:
            v = v + g * g
            an = alpha
        else:
            v = beta2 * v + g * g
            an = alpha * math.sqrt((1 - beta2 ** n) / (1 - beta2))
        x = x - an * g / np.sqrt(eps + v)
    return out


def defossez_bound(spec, problem, checkpoints, adagrad: bool = False, x0=None) -> Bound:
    """Défossez et al. (TMLR 2022), β_1 = 0, for their Adam (θ constant) or AdaGrad (θ_t = 1-1/t).

    Adam:    E||∇F(x_τ)||² ≤ 2R(F(x_0)-F*)/(αN) + E (ln(1 + R²/((1-β_2)ε))/N - ln β_2),
             E = 4dR²/sqrt(1-β_2) + αdRL/(1-β_2);
    AdaGrad: E||∇F(x_τ)||² ≤ 2R(F(x_0)-F*)/(α sqrt N) + (4dR² + αdRL) ln(1 + NR²/ε)/sqrt N,
    with α = α_1 of the spec, ε = spec.eps and R = sup ||∇f(x, ξ)||_∞ + sqrt(ε).
    """
    name = "defossez-adagrad" if adagrad else "defossez-adam"
    src = "Défossez, Bottou, Bach, Usunier, TMLR 2022 (β_1 = 0)"
    ck = _checkpoints(checkpoints)
    if not spec.in_family:
        return _na(name, "AMSGrad is not covered", DEFOSSEZ_LHS, src)
    if not (spec.beta.is_constant and float(spec.beta.bound_expr) == 0.0):
        return _na(name, "the encoded bounds are for β_1 = 0", DEFOSSEZ_LHS, src)
    from .parsing import T as tsym

    th = spec.theta.bound_expr
    if adagrad and sp.simplify(th - (1 - 1 / tsym)) != 0:
        return _na(name, "AdaGrad needs θ_t = 1 - 1/t", DEFOSSEZ_LHS, src)
    if not adagrad and not spec.theta.is_constant:
        return _na(name, "their Adam has a constant β_2 = θ", DEFOSSEZ_LHS, src)
    b2 = 1.0 if adagrad else float(th)
    if not adagrad and not 0.0 < b2 < 1.0:
        return _na(name, "β_2 must lie in (0, 1)", DEFOSSEZ_LHS, src)
    for a in ("A1", "A2", "A3"):
        if not problem.assumptions.get(a, False):
            return _na(name, f"{problem.name} does not satisfy {a}", DEFOSSEZ_LHS, src)
    if problem.bounded or np.any(np.isfinite(problem.lower)):
        return _na(name, f"{problem.name} is constrained; the analysis is unconstrained",
                   DEFOSSEZ_LHS, src)
    if _f_star(problem) is None or "L" not in problem.constants:
        return _na(name, f"{problem.name} declares no f* or no L", DEFOSSEZ_LHS, src)
    Rg = grad_inf_bound(problem)
    if Rg is None:
        return _na(name, f"no almost-sure bound ||∇f(x, ξ)||_∞ ≤ R - sqrt(ε) is known for "
                         f"{problem.name} (e.g. Gaussian noise)", DEFOSSEZ_LHS, src)
    eps = float(spec.eps)
    R = Rg + math.sqrt(eps)
    alpha = float(spec.alpha.bound_expr.subs(tsym, 1))
    L, d = float(problem.constants["L"]), int(problem.dim)
    df = initial_gap(problem, x0)
    N = ck.astype(float)
    if adagrad:
        vals = 2 * R * df / (alpha * np.sqrt(N)) + (4 * d * R * R + alpha * d * R * L) * \
            np.log1p(N * R * R / eps) / np.sqrt(N)
        expr = 2 * R * df / (alpha * sp.sqrt(T)) + (4 * d * R * R + alpha * d * R * L) * \
            sp.log(1 + T * R * R / eps) / sp.sqrt(T)
    else:
        Ec = 4 * d * R * R / math.sqrt(1 - b2) + alpha * d * R * L / (1 - b2)
        vals = 2 * R * df / (alpha * N) + Ec * (math.log1p(R * R / ((1 - b2) * eps)) / N - math.log(b2))
        expr = 2 * R * df / (alpha * T) + Ec * (sp.log(1 + R * R / ((1 - b2) * eps)) / T - sp.log(b2))
    cst = {"R": R, "alpha": alpha, "beta2": b2, "eps": eps, "L": L, "d": d, "Delta_f": df}
    return Bound(name, True, "", DEFOSSEZ_LHS, src, ck, np.asarray(vals, float), cst, expr)


BOUNDS = {
    "generic": generic_bound,
    "amsgrad": amsgrad_bound,
    "defossez-adam": lambda s, p, c, **k: defossez_bound(s, p, c, adagrad=False, **k),
    "defossez-adagrad": lambda s, p, c, **k: defossez_bound(s, p, c, adagrad=True, **k),
}


def bound(name: str, spec, problem, checkpoints, **kw) -> Bound:
    """Evaluate the bound ``name`` (one of :data:`BOUNDS`) for ``spec`` on ``problem``."""
    if name not in BOUNDS:
        raise InputError(f"unknown bound {name!r}; use one of {', '.join(BOUNDS)}")
    return BOUNDS[name](spec, problem, checkpoints, **kw)
