"""The worst-case search's inner loop (adamtheory.tightness.run): the Python-float loop gives the
numbers of the IEEE (numpy scalar) loop bit for bit, including where Python floats would raise
and the IEEE loop is used instead."""

import numpy as np
import pytest

from adamtheory import tightness
from adamtheory.specs import OptimizerSpec

CASES = tightness.SCHEDULES + (("0.05/sqrt(t)", "0", "1 - 1/t"),)  # θ_1 = 0: v_1 may be 0


@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_run_equals_the_ieee_loop(text):
    spec = OptimizerSpec.from_text(*text)
    T = 200
    a, b, th = spec.alpha.values(T), spec.beta.values(T), spec.theta.values(T)
    rng = np.random.default_rng(len(text[2]))
    # raw parameters over their whole clipped range, and the start x_1 = 0 (g_1 = 0)
    xs = [np.r_[rng.uniform(-13, 7, 5), rng.uniform(-60, 60)] for _ in range(60)]
    xs.append(np.r_[rng.uniform(-4, 2, 5), 0.0])
    for x in xs:
        fast = tightness.run(x, a, b, th, float(spec.eps), T)
        with np.errstate(all="ignore"):
            ref = tightness._run_ieee(x, a, b, th, float(spec.eps), T)
        assert fast.shape == (T,)
        assert np.array_equal(fast, ref, equal_nan=True), x


def test_run_refuses_short_schedules():
    # the schedules must cover the horizon (no silent zeros past their end)
    spec = OptimizerSpec.from_text(*tightness.SCHEDULES[0])
    a, b, th = spec.alpha.values(50), spec.beta.values(50), spec.theta.values(50)
    with pytest.raises(ValueError, match="T = 60"):
        tightness.run(np.zeros(6), a, b, th, float(spec.eps), 60)
