r"""End to end: the derived bound against every run of the engine.

Statement: for every configuration satisfying SC1-SC4 (and the derivation's θ_1 > 0, generic
form) on every non-convex catalog problem that satisfies A1-A4, at every checkpoint T,

.. math::

    \Big(\frac{1}{S}\sum_{\text{seeds}} \mathrm{grad43}(T)\Big)^{3/2}
    \le \frac{C + C' \sum_{t\le T}\alpha_t\sqrt{1-\theta_t} + C'' D_T + C''' V_T}{T\alpha_T},

where grad43(T) = (1/T) Σ_{k≤T} ||∇f(x_k)||^{4/3} is the engine's per-step metric (x_1 = x0, the
iterate *before* step 1; the recorded sum at checkpoint T runs over the iterates at which steps
1..T take their gradients, i.e. x_1..x_T, exactly τ uniform on {1..T}). The mean over S seeds
estimates the expectation. ``two-layer-net`` declares A2 and A4 false and is reported as not
applicable, with the reason. A single violation is a bug (derivation or engine).

The report gives the tightness ratio bound/measured (min, median, max over the grid).

Used in: the "must show" of the derivation (docs/derivations.md, section 8): the theorem, with the
constants :mod:`adamtheory.bounds` computes, against the engine the rest of the toolkit uses.

Method: end-to-end (:func:`adamtheory.simulate.simulate_grid`, numba engine).
Quick: T = 10⁴, 3 seeds, 6 schedules; full: T = 10⁵, 5 seeds, 9 schedules.

>>> # check(quick=True).passed  -> True  (about 20 s with compilation)
"""

from __future__ import annotations

import time

import numpy as np

from ._result import END_TO_END, LemmaResult, fmt

LEMMA = "E2E generic bound"
STATEMENT = "(mean_seeds grad43(T))^{3/2} ≤ (C + C' S_T + C'' D_T + C''' V_T)/(T α_T) at every checkpoint"

QUICK_SPECS = [
    ("0.05/sqrt(t)", "0", "1 - 0.5/t"),
    ("0.05/sqrt(t)", "0.9", "1 - 0.5/t"),
    ("0.05/t**(3/4)", "0.5", "1 - 0.5/t**(3/2)"),
    ("0.02/sqrt(t)", "0.9", "0.999"),
    ("0.05/sqrt(t)", "0", "1 - 0.5/sqrt(t)"),
    ("0.05/sqrt(t)", "0.9*0.99**(t-1)", "1 - 0.5/t"),      # AdamNC-type β_t (V_T > 0)
]
FULL_SPECS = QUICK_SPECS + [
    ("0.5/sqrt(t)", "0.9", "1 - 0.1/t"),
    ("0.2/sqrt(t)", "0.5", "1 - 0.9/t"),
    ("0.01", "0.9", "0.99"),
]
PROBLEMS = [("nonconvex-separable", {}), ("logreg-nonconvex", {}), ("two-layer-net", {})]


def run_grid(specs_text, problems, steps: int, seeds) -> dict:
    """Run the grid and compare with the bound; returns a report dict (see :func:`check`)."""
    import counterexamples as cx
    from adamtheory.bounds import generic_bound
    from adamtheory.conditions import check as check_conditions
    from adamtheory.engine.batch import default_checkpoints
    from adamtheory.simulate import simulate_grid
    from adamtheory.specs import OptimizerSpec

    specs = [OptimizerSpec.from_text(*s) for s in specs_text]
    verdicts = [check_conditions(s, numeric_range=max(steps, 10**4)) for s in specs]
    ck = default_checkpoints(steps, 25)
    rows, not_applicable, ratios, violations = [], [], [], []
    for name, params in problems:
        prob = cx.get(name, **params)
        bounds = [generic_bound(s, prob, ck, verdict=v) for s, v in zip(specs, verdicts)]
        ok = [i for i, b in enumerate(bounds) if b.applicable]
        for i, b in enumerate(bounds):
            if not b.applicable:
                not_applicable.append({"problem": name, "spec": specs_text[i], "reason": b.reason})
        if not ok:
            continue
        g = simulate_grid([specs[i] for i in ok], prob, steps, seeds=list(seeds), checkpoints=ck)
        res = g.batch
        n_seeds = len(list(seeds))
        g43 = res.grad43.reshape(len(res.steps), len(ok), n_seeds)
        if np.any(~np.isfinite(g43)):
            violations.append({"problem": name, "reason": "non-finite grad43 (a run stopped)",
                               "flags": sorted(set(res.flag_names()))})
        measured = np.nanmean(g43, axis=2) ** 1.5
        for j, i in enumerate(ok):
            b = bounds[i]
            r = b.values / measured[:, j]
            ratios.extend(r.tolist())
            bad = np.flatnonzero(measured[:, j] > b.values)
            if bad.size:
                k = int(bad[0])
                violations.append({"problem": name, "spec": specs_text[i], "T": int(ck[k]),
                                   "measured": float(measured[k, j]), "bound": float(b.values[k])})
            k = int(np.argmin(r))
            rows.append({"problem": name, "spec": specs_text[i], "C": b.constants["C"],
                         "T_at_min": int(ck[k]), "measured_at_min": float(measured[k, j]),
                         "bound_at_min": float(b.values[k]),
                         "C'": b.constants["C'"], "C''": b.constants["C''"],
                         "C'''": b.constants["C'''"],
                         "ratio_min": float(r.min()), "ratio_at_T": float(r[-1]),
                         "measured_T": float(measured[-1, j]), "bound_T": float(b.values[-1])})
    rat = np.array(ratios)
    return {"rows": rows, "not_applicable": not_applicable, "violations": violations,
            "checkpoints": [int(c) for c in ck], "steps": steps, "seeds": list(seeds),
            "n_comparisons": int(rat.size),
            "ratio": {"min": float(rat.min()), "median": float(np.median(rat)),
                      "max": float(rat.max())} if rat.size else {}}


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    specs = QUICK_SPECS if quick else FULL_SPECS
    steps = 10**4 if quick else 10**5
    seeds = range(seed, seed + (3 if quick else 5))
    rep = run_grid(specs, PROBLEMS, steps, seeds)
    viol = rep["violations"]
    ok = not viol and rep["n_comparisons"] > 0
    worst = min(rep["rows"], key=lambda r: r["ratio_min"]) if rep["rows"] else {}
    return LemmaResult(LEMMA, STATEMENT, END_TO_END, rep["n_comparisons"], ok,
                       worst.get("measured_at_min"), worst.get("bound_at_min"),
                       fmt(viol[0]) if viol else "", details=rep,
                       seconds=time.perf_counter() - t0)
