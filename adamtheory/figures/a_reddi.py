"""(a) ``a_reddi_sec5.png``: Reddi et al. Section 5, online and stochastic, x_t and R_t/t.

Engine runs (:func:`adamtheory.simulate.simulate_grid`) of Adam (θ = 0.99, no guarantee),
AMSGrad (outside the family) and Generic Adam with θ_t = 1 - 0.01/t (guaranteed), α_t =
0.5/√t, β = 0.9, on ``reddi-sec5-online`` (one run) and ``reddi-sec5-stochastic`` (4 seeds
quick, 8 full); 10^5 steps quick, 10^6 full. No sweep file: three named optimizers, not a grid.
"""

from __future__ import annotations

import json

import numpy as np

from .shape import Figure, Job

PARAMS = {"lr": 0.5, "lr_decay": "sqrt", "beta1": 0.9, "beta2": 0.99, "theta_generic": 0.01}
PROBLEMS = {"online": "reddi-sec5-online", "stochastic": "reddi-sec5-stochastic"}


def specs() -> dict:
    """The three optimizers of the figure, by legend text."""
    from ..specs import OptimizerSpec, amsgrad, named

    p = PARAMS
    return {
        r"Adam, $\theta = 0.99$": named("adam", lr=p["lr"], beta1=p["beta1"], beta2=p["beta2"]),
        r"AMSGrad, $\theta = 0.99$": amsgrad(lr=p["lr"], beta1=p["beta1"], beta2=p["beta2"]),
        r"Generic Adam, $\theta_t = 1 - 0.01/t$": OptimizerSpec.from_text(
            "0.5/sqrt(t)", "0.9", "1 - 0.01/t"),
    }


def runs(problem_name: str, steps: int, seeds) -> dict:
    """Run every spec of :func:`specs` on ``problem_name``: x_t and R_t/t per seed, the labels
    and the checker's verdict ("guaranteed", "no guarantee", "outside the family")."""
    import counterexamples

    from ..conditions import check
    from ..engine import default_checkpoints
    from ..simulate import simulate_grid

    sp = specs()
    grid = simulate_grid(list(sp.values()), counterexamples.get(problem_name), steps,
                         seeds=seeds, checkpoints=default_checkpoints(steps, 150),
                         grad_metrics=False)  # the figure draws x_t and R_t/t only
    b, ns = grid.batch, len(seeds)
    out = {"steps": np.asarray(b.steps), "series": {}}
    for k, (name, spec) in enumerate(sp.items()):
        cols = slice(k * ns, (k + 1) * ns)
        theory = ("outside the family" if not spec.in_family
                  else "guaranteed" if check(spec, cache=True).converges else "no guarantee")
        out["series"][name] = {"x": b.x[:, cols].T.copy(), "regret": b.regret[:, cols].T.copy(),
                               "labels": [str(v) for v in grid.labels[cols]], "theory": theory}
    return out


def compute(job: Job) -> dict:
    steps = 100_000 if job.quick else 1_000_000
    seeds = [0] if job.group == "online" else list(range(4 if job.quick else 8))
    return runs(PROBLEMS[job.group], steps, seeds)


def draw(job: Job, parts: dict) -> dict:
    from ..plotting.traces import trace_figure

    rows = {"online": parts["online"], "stochastic": parts["stochastic"]}
    trace_figure(
        {"Reddi Sec. 5 online": rows["online"], "Reddi Sec. 5 stochastic": rows["stochastic"]},
        job.path(), r"Reddi et al. Section 5: $\alpha_t = 0.5/\sqrt{t}$, $\beta_1 = 0.9$, "
        r"$x_1 = 1$ (in brackets: the checker's verdict)")
    summary = {}
    for k, d in rows.items():
        summary[k] = {name.replace("$", ""): {
            "x_T_mean": float(np.mean(np.atleast_2d(tr["x"])[:, -1])),
            "labels": tr["labels"], "theory": tr["theory"]} for name, tr in d["series"].items()}
    return {"python": "adamtheory.figures.a_reddi.runs(problem, steps, seeds) with "
            + json.dumps(PARAMS), "steps": int(rows["online"]["steps"][-1]),
            "seeds_stochastic": int(np.atleast_2d(
                next(iter(rows["stochastic"]["series"].values()))["x"]).shape[0]),
            "sweep": None, "result": summary}


FIGURE = Figure(
    key="a", files=("a_reddi_sec5.png",),
    summary="Reddi et al. Section 5 replays: Adam stuck, Generic Adam θ_t = 1 - 0.01/t converges",
    compute=compute, draw=draw, groups=("online", "stochastic"))
