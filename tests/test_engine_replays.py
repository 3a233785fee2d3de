"""Counterexample replays through simulate()/simulate_grid(): which way each one goes.

Settings (stated here because the papers do not state step sizes):

* Reddi Section 5 online, x0 = 1, β1 = 0.9, β2 = 0.99, α_t = 0.5/sqrt(t), T = 10^5, ε = 1e-8
  (generic form, v_0 = ε): Adam ends above 0.9 (label "stuck"); AMSGrad (Reddi's max, same
  schedules) and Generic Adam with θ_t = 1 - 0.01/t end below -0.9 (label "converged").
  Average regret: Adam's stays above 0.25, AMSGrad's is below it.
* Reddi Thm 1, C = 3, β1 = 0, β2 = 1/(1 + C²) = 0.1, α_t = 0.1/sqrt(t), T = 2·10^4: Adam ends
  above 0.99 ("stuck"); with θ_t = 1 - 1/t it ends below -0.99 ("converged").
* Reddi Section 5 stochastic (mean gradient 0.2, noise ~100), same optimizers, α_t = 0.5/sqrt(t),
  T = 10^5, 32 seeds: Adam's mean final iterate ≥ 0.9 and no run is labelled converged; the means
  of AMSGrad and of Generic Adam (θ_t = 1 - 0.01/t) are at least 0.5 below Adam's (the standard
  error of a mean is about 0.1), and fewer of their runs are labelled stuck than Adam's.
"""

import numpy as np
import pytest

import counterexamples as cx
from adamtheory.simulate import simulate, simulate_grid
from adamtheory.specs import OptimizerSpec, adam, amsgrad


def _sec5_specs(lr=0.5):
    return [adam(lr=lr, beta1=0.9, beta2=0.99),
            amsgrad(lr=lr, beta1=0.9, beta2=0.99, mode="reddi"),
            OptimizerSpec.from_text(f"{lr}/sqrt(t)", "0.9", "1 - 0.01/t")]


def test_sec5_online_replay():
    prob = cx.get("reddi-sec5-online")
    g = simulate_grid(_sec5_specs(), prob, 100_000, grad_metrics=False)
    x = g.batch.x_final[:, 0]
    assert x[0] > 0.9 and x[1] < -0.9 and x[2] < -0.9
    assert list(g.labels) == ["stuck", "converged", "converged"]
    reg = g.batch.regret[-1]
    assert reg[0] > 0.25 and reg[1] < reg[0] and reg[2] < reg[0]


def test_thm1_replay_and_summary():
    prob = cx.get("reddi-thm1", C=3)
    adam_ = OptimizerSpec.from_text("0.1/sqrt(t)", "0", "1/(1 + 3**2)")
    fixed = OptimizerSpec.from_text("0.1/sqrt(t)", "0", "1 - 1/t")
    r1 = simulate(adam_, prob, 20_000)
    r2 = simulate(fixed, prob, 20_000)
    assert r1.x_final[0] > 0.99 and r1.label == "stuck"
    assert r2.x_final[0] < -0.99 and r2.label == "converged"
    s = r2.summary()
    assert s["label"] == "converged" and s["steps"] == 20_000 and s["flag"] == "ok"
    assert s["final"]["grad43"] is not None and s["x_final"][0] == r2.x_final[0]


@pytest.mark.slow
def test_sec5_stochastic_replay_statistics():
    prob = cx.get("reddi-sec5-stochastic")
    g = simulate_grid(_sec5_specs(), prob, 100_000, seeds=np.arange(32), grad_metrics=False)
    x = g.reshape(g.batch.x_final[:, 0])
    lab = g.reshape(g.labels)
    mean = x.mean(axis=1)
    assert mean[0] >= 0.9
    assert mean[1] <= mean[0] - 0.5 and mean[2] <= mean[0] - 0.5
    assert not (lab[0] == "converged").any()
    stuck = (lab == "stuck").sum(axis=1)
    assert stuck[1] < stuck[0] and stuck[2] < stuck[0]


@pytest.mark.parametrize("variant", ["torch", "keras"])
def test_grid_factorizes_tables(variant):
    prob = cx.get("reddi-sec5-online")
    specs = [[OptimizerSpec.from_text(f"0.5*t**(-{s})", "0.9", f"1 - 0.01*t**(-{r})")
              .with_variant(variant) for r in (0, 0.5, 1)] for s in (0.5, 0.75)]
    g = simulate_grid(specs, prob, 2000, grad_metrics=False)
    assert g.shape == (2, 3, 1) and len(g) == 6
    one = simulate(specs[1][2], prob, 2000, grad_metrics=False)
    np.testing.assert_array_equal(g.run(5).traces["x"], one.traces["x"])
