"""Generators shared by the property checks: schedules, gradient sequences, the moment recursion.

Every generator is a hypothesis strategy; flags drop one condition at a time so that a search can
show which step of the proof the condition protects.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

GRAD = st.one_of(st.just(0.0), st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False))


def moments(g, beta, theta, eps):
    """Generic Adam's m_t, v_t (one coordinate, m_0 = 0, v_0 = ε) for t = 1..T as arrays."""
    m, v = 0.0, float(eps)
    ms, vs = np.empty(len(g)), np.empty(len(g))
    for i, gi in enumerate(g):
        m = beta[i] * m + (1.0 - beta[i]) * gi
        v = theta[i] * v + (1.0 - theta[i]) * gi * gi
        ms[i], vs[i] = m, v
    return ms, vs


@st.composite
def theta_seq(draw, T, monotone=True, first=(0.01, 0.99)):
    """θ_1..θ_T in (0, 1): non-decreasing (ω_t = 1-θ_t shrinks by factors in [0.3, 1]) or free."""
    if monotone:
        w = 1.0 - draw(st.floats(*first))
        out = []
        for _ in range(T):
            out.append(1.0 - w)
            w = max(w * draw(st.floats(0.3, 1.0)), 1e-6)
        return np.array(out)
    return np.array(draw(st.lists(st.floats(0.01, 0.99), min_size=T, max_size=T)))


@st.composite
def chi_seq(draw, T, c0=3.0):
    """χ_1..χ_T almost non-increasing: a non-increasing a_t times factors in [1, c0]."""
    a = draw(st.floats(0.01, 2.0))
    out = []
    for _ in range(T):
        out.append(a * draw(st.floats(1.0, c0)))
        a *= draw(st.floats(0.5, 1.0))
    return np.array(out)


@st.composite
def grads(draw, T):
    return np.array(draw(st.lists(GRAD, min_size=T, max_size=T)))
