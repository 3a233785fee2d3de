"""The shared moment update (adamtheory.engine.update) against the frameworks' own formulas.

- every (eps_mode, amsgrad, bias correction) combination against the textbook form of the
  framework it names (torch.optim.Adam, optax.adam/amsgrad, Keras, Reddi's AMSGrad), step by step,
  to relative round-off; a planted wrong ε placement is caught by the same comparison;
- torch.optim.Adam itself (float64, with and without AMSGrad) when torch is installed;
- the generic form: ``generic_step`` equals ``adam_update``'s v0 step bit for bit; the array
  forms (``.py_func`` on numpy arrays) equal the compiled scalar calls bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from adamtheory.engine.codes import AMS_NONE, AMSGRAD_MODES, EPS_MODES, EPS_V0
from adamtheory.engine.update import adam_update, bias_factors, generic_step, initial_v, moments

B1, B2, LR, EPS, EROOT = 0.9, 0.99, 0.1, 1e-3, 1e-4


def _grads(T=60, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.05, T) * np.exp(rng.normal(0.0, 1.0, T))


def _shared(mode, ams, bc, grads):
    v0 = EPS if mode == "v0" else 0.0
    m, v, vm, pb, pt = 0.0, v0, v0, 1.0, 1.0
    out = []
    for g in grads:
        pb, pt, c1, c2 = bias_factors(pb, pt, B1, B2, bc)
        m, v, vm, step = adam_update(g, m, v, vm, LR, B1, B2, c1, c2, EPS_MODES[mode],
                                     AMSGRAD_MODES[ams], EPS, EROOT)
        out.append(step)
    return np.array(out)


def _textbook(mode, ams, bc, grads, wrong=False):
    """Each framework's update as its documentation writes it (bias-corrected moments m̂, v̂)."""
    v0 = EPS if mode == "v0" else 0.0
    m, v, vmax, vhat_max = 0.0, v0, v0, v0
    out = []
    for t, g in enumerate(grads, start=1):
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        c1, c2 = (1 - B1 ** t, 1 - B2 ** t) if bc else (1.0, 1.0)
        mh, vh = m / c1, v / c2
        if ams == "reddi":                       # Reddi et al., Algorithm 2: no correction, no ε
            vmax = max(vmax, v)
            out.append(LR * m / math.sqrt(vmax))
            continue
        if ams == "torch":                       # torch: max over raw v, then / c2
            vmax = max(vmax, v)
            vh = vmax / c2
        elif ams == "optax":                     # optax: max over corrected v
            vhat_max = max(vhat_max, vh)
            vh = vhat_max
        if mode == "v0":                         # the paper's form: ε only as v_0
            out.append(LR * mh / math.sqrt(vh))
        elif mode == "torch":
            out.append(LR * mh / ((math.sqrt(vh + EPS) if wrong else math.sqrt(vh)) + EPS))
        elif mode == "optax":
            out.append(LR * mh / (math.sqrt(vh + EROOT) + EPS))
        else:                                    # Keras: α_t = α sqrt(1-β2^t)/(1-β1^t), ε̂
            raw = vh * c2
            out.append(LR * math.sqrt(c2) / c1 * m / (math.sqrt(raw) + EPS))
    return np.array(out)


VARIANTS = [(mode, ams, bc) for mode in EPS_MODES for ams in ("none", "torch", "optax", "reddi")
            for bc in (False, True) if mode == "v0" or bc]


@pytest.mark.parametrize("mode,ams,bc", VARIANTS)
def test_matches_the_frameworks_formulas(mode, ams, bc):
    g = _grads()
    np.testing.assert_allclose(_shared(mode, ams, bc, g), _textbook(mode, ams, bc, g),
                               rtol=1e-12, atol=0.0)


def test_wrong_eps_placement_is_caught():
    g = _grads()
    got, bad = _shared("torch", "none", True, g), _textbook("torch", "none", True, g, wrong=True)
    assert np.max(np.abs(got - bad) / np.abs(bad)) > 1e-3


@pytest.mark.parametrize("amsgrad", [False, True])
def test_torch_adam_float64(amsgrad):
    torch = pytest.importorskip("torch")  # the test extra; the rest of the file runs without it
    g = _grads(T=40, seed=1)
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=LR, betas=(B1, B2), eps=EPS, amsgrad=amsgrad, foreach=False)
    ref = []
    for gt in g:
        before = p.detach().clone()
        p.grad = torch.tensor([gt], dtype=torch.float64)
        opt.step()
        ref.append(float(before - p.detach()))
    ours = _shared("torch", "torch" if amsgrad else "none", True, g)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=0.0)


def test_generic_step_is_the_v0_step_bitwise():
    g = _grads(seed=2)
    m, v = 0.0, EPS
    for t, gt in enumerate(g, start=1):
        a = LR / math.sqrt(t)
        m2, v2, _, step = adam_update(gt, m, v, v, a, B1, B2, 1.0, 1.0, EPS_V0, AMS_NONE, EPS, 0.0)
        assert (m2, v2) == moments(gt, m, v, B1, B2)
        assert step == generic_step(a, m2, v2)
        m, v = m2, v2


def test_array_forms_equal_compiled_scalars_bitwise():
    rng = np.random.default_rng(3)
    g, m, v = rng.normal(size=50), rng.normal(size=50), rng.uniform(0.1, 2.0, 50)
    ma, va = moments.py_func(g, m, v, B1, B2)
    sa = generic_step.py_func(LR, ma, va)
    for j in range(50):
        mj, vj = moments(g[j], m[j], v[j], B1, B2)
        assert (ma[j], va[j]) == (mj, vj)
        assert sa[j] == generic_step(LR, mj, vj)


def test_initial_v():
    np.testing.assert_array_equal(initial_v([1e-8, 1e-8], [EPS_MODES["v0"], EPS_MODES["torch"]]),
                                  [1e-8, 0.0])

