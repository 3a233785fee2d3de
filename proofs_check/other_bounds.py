r"""End to end: the bounds of other papers, as encoded in :mod:`adamtheory.bounds`, on the runs they
apply to.

* Défossez, Bottou, Bach, Usunier (TMLR 2022), β_1 = 0: their Adam (constant β_2) and AdaGrad bound
  E||∇F(x_τ)||², τ uniform on {0..N-1}, under ||∇f(x, ξ)||_∞ ≤ R - sqrt ε almost surely. That holds
  on ``logreg-nonconvex`` (bounded features) and on ``nonconvex-separable`` with σ = 0; Gaussian
  noise (σ > 0) has no almost-sure bound: reported as not applicable. Runs: their algorithm in
  numpy (:func:`adamtheory.bounds.reference_defossez`), measured = mean over seeds of
  (1/N) Σ_{n<N} ||∇F(x_n)||².
* Reddi, Kale, Kumar (ICLR 2018), Theorem 4: the regret of AMSGrad (Reddi's variant, α_t = α/sqrt t,
  constant β_1, β_2, γ = β_1/sqrt β_2 < 1) on the online convex problems ``reddi-sec5-online`` and
  ``reddi-thm1`` (domain [-1, 1], D_∞ = 2); measured regret R_T of the same reference run
  (:func:`adamtheory.bounds.reference_amsgrad`).

Statement checked: measured ≤ bound at every checkpoint, for every applicable (spec, problem).

Used in: comparing bounds from different papers on the same runs (docs/derivations.md, section 9);
the encodings are :func:`adamtheory.bounds.amsgrad_bound` and :func:`adamtheory.bounds.defossez_bound`.

Method: end-to-end (plain numpy reference loops). Quick: N = 2000 (Défossez), T = 10⁴ (AMSGrad);
full: N = 2·10⁴, T = 10⁵.

>>> # check(quick=True).passed -> True
"""

from __future__ import annotations

import time

import numpy as np

from ._result import END_TO_END, LemmaResult, fmt

LEMMA = "E2E other papers"
STATEMENT = "measured ≤ Défossez (Adam, AdaGrad) and Reddi (AMSGrad regret) bounds at every checkpoint"

DEFOSSEZ_SPECS = [  # (name, lr, beta2, eps); theta "1 - 1/t" for AdaGrad
    ("defossez-adam", 0.01, 0.9, 1e-8),
    ("defossez-adam", 0.001, 0.999, 1e-8),
    ("defossez-adagrad", 0.05, None, 1e-8),
]
DEFOSSEZ_PROBLEMS = [("logreg-nonconvex", {}), ("nonconvex-separable", {"sigma": 0.0, "d": 10}),
                     ("nonconvex-separable", {"sigma": 0.1, "d": 10})]
AMSGRAD_SPECS = [(0.1, 0.9, 0.99), (0.5, 0.0, 0.9)]
AMSGRAD_PROBLEMS = [("reddi-sec5-online", {}), ("reddi-thm1", {"C": 3})]


def _spec(name, lr, beta2, eps):
    from adamtheory.specs import OptimizerSpec

    if name == "defossez-adagrad":
        return OptimizerSpec.from_text(str(lr), "0", "1 - 1/t", eps=eps)
    return OptimizerSpec.from_text(str(lr), "0", str(beta2), eps=eps)


def defossez_grid(steps: int, seeds) -> dict:
    import counterexamples as cx
    from adamtheory.bounds import bound, reference_defossez
    from adamtheory.engine.batch import default_checkpoints

    ck = default_checkpoints(steps, 20)
    rows, na, viol, ratios = [], [], [], []
    for pname, params in DEFOSSEZ_PROBLEMS:
        prob = cx.get(pname, **params)
        for name, lr, b2, eps in DEFOSSEZ_SPECS:
            spec = _spec(name, lr, b2, eps)
            b = bound(name, spec, prob, ck)
            label = f"{pname}{params}" if params else pname
            if not b.applicable:
                na.append({"problem": label, "bound": name, "reason": b.reason})
                continue
            runs = [reference_defossez(prob, lr, b2 or 1.0, eps, steps, s, adagrad=b2 is None)
                    for s in seeds]
            mean = np.mean([np.cumsum(r) / np.arange(1, steps + 1) for r in runs], axis=0)[ck - 1]
            r = b.values / mean
            ratios.extend(r.tolist())
            bad = np.flatnonzero(mean > b.values)
            if bad.size:
                viol.append({"problem": label, "bound": name, "N": int(ck[bad[0]]),
                             "measured": float(mean[bad[0]]), "bound_value": float(b.values[bad[0]])})
            rows.append({"problem": label, "bound": name, "lr": lr, "beta2": b2,
                         "ratio_min": float(r.min()), "measured_N": float(mean[-1]),
                         "bound_N": float(b.values[-1])})
    return {"rows": rows, "not_applicable": na, "violations": viol, "ratios": ratios}


def amsgrad_grid(steps: int) -> dict:
    import counterexamples as cx
    from adamtheory.bounds import amsgrad_bound, reference_amsgrad
    from adamtheory.engine.batch import default_checkpoints
    from adamtheory.specs import amsgrad

    ck = default_checkpoints(steps, 20)
    rows, na, viol, ratios = [], [], [], []
    for pname, params in AMSGRAD_PROBLEMS:
        prob = cx.get(pname, **params)
        for lr, b1, b2 in AMSGRAD_SPECS:
            spec = amsgrad(lr=lr, beta1=b1, beta2=b2, mode="reddi")
            run = reference_amsgrad(prob, lr, b1, b2, steps)
            b = amsgrad_bound(spec, prob, ck, run=run)
            if not b.applicable:
                na.append({"problem": pname, "bound": "amsgrad", "reason": b.reason})
                continue
            meas = run["regret"][ck - 1]
            pos = meas > 0
            r = b.values[pos] / meas[pos]
            ratios.extend(r.tolist())
            bad = np.flatnonzero(meas > b.values)
            if bad.size:
                viol.append({"problem": pname, "bound": "amsgrad", "T": int(ck[bad[0]]),
                             "measured": float(meas[bad[0]]), "bound_value": float(b.values[bad[0]])})
            rows.append({"problem": pname, "bound": "amsgrad", "lr": lr, "beta1": b1, "beta2": b2,
                         "ratio_min": float(r.min()) if r.size else None,
                         "regret_T": float(meas[-1]), "bound_T": float(b.values[-1])})
    return {"rows": rows, "not_applicable": na, "violations": viol, "ratios": ratios}


def check(quick: bool = False, seed: int = 0) -> LemmaResult:
    t0 = time.perf_counter()
    de = defossez_grid(2000 if quick else 20000, range(seed, seed + (2 if quick else 4)))
    am = amsgrad_grid(10**4 if quick else 10**5)
    viol = de["violations"] + am["violations"]
    ratios = np.array(de["ratios"] + am["ratios"])
    rows = de["rows"] + am["rows"]
    worst = min(rows, key=lambda r: r["ratio_min"] if r["ratio_min"] is not None else np.inf)
    details = {"defossez": {k: v for k, v in de.items() if k != "ratios"},
               "amsgrad": {k: v for k, v in am.items() if k != "ratios"},
               "ratio": {"min": float(ratios.min()), "median": float(np.median(ratios)),
                         "max": float(ratios.max())}}
    return LemmaResult(LEMMA, STATEMENT, END_TO_END, int(ratios.size), not viol and ratios.size > 0,
                       worst.get("measured_N", worst.get("regret_T")),
                       worst.get("bound_N", worst.get("bound_T")),
                       fmt(viol[0]) if viol else "", details=details,
                       seconds=time.perf_counter() - t0)
