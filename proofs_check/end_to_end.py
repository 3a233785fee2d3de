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
    from adamtheory import bounds as bounds_mod
    from adamtheory.bounds import generic_bound
    from adamtheory.conditions import check as check_conditions
    from adamtheory.engine.batch import default_checkpoints
    from adamtheory.simulate import simulate_grid
    from adamtheory.specs import OptimizerSpec
    from adamtheory.tightness import dense_checkpoints, weighted_lhs

    specs = [OptimizerSpec.from_text(*s) for s in specs_text]
    verdicts = [check_conditions(s, numeric_range=max(steps, 10**4)) for s in specs]
    ck = default_checkpoints(steps, 25)
    dense = dense_checkpoints(steps, ck)
    pos = np.searchsorted(dense, ck)
    rows, not_applicable, ratios, violations = [], [], [], []
    per_statement = {k: [] for k in bounds_mod.STATEMENT_LHS}
    for name, params in problems:
        prob = cx.get(name, **params)
        bounds = [generic_bound(s, prob, ck, verdict=v) for s, v in zip(specs, verdicts)]
        ok = [i for i, b in enumerate(bounds) if b.applicable]
        for i, b in enumerate(bounds):
            if not b.applicable:
                not_applicable.append({"problem": name, "spec": specs_text[i], "reason": b.reason})
        if not ok:
            continue
        g = simulate_grid([specs[i] for i in ok], prob, steps, seeds=list(seeds), checkpoints=dense)
        res = g.batch
        n_seeds = len(list(seeds))
        g43 = res.grad43.reshape(len(res.steps), len(ok), n_seeds)
        if np.any(~np.isfinite(g43)):
            violations.append({"problem": name, "reason": "non-finite grad43 (a run stopped)",
                               "flags": sorted(set(res.flag_names()))})
        mean43 = np.nanmean(g43, axis=2)                      # (dense, configs)
        lhs = {"uniform": mean43[pos] ** 1.5}
        for j, i in enumerate(ok):
            b = bounds[i]
            lhs_w = weighted_lhs(dense, mean43[:, j], specs[i].alpha.values(steps))[pos]
            row = {"problem": name, "spec": specs_text[i]}
            stms = {**b.statements, "theorem-1": b.values}   # values: Theorem 1 as returned
            for key, stm in stms.items():
                side = bounds_mod.STATEMENT_LHS[key]
                meas = lhs["uniform"][:, j] if side == "uniform" else lhs_w
                r = stm / meas
                per_statement[key].extend(r.tolist())
                bad = np.flatnonzero(meas > stm)
                if bad.size:
                    k = int(bad[0])
                    violations.append({"problem": name, "spec": specs_text[i], "statement": key,
                                       "T": int(ck[k]), "measured": float(meas[k]),
                                       "bound": float(stm[k])})
                k = int(np.argmin(r))
                cst = b.statement_constants.get(key, {})
                row[key] = {"C": cst.get("C"), "C'": cst.get("C'"), "C''": cst.get("C''"),
                            "C'''": cst.get("C'''"), "ratio_min": float(r.min()),
                            "T_at_min": int(ck[k]), "ratio_at_T": float(r[-1]),
                            "measured_T": float(meas[-1]), "bound_T": float(stm[-1])}
            # the tightest statement at each checkpoint: the smallest bound/measured ratio over
            # the statements (each a valid bound on its own left side)
            best = np.min([np.asarray(stms[key]) / (
                lhs["uniform"][:, j] if bounds_mod.STATEMENT_LHS[key] == "uniform" else lhs_w)
                for key in stms], axis=0)
            ratios.extend(best.tolist())
            k = int(np.argmin(best))
            old = row["theorem-1"]
            row.update({"C": old["C"], "C'": old["C'"], "C''": old["C''"], "C'''": old["C'''"],
                        "ratio_min": float(best.min()), "T_at_min": int(ck[k]),
                        "ratio_at_T": float(best[-1]),
                        "measured_at_min": float(lhs["uniform"][k, j]),
                        "bound_at_min": float(b.values[k]),
                        "measured_T": float(lhs["uniform"][-1, j]), "bound_T": float(b.values[-1])})
            rows.append(row)
    rat = np.array(ratios)
    return {"rows": rows, "not_applicable": not_applicable, "violations": violations,
            "checkpoints": [int(c) for c in ck], "steps": steps, "seeds": list(seeds),
            "n_comparisons": int(rat.size),
            "ratio": _block(rat),
            "ratio_by_statement": {k: _block(np.array(v)) for k, v in per_statement.items()}}


def _block(r):
    return {"min": float(r.min()), "median": float(np.median(r)), "max": float(r.max())} if r.size else {}


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
