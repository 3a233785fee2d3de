r"""Conformance suite: the checks every problem (catalog or user) must pass.

Modelled on scikit-learn's ``check_estimator``: one call, one report, one row per check with the
value computed on samples beside the value the problem claims.

>>> from counterexamples import get
>>> from counterexamples.conformance import check_problem
>>> report = check_problem(get("reddi-thm1"))
>>> report.ok
True
>>> print(report)                                    # doctest: +SKIP

The checks, and the tolerance each uses (chosen by the kind of claim, as in PEPit):

``compiled``            grad, objective (and grad1) are numba-compiled (``hasattr(f, "py_func")``).
``shapes``              arrays have the contract's shapes and dtypes; oracles return a float and
                        write every entry of ``g`` with a finite value (``g`` is pre-filled with
                        NaN).
``metadata``            name, source, expected present; assumptions A1-A4 all declared; each
                        declared assumption has its constant (A1: f_star, A2: L, A4: G); an online
                        problem declares ``meta["period"]``; f_star agrees with constants.
``x0_in_domain``        a default x0 exists and lies in [lower, upper].
``grad_fd``             directional central differences of the *loss the oracle returns*, at the
                        same (t, seed) and so the same sample: |fd - <g,u>| <= fd_rtol max(1, ||g||)
                        for unit directions u (relative error, default 1e-5, step 1e-5 max(1,|x|)).
``objective_fd``        the same for ``objective``.
``grad1_consistent``    the scalar oracle agrees with ``grad`` (relative 1e-12).
``unbiased``            (``period_mean`` for online, ``oracle_matches_objective`` for
                        deterministic problems) stochastic: the mean of ``n_samples`` sampled
                        gradients and losses at a point equals the objective's, within z
                        standard errors per coordinate,
                        z = Φ⁻¹(1 - 1e-6 / (2m)) for m coordinate tests (Bonferroni; a correct
                        oracle fails with probability <= 1e-6 over seeds).
                        online: the mean of g_t and f_t over one period equals the objective's
                        gradient and value (relative 1e-10), and g_{t+P} = g_t.
                        deterministic: g_t equals the objective gradient (relative 1e-10).
``lipschitz_L``         max ||∇f(x)-∇f(y)||/||x-y|| over near and far pairs, and ||H v|| from a
                        few finite-difference power iterations (both lower bounds on the true L),
                        must be <= L (1 + 1e-6) + 1e-9. L is an upper bound, so slack is allowed.
``second_moment_G``     stochastic: at each point and pooled over points, the lower confidence
                        bound mean ||g||² - z·s.e. <= G² (one-sided, Bonferroni over the tests);
                        online: the period mean of ||g_t||² <= G² at each point; deterministic:
                        ||g||² <= G² at each point. The row shows the pooled mean.
``sup_bound_G_inf``     if ``G_inf`` is declared: every sampled |g_i| <= G_inf.
``second_moment_G_coord`` if ``G_coord`` is declared (E_ξ g_k(x, ξ)² <= G_coord² for every x
                        and coordinate k): at each point the lower confidence bound of the
                        largest per-coordinate mean g_k² (z as for G, Bonferroni over the
                        d·points tests) must be <= G_coord².
``f_star_lower_bound``  no sampled point of the domain (uniform points, x0, corners, points near
                        x_star, and a 201-point grid for 1-d boxes) has objective < f_star.
``optimum_value``       objective(x_star) == f_star (relative 1e-9) and x_star in the domain.
``optimum_first_order`` projected-gradient residual ||x* - P(x* - ∇f(x*))||∞ <= 1e-8 (1 + |∇f|);
                        for unconstrained problems that is ||∇f(x*)||∞.
``convexity``           if ``convex``: f(y) >= f(x) + <∇f(x), y - x> on sampled pairs.

Samples live in the domain when it is a box; for an unbounded problem in ``meta["sample_box"]``
(a (lo, hi) pair of scalars or arrays) when given, else in x0 ± max(1, |x0|). The points and
(t, seed) pairs come from ``numpy.random.default_rng(seed)``, so a report is reproducible.
For an online problem the "objective" is the mean over one period, ``meta["period"]`` steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm

from ._base import ASSUMPTIONS, Problem

_NEEDS_CONSTANT = {"A1": "f_star", "A2": "L", "A4": "G"}


@dataclass
class Check:
    """One row of a report: what was computed, what the problem claims, and the verdict.

    ``passed`` is True, False, or None when the check does not apply (e.g. no L declared).
    """

    name: str
    computed: Any
    claimed: Any
    passed: bool | None
    note: str = ""

    def __str__(self) -> str:
        verdict = {True: "ok", False: "FAIL", None: "n/a"}[self.passed]
        return (f"{verdict:4s}  {self.name:20s}  computed={_fmt(self.computed):>12s}  "
                f"claimed={_fmt(self.claimed):>12s}  {self.note}")


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.6g}"
    return str(v)


@dataclass
class ConformanceReport:
    """The result of :func:`check_problem`: one :class:`Check` row per check."""

    problem: str
    rows: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed (checks that do not apply do not count)."""
        return all(r.passed is not False for r in self.rows)

    @property
    def failures(self) -> list[Check]:
        """The rows that failed."""
        return [r for r in self.rows if r.passed is False]

    @property
    def failed_names(self) -> set[str]:
        return {r.name for r in self.failures}

    def __getitem__(self, name: str) -> Check:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        head = f"conformance of {self.problem}: {'OK' if self.ok else 'FAILED'}"
        return "\n".join([head] + [str(r) for r in self.rows])

    def raise_if_failed(self) -> None:
        """Raise AssertionError listing the failed checks (for use in tests)."""
        if not self.ok:
            raise AssertionError(str(self))


# --- oracle calls -----------------------------------------------------------------------------

def _call_grad(p: Problem, x, t, seed):
    g = np.full(p.dim, np.nan)
    f = p.grad(np.ascontiguousarray(x, dtype=np.float64), np.int64(t), np.int64(seed), p.params,
               p.data, g)
    return float(f), g


def _call_obj(p: Problem, x):
    g = np.full(p.dim, np.nan)
    f = p.objective(np.ascontiguousarray(x, dtype=np.float64), p.params, p.data, g)
    return float(f), g


def sample_box(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """The box the suite samples points from (the domain, or a documented region inside it)."""
    if p.bounded:
        return p.lower.copy(), p.upper.copy()
    if "sample_box" in p.meta:
        lo, hi = p.meta["sample_box"]
        lo = np.broadcast_to(np.asarray(lo, float), (p.dim,))
        hi = np.broadcast_to(np.asarray(hi, float), (p.dim,))
    else:
        c = np.zeros(p.dim) if p.x0 is None else p.x0
        r = np.maximum(1.0, np.abs(c))
        lo, hi = c - r, c + r
    return np.maximum(lo, p.lower), np.minimum(hi, p.upper)


class _Ctx:
    """Shared samples for one run of the suite."""

    def __init__(self, p: Problem, n_points: int, n_samples: int, seed: int):
        self.p = p
        self.rng = np.random.default_rng(seed)
        self.n_samples = n_samples
        lo, hi = sample_box(p)
        self.lo, self.hi = lo, hi
        pts = [lo + (hi - lo) * self.rng.random(p.dim) for _ in range(n_points)]
        if p.x0 is not None:
            pts.append(p.project(p.x0))
        if p.x_star is not None:
            pts.append(p.project(p.x_star))
        self.points = pts
        self.steps = [(int(self.rng.integers(1, 10**6)), int(self.rng.integers(0, 2**31)))
                      for _ in pts]

    def unit(self):
        u = self.rng.standard_normal(self.p.dim)
        return u / np.linalg.norm(u)

    def draws(self, k):
        return (self.rng.integers(1, 10**6, size=k), self.rng.integers(0, 2**31, size=k))


def _guard(name, fn, ctx) -> Check:
    try:
        return fn(ctx)
    except Exception as exc:  # an oracle that raises fails the check that called it
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return Check(name, "raised", "no error", False, f"{type(exc).__name__}: {msg}"[:200])


# --- the checks -------------------------------------------------------------------------------

def _check_compiled(ctx):
    p = ctx.p
    funcs = {"grad": p.grad, "objective": p.objective}
    if p.grad1 is not None:
        funcs["grad1"] = p.grad1
    bad = [k for k, f in funcs.items() if not hasattr(f, "py_func")]
    return Check("compiled", "not compiled: " + ", ".join(bad) if bad else "all compiled",
                 "numba.njit", not bad, "decorate the oracles with numba.njit" if bad else "")


def _check_shapes(ctx):
    p = ctx.p
    problems = []
    if not (isinstance(p.dim, (int, np.integer)) and p.dim >= 1):
        problems.append(f"dim={p.dim!r} is not a positive int")
    for name in ("lower", "upper"):
        a = getattr(p, name)
        if a.shape != (p.dim,) or a.dtype != np.float64:
            problems.append(f"{name} shape {a.shape}")
    if np.any(p.lower > p.upper):
        problems.append("lower > upper somewhere")
    if p.params.ndim != 1 or not p.params.flags.c_contiguous:
        problems.append("params must be 1-d contiguous float64")
    if p.param_names and len(p.param_names) != p.params.shape[0]:
        problems.append(f"{len(p.param_names)} param_names for {p.params.shape[0]} params")
    if p.data.ndim != 2 or not p.data.flags.c_contiguous:
        problems.append("data must be 2-d C-contiguous float64")
    for name in ("x0", "x_star"):
        a = getattr(p, name)
        if a is not None and (a.shape != (p.dim,) or not np.all(np.isfinite(a))):
            problems.append(f"{name} must be finite of shape ({p.dim},)")
    x = ctx.points[0]
    t, s = ctx.steps[0]
    for label, (f, g) in (("grad", _call_grad(p, x, t, s)), ("objective", _call_obj(p, x))):
        if not math.isfinite(f):
            problems.append(f"{label} returned a non-finite loss {f}")
        if not np.all(np.isfinite(g)):
            problems.append(f"{label} left entries of g unwritten or non-finite")
    if p.grad1 is not None:
        if p.dim != 1:
            problems.append("grad1 is only for dim == 1")
        else:
            out = p.grad1(float(x[0]), np.int64(t), np.int64(s), p.params)
            if not (isinstance(out, tuple) and len(out) == 2):
                problems.append("grad1 must return (loss, g)")
    return Check("shapes", "; ".join(problems) or "as documented", "contract of _base.py",
                 not problems)


def _check_metadata(ctx):
    p = ctx.p
    problems = []
    for name in ("name", "source", "expected"):
        if not isinstance(getattr(p, name), str) or not getattr(p, name).strip():
            problems.append(f"{name} is empty")
    missing = [a for a in ASSUMPTIONS if a not in p.assumptions]
    unknown = [a for a in p.assumptions if a not in ASSUMPTIONS]
    if missing:
        problems.append(f"assumptions {missing} not declared (True/False)")
    if unknown:
        problems.append(f"unknown assumptions {unknown}")
    for a, const in _NEEDS_CONSTANT.items():
        if p.assumptions.get(a):
            have = p.f_star if const == "f_star" else p.constants.get(const)
            if have is None:
                problems.append(f"{a} declared but {const} missing")
    for k, v in p.constants.items():
        if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
            problems.append(f"constant {k}={v!r} is not a finite number")
        elif k in ("L", "G", "G_inf", "G_coord") and v < 0:
            problems.append(f"constant {k}={v} is negative")
    if "f_star" in p.constants and p.f_star is not None and p.constants["f_star"] != p.f_star:
        problems.append("constants['f_star'] differs from f_star")
    if p.online:
        period = p.meta.get("period")
        if not isinstance(period, (int, np.integer)) or period < 1:
            problems.append("online problem without an integer meta['period']")
        if p.stochastic:
            problems.append("a problem is online or stochastic, not both")
    if p.x_star is not None and p.f_star is None:
        problems.append("x_star declared without f_star")
    return Check("metadata", "; ".join(problems) or "complete", "contract of _base.py",
                 not problems)


def _check_x0(ctx):
    p = ctx.p
    if p.x0 is None:
        return Check("x0_in_domain", None, "in domain", False, "declare a default x0")
    inside = bool(np.all(p.x0 >= p.lower) and np.all(p.x0 <= p.upper))
    return Check("x0_in_domain", "inside" if inside else "outside", "inside", inside)


def _fd_error(call, x, u):
    """|central difference of the returned loss along u - <g, u>| / max(1, ||g||)."""
    h = 1e-5 * max(1.0, float(np.max(np.abs(x))))
    _, g = call(x)
    fp, _ = call(x + h * u)
    fm, _ = call(x - h * u)
    return abs((fp - fm) / (2 * h) - float(g @ u)) / max(1.0, float(np.linalg.norm(g)))


def _check_grad_fd(ctx, fd_rtol, n_dirs=2):
    p = ctx.p
    worst = 0.0
    for x, (t, s) in zip(ctx.points, ctx.steps):
        for _ in range(n_dirs):
            worst = max(worst, _fd_error(lambda y: _call_grad(p, y, t, s), x, ctx.unit()))
    return Check("grad_fd", worst, fd_rtol, worst <= fd_rtol,
                 "oracle loss vs its gradient at the same (t, seed): max |fd - <g,u>|/max(1,|g|)")


def _check_objective_fd(ctx, fd_rtol, n_dirs=2):
    p = ctx.p
    worst = 0.0
    for x in ctx.points:
        for _ in range(n_dirs):
            worst = max(worst, _fd_error(lambda y: _call_obj(p, y), x, ctx.unit()))
    return Check("objective_fd", worst, fd_rtol, worst <= fd_rtol,
                 "objective vs its gradient: max |fd - <g,u>| / max(1, ||g||)")


def _check_grad1(ctx):
    p = ctx.p
    if p.grad1 is None:
        return Check("grad1_consistent", None, None, None, "no scalar oracle")
    worst = 0.0
    for x, (t, s) in zip(ctx.points, ctx.steps):
        f, g = _call_grad(p, x, t, s)
        f1, g1 = p.grad1(float(x[0]), np.int64(t), np.int64(s), p.params)
        worst = max(worst, abs(f1 - f) / max(1.0, abs(f)), abs(g1 - g[0]) / max(1.0, abs(g[0])))
    return Check("grad1_consistent", worst, 1e-12, worst <= 1e-12, "grad1 vs grad, same (t, seed)")


def _check_unbiased(ctx, z_family):
    p = ctx.p
    if p.online:
        return _check_period_mean(ctx)
    if not p.stochastic:
        worst = 0.0
        for x, (t, s) in zip(ctx.points, ctx.steps):
            f, g = _call_grad(p, x, t, s)
            fo, go = _call_obj(p, x)
            worst = max(worst, abs(f - fo) / max(1.0, abs(fo)),
                        float(np.max(np.abs(g - go))) / max(1.0, float(np.max(np.abs(go)))))
        return Check("oracle_matches_objective", worst, 1e-10, worst <= 1e-10,
                     "deterministic: grad at any (t, seed) equals the objective gradient")
    pts = ctx.points[-min(4, len(ctx.points)):]
    m = len(pts) * (p.dim + 1)
    zcrit = float(norm.isf(z_family / (2 * m)))
    k = ctx.n_samples
    worst = 0.0
    for x in pts:
        ts, ss = ctx.draws(k)
        gs = np.empty((k, p.dim))
        fs = np.empty(k)
        for i in range(k):
            fs[i], gs[i] = _call_grad(p, x, ts[i], ss[i])
        fo, go = _call_obj(p, x)
        mean = np.append(gs.mean(axis=0), fs.mean())
        se = np.append(gs.std(axis=0, ddof=1), fs.std(ddof=1)) / math.sqrt(k)
        target = np.append(go, fo)
        tol_abs = 1e-9 * (1.0 + np.abs(target))
        zs = np.maximum(np.abs(mean - target) - tol_abs, 0.0) / np.maximum(se, 1e-300)
        zs[np.abs(mean - target) <= tol_abs] = 0.0
        worst = max(worst, float(np.max(zs)))
    return Check("unbiased", worst, zcrit, worst <= zcrit,
                 f"max z-score of sample means ({k} samples/point) vs objective; "
                 f"family-wise false alarm {z_family:g}")


def _check_period_mean(ctx):
    p = ctx.p
    period = int(p.meta["period"])
    worst = 0.0
    for x, (t0, s) in zip(ctx.points, ctx.steps):
        start = (t0 // period) * period + 1
        gsum = np.zeros(p.dim)
        fsum = 0.0
        for t in range(start, start + period):
            f, g = _call_grad(p, x, t, s)
            f2, g2 = _call_grad(p, x, t + period, s)
            worst = max(worst, float(np.max(np.abs(g2 - g))) / max(1.0, float(np.max(np.abs(g)))))
            gsum += g
            fsum += f
        fo, go = _call_obj(p, x)
        worst = max(worst, abs(fsum / period - fo) / max(1.0, abs(fo)),
                    float(np.max(np.abs(gsum / period - go))) / max(1.0, float(np.max(np.abs(go)))))
    return Check("period_mean", worst, 1e-10, worst <= 1e-10,
                 f"online: mean of g_t, f_t over one period ({period} steps) equals the objective")


def _objective_grad(p, x):
    return _call_obj(p, x)[1]


def _check_lipschitz(ctx, n_power=8):
    p = ctx.p
    if "L" not in p.constants:
        return Check("lipschitz_L", None, None, None, "no L declared")
    L = float(p.constants["L"])
    worst = 0.0
    diam = float(np.linalg.norm(ctx.hi - ctx.lo))
    grads = [_objective_grad(p, x) for x in ctx.points]
    for x, gx in zip(ctx.points, grads):
        for r in (1e-3, 1e-2, 1e-1):
            y = p.project(x + r * diam * ctx.unit())
            dist = float(np.linalg.norm(y - x))
            if dist > 0:
                worst = max(worst, float(np.linalg.norm(_objective_grad(p, y) - gx)) / dist)
    for i in range(len(ctx.points) - 1):
        x, y = ctx.points[i], ctx.points[i + 1]
        dist = float(np.linalg.norm(y - x))
        if dist > 0:
            worst = max(worst, float(np.linalg.norm(grads[i + 1] - grads[i])) / dist)
    # power iteration on finite-difference Hessian-vector products at x0, x_star and random points
    for x in ctx.points[-n_power:]:
        v = ctx.unit()
        h = 1e-5 * max(1.0, float(np.max(np.abs(x))))
        for _ in range(10):
            hv = (_objective_grad(p, x + h * v) - _objective_grad(p, x - h * v)) / (2 * h)
            nrm = float(np.linalg.norm(hv))
            worst = max(worst, nrm * (1 - 1e-6))   # allow the finite-difference error
            if nrm == 0:
                break
            v = hv / nrm
    return Check("lipschitz_L", worst, L, worst <= L * (1 + 1e-6) + 1e-9,
                 "max gradient-difference ratio and ||Hv|| found (lower bounds on the true L)")


def _check_second_moment(ctx, z_family):
    p = ctx.p
    if "G" not in p.constants and "G_inf" not in p.constants:
        return [Check("second_moment_G", None, None, None, "no G declared"),
                Check("sup_bound_G_inf", None, None, None, "no G_inf declared")]
    G = p.constants.get("G")
    pts = ctx.points
    k = max(2, ctx.n_samples // 4) if p.stochastic else 1
    zcrit = float(norm.isf(z_family / (len(pts) + 1)))
    worst_mean, worst_lcb, sup = 0.0, -np.inf, 0.0
    pooled = []
    for x, (t0, s0) in zip(pts, ctx.steps):
        if p.online:
            period = int(p.meta["period"])
            sq = np.empty(period)
            for i, t in enumerate(range(1, period + 1)):
                g = _call_grad(p, x, t, s0)[1]
                sq[i] = g @ g
                sup = max(sup, float(np.max(np.abs(g))))
            lcb = float(sq.mean())
        elif p.stochastic:
            ts, ss = ctx.draws(k)
            sq = np.empty(k)
            for i in range(k):
                g = _call_grad(p, x, ts[i], ss[i])[1]
                sq[i] = g @ g
                sup = max(sup, float(np.max(np.abs(g))))
            lcb = float(sq.mean()) - zcrit * float(sq.std(ddof=1)) / math.sqrt(k)
        else:
            g = _call_grad(p, x, t0, s0)[1]
            sq = np.array([g @ g])
            lcb = float(sq[0])
            sup = max(sup, float(np.max(np.abs(g))))
        pooled.append(sq)
        worst_mean, worst_lcb = max(worst_mean, float(sq.mean())), max(worst_lcb, lcb)
    allsq = np.concatenate(pooled)
    pooled_mean = float(allsq.mean())
    if p.stochastic:
        worst_lcb = max(worst_lcb, pooled_mean - zcrit * float(allsq.std(ddof=1))
                        / math.sqrt(allsq.size))
    rows = []
    if G is None:
        rows.append(Check("second_moment_G", None, None, None, "no G declared"))
    else:
        G2 = float(G) ** 2
        note = "mean ||g||^2 over all sampled points (claimed: G^2)"
        if p.stochastic:
            note += (f"; per point max {worst_mean:.6g}; pooled and per-point lower confidence "
                     f"bounds (z={zcrit:.2f}) must be <= G^2")
        else:
            note += f"; per point max {worst_mean:.6g} must be <= G^2"
        rows.append(Check("second_moment_G", pooled_mean, G2,
                          worst_lcb <= G2 * (1 + 1e-9) + 1e-12, note))
    if "G_inf" in p.constants:
        Gi = float(p.constants["G_inf"])
        rows.append(Check("sup_bound_G_inf", sup, Gi, sup <= Gi * (1 + 1e-12),
                          "max |g_i| over all samples"))
    else:
        rows.append(Check("sup_bound_G_inf", None, None, None, "no G_inf declared"))
    return rows


def _check_coord_moment(ctx, z_family):
    p = ctx.p
    if "G_coord" not in p.constants:
        return Check("second_moment_G_coord", None, None, None, "no G_coord declared")
    Gc2 = float(p.constants["G_coord"]) ** 2
    k = max(2, ctx.n_samples // 4) if p.stochastic else 1
    zcrit = float(norm.isf(z_family / (p.dim * len(ctx.points) + 1)))
    worst_mean, worst_lcb = 0.0, -np.inf
    for x, (t0, s0) in zip(ctx.points, ctx.steps):
        if p.online:
            sq = np.array([_call_grad(p, x, t, s0)[1] ** 2 for t in range(1, int(p.meta["period"]) + 1)])
            lcb = sq.mean(axis=0)
        elif p.stochastic:
            ts, ss = ctx.draws(k)
            sq = np.array([_call_grad(p, x, ts[i], ss[i])[1] ** 2 for i in range(k)])
            lcb = sq.mean(axis=0) - zcrit * sq.std(axis=0, ddof=1) / math.sqrt(k)
        else:
            sq = _call_grad(p, x, t0, s0)[1][None, :] ** 2
            lcb = sq[0]
        worst_mean = max(worst_mean, float(sq.mean(axis=0).max()))
        worst_lcb = max(worst_lcb, float(np.max(lcb)))
    return Check("second_moment_G_coord", worst_mean, Gc2, worst_lcb <= Gc2 * (1 + 1e-9) + 1e-12,
                 "largest per-coordinate mean g_k² over the points (claimed: G_coord²); its lower "
                 "confidence bound must be <= G_coord²")


def _optimum_points(ctx):
    p = ctx.p
    pts = list(ctx.points)
    for corner in (p.lower, p.upper):
        if np.all(np.isfinite(corner)):
            pts.append(corner.copy())
    if p.bounded and p.dim == 1:
        pts += [np.array([v]) for v in np.linspace(p.lower[0], p.upper[0], 201)]
    if p.x_star is not None:
        for r in (1e-4, 1e-2, 1e-1):
            for _ in range(4):
                pts.append(p.project(p.x_star + r * ctx.unit()))
    return pts


def _check_f_star(ctx):
    p = ctx.p
    if p.f_star is None:
        return Check("f_star_lower_bound", None, None, None, "no f_star declared")
    fmin = min(_call_obj(p, x)[0] for x in _optimum_points(ctx))
    tol = 1e-9 * (1.0 + abs(p.f_star))
    kind = p.meta.get("f_star_kind", "exact" if p.x_star is not None else "lower_bound")
    return Check("f_star_lower_bound", fmin, float(p.f_star), fmin >= p.f_star - tol,
                 f"min objective over sampled points of the domain (f_star is {kind})")


def _check_optimum(ctx):
    p = ctx.p
    if p.x_star is None:
        return [Check("optimum_value", None, None, None, "no x_star declared"),
                Check("optimum_first_order", None, None, None, "no x_star declared")]
    inside = bool(np.all(p.x_star >= p.lower) and np.all(p.x_star <= p.upper))
    f, g = _call_obj(p, p.x_star)
    fs = p.f_star
    ok_val = inside and fs is not None and abs(f - fs) <= 1e-9 * max(1.0, abs(fs))
    rows = [Check("optimum_value", f, fs, ok_val,
                  "objective(x_star) == f_star" + ("" if inside else "; x_star is outside the "
                                                   "domain"))]
    resid = float(np.max(np.abs(p.x_star - p.project(p.x_star - g))))
    tol = 1e-8 * (1.0 + float(np.max(np.abs(g))))
    rows.append(Check("optimum_first_order", resid, tol, resid <= tol,
                      "||x* - P(x* - grad f(x*))||_inf (projected-gradient stationarity)"))
    return rows


def _check_convexity(ctx):
    p = ctx.p
    if not p.convex:
        return Check("convexity", None, None, None, "not declared convex")
    worst = 0.0
    vals = [_call_obj(p, x) for x in ctx.points]
    for i, (fx, gx) in enumerate(vals):
        for j in range(len(vals)):
            if i != j:
                fy = vals[j][0]
                gap = fx + float(gx @ (ctx.points[j] - ctx.points[i])) - fy
                worst = max(worst, gap / max(1.0, abs(fy)))
    return Check("convexity", worst, 1e-9, worst <= 1e-9,
                 "max relative violation of f(y) >= f(x) + <grad f(x), y - x>")


def check_problem(problem, n_points: int = 16, n_samples: int = 2000, seed: int = 0,
                  fd_rtol: float = 1e-5, z_family: float = 1e-6) -> ConformanceReport:
    """Check a problem against its declared oracles, constants and optimum.

    Parameters
    ----------
    problem : Problem or str
        The problem, or a name accepted by :func:`counterexamples.get`.
    n_points : int, default 16
        Random points of the sample box (x0, x_star and corners are added).
    n_samples : int, default 2000
        Samples per point for the unbiasedness check (a quarter of it for the G check). For a
        rare event of probability p, keep n_samples >> 1/p.
    seed : int, default 0
        Seed of the suite's own sampling (points, directions, (t, seed) pairs).
    fd_rtol : float, default 1e-5
        Tolerance of the finite-difference checks (relative to max(1, ||g||)).
    z_family : float, default 1e-6
        Family-wise false-alarm probability of the statistical checks.

    Returns
    -------
    ConformanceReport
        ``.ok``, ``.failures``, and one :class:`Check` row per check (see the module docstring).
    """
    if isinstance(problem, str):
        from .registry import get

        problem = get(problem)
    if not isinstance(problem, Problem):
        raise TypeError(f"check_problem needs a Problem, got {type(problem).__name__}")
    ctx = _Ctx(problem, n_points, n_samples, seed)
    report = ConformanceReport(problem.name)
    report.rows.append(_guard("compiled", _check_compiled, ctx))
    report.rows.append(_guard("shapes", _check_shapes, ctx))
    report.rows.append(_guard("metadata", _check_metadata, ctx))
    report.rows.append(_guard("x0_in_domain", _check_x0, ctx))
    report.rows.append(_guard("grad_fd", lambda c: _check_grad_fd(c, fd_rtol), ctx))
    report.rows.append(_guard("objective_fd", lambda c: _check_objective_fd(c, fd_rtol), ctx))
    report.rows.append(_guard("grad1_consistent", _check_grad1, ctx))
    mean_check = ("period_mean" if problem.online else
                  "unbiased" if problem.stochastic else "oracle_matches_objective")
    report.rows.append(_guard(mean_check, lambda c: _check_unbiased(c, z_family), ctx))
    report.rows.append(_guard("lipschitz_L", _check_lipschitz, ctx))
    for name, fn in (("second_moment_G", lambda c: _check_second_moment(c, z_family)),
                     ("second_moment_G_coord", lambda c: _check_coord_moment(c, z_family)),
                     ("optimum_value", _check_optimum)):
        out = _guard(name, fn, ctx)
        report.rows.extend(out if isinstance(out, list) else [out])
    report.rows.append(_guard("f_star_lower_bound", _check_f_star, ctx))
    report.rows.append(_guard("convexity", _check_convexity, ctx))
    return report
