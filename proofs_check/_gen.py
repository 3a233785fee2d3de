"""Generators shared by the property checks: horizons, schedules, gradient sequences, the moment
recursion.

Every generator is a hypothesis strategy. Besides i.i.d. draws they reach the regimes where the
lemmas are tight (issue 12, item 5):

* horizons longer than 1/(1-ρ) (up to 240 steps), not only T ≤ 40;
* θ_t close to β² (SC4 barely holding: θ = β² + δ with δ down to 10⁻⁴), θ_t small for a while and
  then jumping (t_0 > 1), constant θ;
* time-varying β_t: constant, decaying (AdamNC), switching between 0 and β, free in [0, β];
* adversarial gradient sequences: a spike then zeros, geometric g_i = r^{T-i} (the Cauchy-Schwarz
  worst case r = β/θ), zeros then geometric growth, sparse spikes, alternating signs.

Flags drop one condition at a time so that a search can show which step of the proof the
condition protects.
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


def horizon(short: int = 12, long: int = 240):
    """T: short (1..short) or long (40..long, longer than 1/(1-ρ) for ρ up to ~0.98)."""
    return st.one_of(st.integers(1, short), st.integers(40, long)) if long else st.integers(1, short)


@st.composite
def theta_seq(draw, T, monotone=True, first=(0.01, 0.99), floor=0.0):
    """θ_1..θ_T in (0, 1).

    monotone: random non-decreasing (ω_t = 1-θ_t shrinks by factors in [0.3, 1]); constant;
    ``floor + δ`` with δ small (θ_t close to β² = floor: SC4 barely holding); a low value for the
    first steps then a jump (t_0 > 1). Not monotone: free in [0.01, 0.99].
    """
    if not monotone:
        return np.array(draw(st.lists(st.floats(0.01, 0.99), min_size=T, max_size=T)))
    kind = draw(st.sampled_from(["random", "const", "near", "jump"]))
    if kind == "const":
        return np.full(T, draw(st.floats(max(first[0], floor + 1e-4), first[1])))
    if kind == "near":
        delta = 10 ** draw(st.floats(-4, -1)) * (1 - floor)
        return np.full(T, min(floor + delta, 1 - 1e-9))
    if kind == "jump":
        k = draw(st.integers(0, T))
        below = floor > first[0] and draw(st.booleans())      # θ_t < β² until the jump (t_0 > 1)
        lo = draw(st.floats(first[0], floor if below else first[1]))
        hi = draw(st.floats(max(lo, floor + 1e-4), 0.999).filter(lambda h: h >= lo)) \
            if max(lo, floor + 1e-4) < 0.999 else lo
        return np.concatenate([np.full(k, lo), np.full(T - k, hi)])
    w = 1.0 - draw(st.floats(*first))
    out = []
    for _ in range(T):
        out.append(1.0 - w)
        w = max(w * draw(st.floats(0.3, 1.0)), 1e-6)
    return np.array(out)


@st.composite
def beta_seq(draw, T, top=0.95, vary=True):
    """β_1..β_T in [0, top]: constant, decaying b λ^{t-1} (AdamNC), switching between 0 and b,
    or free in [0, b] (Lemmas 1, 4 and 5 are stated for time-varying β_t)."""
    b = draw(st.floats(0.0, top)) if draw(st.integers(0, 5)) else 0.0
    kind = draw(st.sampled_from(["const", "decay", "switch", "free"])) if vary else "const"
    if kind == "const" or b == 0.0:
        return np.full(T, b)
    if kind == "decay":
        return b * draw(st.floats(0.0, 1.0)) ** np.arange(T)
    if kind == "switch":
        on = draw(st.lists(st.booleans(), min_size=T, max_size=T))
        return np.where(on, b, 0.0)
    return np.array(draw(st.lists(st.floats(0.0, b), min_size=T, max_size=T)))


def extremal(beta, theta, t):
    """The Cauchy-Schwarz extremal sequence for m_t²/Σ_i c_i g_i² at step t (zeros after t):
    g_i = (1-β_i) Π_{i<j≤t} β_j/θ_j, for which m_t² = S_t Σ_{i≤t} c_i g_i² (c_i = Π_{i<j≤t} θ_j)."""
    beta, theta = np.asarray(beta, float), np.asarray(theta, float)
    g = np.zeros(beta.size)
    q = 1.0
    for i in range(t - 1, -1, -1):
        g[i] = (1.0 - beta[i]) * q
        q *= beta[i] / theta[i]
        if not np.isfinite(q) or q > 1e150:
            break
    return g


@st.composite
def grads(draw, T, adversarial=True, schedule=None):
    """g_1..g_T: i.i.d. in [-50, 50] (with zeros), or an adversarial sequence; with
    ``schedule=(β, θ)`` also the Cauchy-Schwarz extremal sequence of :func:`extremal` ending at a
    random step."""
    kinds = ["iid", "spike", "geom", "grow", "sparse", "alt"] + (["extremal"] * 4 if schedule else [])
    kind = draw(st.sampled_from(kinds)) if adversarial else "iid"
    if kind == "extremal":      # ending at a random step or at the step where S_t is largest
        from adamtheory.bounds import step_constant

        t = draw(st.one_of(st.integers(1, T), st.just(int(np.argmax(step_constant(*schedule))) + 1)))
        return 10 ** draw(st.floats(-3, 3)) * extremal(*schedule, t)
    if kind == "iid":
        return np.array(draw(st.lists(GRAD, min_size=T, max_size=T)))
    scale = 10 ** draw(st.floats(-3, 3))
    if kind == "spike":
        g = np.zeros(T)
        g[draw(st.integers(0, T - 1))] = scale
        return g
    if kind == "geom":             # g_i = r^{T-i}: the Cauchy-Schwarz worst case for r = β/θ
        r = draw(st.one_of(st.just(0.0), st.floats(0.1, 12.0)))
        return scale * r ** np.minimum(np.arange(T - 1, -1, -1.0), 100.0)
    if kind == "grow":             # zeros for j steps, then geometric growth (v climbs back)
        j = draw(st.integers(0, T - 1))
        r = draw(st.floats(1.0, 3.0)) ** np.minimum(np.arange(T - j, dtype=float), 60.0)
        return scale * np.r_[np.zeros(j), r]
    if kind == "sparse":
        on = draw(st.lists(st.booleans(), min_size=T, max_size=T))
        return scale * np.asarray(on, float)
    return scale * (-1.0) ** np.arange(T)


@st.composite
def chi_seq(draw, T, c0=3.0):
    """χ_1..χ_T > 0 (SC3 on a finite range): a non-increasing a_t times factors in [1, c0];
    constant; constant with one bump up to 100×; constant then a drop by up to 10³."""
    a = draw(st.floats(0.01, 2.0))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return np.full(T, a)
    if kind == 1:                  # constant but for one step, up to 100 times larger (C_0)
        chi = np.full(T, a)
        chi[draw(st.integers(0, T - 1))] *= 10 ** draw(st.floats(0.0, 2.0))
        return chi
    if kind == 2:                  # constant, then down by up to 10^3 from some step on
        j = draw(st.integers(0, T - 1))
        return np.r_[np.full(j, a), np.full(T - j, a * 10 ** draw(st.floats(-3.0, 0.0)))]
    out = []
    for _ in range(T):
        out.append(a * draw(st.floats(1.0, c0)))
        a *= draw(st.floats(0.5, 1.0))
    return np.array(out)
