"""The main job: run the checker where the theory makes claims and write results and figures.

``adamtheory demo -o DIR`` writes

* ``DIR/verdicts.json``: the checker's verdict for the named optimizers (Adam, RMSProp,
  AdaGrad, AdaEMA, AdamNC) and for every cell of an (s, r) grid of the polynomial family
  α_t = 0.5 t^{-s}, β = 0.9, θ_t = 1 - 0.01 t^{-r};
* ``DIR/theory_map.png``: that grid coloured by verdict, with rate-exponent contours and the
  boundaries r = 2s and s = 1 of the closed form;
* ``DIR/reddi_sec5_online.png``: the replay of Reddi et al.'s Section 5 online counterexample
  (α_t = 0.5/sqrt(t), β_1 = 0.9, 10^5 steps from x_1 = 1): Adam (θ = 0.99) against AMSGrad and
  Generic Adam with θ_t = 1 - 0.01/t, iterate and average regret, with the checker's verdict in
  the legend.

Every verdict goes through the per-user verdict cache (:func:`adamtheory.conditions.check` with
``cache=True``), as in ``figures`` and ``sweep``: a second ``demo`` asks sympy nothing it asked
before.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import __version__
from .conditions import check, check_many, headline
from .plotting import theory_map
from .plotting.traces import trace_figure
from .schedules import constant, one_minus_power, power
from .specs import OptimizerSpec, named


def _category(v) -> str:
    c = v.conditions
    sc3, conv = c["SC3"].status == "fails", c["convergence"].status == "fails"
    if v.converges:
        return "converges"
    if sc3 and conv:
        return "both fail"
    if sc3:
        return "SC3 fails"
    if conv:
        return "convergence fails"
    return "undecided"


def run_demo(out: Path, quick: bool = False, workers: int = 2, echo=print) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = {"version": __version__, "named": {}, "grid": {}}
    echo("Named optimizers (α_t = lr/sqrt(t)):")
    for name in ("adam", "rmsprop", "adagrad", "adaema", "adamnc"):
        v = check(named(name), cache=True)
        result["named"][name] = v.to_dict()
        echo(f"  {name:<8} {headline(v)}")
    n_s, n_r = (8, 9) if quick else (24, 25)
    s_values = [Fraction(k, n_s) * Fraction(6, 5) for k in range(1, n_s + 1)]
    r_values = [Fraction(2 * k, n_r - 1) for k in range(n_r)]
    specs = [
        OptimizerSpec(power(0.5, s), constant(0.9), one_minus_power(0.01, r))
        for r in r_values for s in s_values
    ]
    echo(f"Checking {len(specs)} cells of the (s, r) grid ...")
    verdicts = check_many(specs, workers=workers, cache=True)
    cats = np.array([_category(v) for v in verdicts]).reshape(n_r, n_s)
    ex = np.array([v.rate_exponent if v.rate_exponent is not None else np.nan for v in verdicts])
    ex = ex.reshape(n_r, n_s)
    result["grid"] = {
        "alpha": "0.5*t**(-s)", "beta": "0.9", "theta": "1 - 0.01*t**(-r)",
        "s": [float(s) for s in s_values], "r": [float(r) for r in r_values],
        "category": cats.tolist(),
        "rate_exponent": [[None if np.isnan(x) else float(x) for x in row] for row in ex],
    }
    counts = {k: int((cats == k).sum()) for k in np.unique(cats)}
    echo("  cells: " + ", ".join(f"{k}: {n}" for k, n in counts.items()))
    theory_map([float(s) for s in s_values], [float(r) for r in r_values], cats, ex,
               out / "theory_map.png")
    result["replay"] = _replay(out, steps=100_000, echo=echo)
    result["seconds"] = round(time.perf_counter() - started, 2)
    tmp = out / "verdicts.json.tmp"
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    tmp.replace(out / "verdicts.json")
    echo(f"Wrote verdicts.json, theory_map.png and reddi_sec5_online.png to {out} "
         f"in {result['seconds']} s")
    return result


def _replay(out: Path, steps: int, echo=print) -> dict:
    """Adam, AMSGrad and Generic Adam on Reddi Section 5 online: engine run + checker verdict."""
    import counterexamples

    from .simulate import simulate_grid
    from .specs import amsgrad

    problem = counterexamples.get("reddi-sec5-online")
    specs = {
        "Adam, θ = 0.99": named("adam", lr=0.5, beta1=0.9, beta2=0.99),
        "AMSGrad, θ = 0.99": amsgrad(lr=0.5, beta1=0.9, beta2=0.99),
        "Generic Adam, θ_t = 1 - 0.01/t": OptimizerSpec.from_text("0.5/sqrt(t)", "0.9", "1 - 0.01/t"),
    }
    echo(f"Replaying Reddi et al. Section 5 (online) for {steps} steps ...")
    grid = simulate_grid(list(specs.values()), problem, steps)
    series, rows = {}, {}
    for i, (name, spec) in enumerate(specs.items()):
        run = grid.run(i)
        verdict = "outside the family" if not spec.in_family else (
            "guaranteed" if check(spec, cache=True).converges else "no guarantee")
        label = name.replace("θ_t", r"$\theta_t$").replace("θ =", r"$\theta$ =")
        series[f"{label} ({verdict})"] = run.traces
        rows[name] = {"x_final": float(run.x_final[0]), "label": run.label,
                      "avg_regret": float(run.traces["regret"][-1]), "theory": verdict}
        echo(f"  {name:<32} x_T = {run.x_final[0]:+.3f}  R_T/T = {run.traces['regret'][-1]:.4f}"
             f"  label = {run.label:<10} theory: {verdict}")
    trace_figure({"": {"steps": grid.batch.steps, "series": series}},
                 out / "reddi_sec5_online.png",
                 r"Reddi et al. Section 5, online: $\alpha_t = 0.5/\sqrt{t}$, $\beta_1 = 0.9$")
    return rows
