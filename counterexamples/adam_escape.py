r"""A stochastic, unconstrained Reddi-type problem on which constant-θ Adam escapes to +∞.

.. math::

    f(x, \xi) = \xi x + \mu \sqrt{1 + x^2}, \qquad
    \xi = \begin{cases} C & \text{with probability } p \\ -1 & \text{otherwise} \end{cases},
    \qquad x \in \mathbb{R},

with mean slope :math:`m := pC - (1 - p)` and :math:`0 < m < \mu < 1`. The sample at step t of
the run with ``seed`` is the event ``uniform(seed, t, 0) < p`` (as in ``reddi-thm3``). Write
q := μ² - m² > 0.

Facts (derived; checked by the conformance suite and tests/test_escape.py):

* E f(x, ξ) = F(x) := m x + μ √(1 + x²), strictly convex (F'' = μ (1 + x²)^{-3/2} > 0).
* A1: F'(x) = m + μ x/√(1+x²) = 0 at x* = -m/√q; F(x*) = f* = √q (with √(1+x*²) = μ/√q:
  F(x*) = (-m² + μ²)/√q). F → +∞ on both sides (slopes m ± μ have opposite signs), so f* is the
  global minimum.
* A2: |F''| ≤ μ, attained at x = 0: L = μ.
* A3: E[ξ] = m, so E g = F'(x) with g = ξ + μ x/√(1+x²).
* A4: with u = x/√(1+x²) ∈ (-1, 1), E g² = pC² + (1-p) + 2 m μ u + μ² u² < pC² + (1-p) + 2mμ + μ²
  = G² (the supremum, approached as x → +∞), and |g| < C + μ = G_inf surely.

So (A1)-(A4) hold on all of R (``theorem_applies`` is True): Generic Adam with a schedule that
satisfies the sufficient condition (e.g. α_t = α/√t, θ_t = 1 - c/t) is covered by the theorem
(the averaged E|F'(x_t)|^{4/3} tends to 0, and x* is the only stationary point); in the runs
below it reaches x*.

Behaviour it must show: for x ≫ 1 the sampled gradient is C + μ (rarely) or -(1 - μ) (mostly).
Adam with a constant, short-memory θ (here θ = 1/(1 + C²), the β2 of Reddi et al.'s Theorem 1
example, and β1 = 0) normalizes each gradient by a v_t that forgets the rare large one within a
few steps: the frequent steps are sign-like, about +α_t each, and the rare one is about
-α_t/√(1-θ) (≈ -1.05 α_t with the defaults), so for p < 1/2 the mean step is positive. The iterate drifts to +∞
like a fixed fraction of Σ α_t (measured: about 0.2) while F(x_t) = (m + μ) x_t + o(1) rises,
and no overflow threshold is ever crossed.

Measured with the defaults (C = 3, p = 0.325, μ = 0.5: m = 0.3, x* = -0.75, f* = 0.4), x0 = 0,
β1 = 0, θ = 1/(1 + C²) = 0.1, α_t = 0.1/√t, ε = 1e-8 (generic form, seeds 0-2): x_t = 1.2-1.8 at
t = 10^3, 3.8-4.7 at 10^4, 12.1-12.7 at 10^5, with F(x_t) - f* = 0.7-1.2, 2.7-3.4, 9.3-9.7; the
engine's classifier labels these runs ``diverged`` (escape rule of adamtheory.engine.classify).
With θ_t = 1 - 1/t instead the same runs end at x_T ∈ [-0.78, -0.73] after 10^5 steps. With
β1 = 0.9 > √θ the constant-θ run does not escape (it settles near x = -0.55, biased but bounded);
Reddi's theorems are stated for β1 < √β2.

Source: the linear stochastic counterexample of S. J. Reddi, S. Kale, S. Kumar, "On the
Convergence of Adam and Beyond", ICLR 2018, Theorem 3 (mean slope small against a rare large
gradient, small β2), with the box [-1, 1] replaced by the smooth convex anchor μ√(1 + x²) so that
the problem is unconstrained, L-smooth and has an interior minimizer; constructed for adamtheory
(issue 12, item 7).

Examples
--------
>>> from counterexamples import get
>>> p = get("adam-escape")
>>> round(p.meta["mean_slope"], 12), round(float(p.x_star[0]), 12), round(p.f_star, 12)
(0.3, -0.75, 0.4)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._base import Problem
from ._validate import real, require
from .rng import uniform

NAME = "adam-escape"


@njit(cache=False)
def _slope(t, seed, params):
    """ξ_t: ``C`` if ``uniform(seed, t, 0) < p`` else -1."""
    if uniform(seed, t, 0) < params[1]:
        return params[0]
    return -1.0


@njit(cache=False)
def grad1(x, t, seed, params):
    """Scalar oracle: returns (f(x, ξ_t), f'(x, ξ_t)) = (ξ x + μ√(1+x²), ξ + μ x/√(1+x²))."""
    xi = _slope(t, seed, params)
    mu = params[2]
    r = np.sqrt(1.0 + x * x)
    return xi * x + mu * r, xi + mu * x / r


@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """Stochastic oracle: g = f'(x, ξ_t), returns f(x, ξ_t) (``data`` unused)."""
    f, d = grad1(x[0], t, seed, params)
    g[0] = d
    return f


@njit(cache=False)
def objective(x, params, data, g):
    """F(x) = m x + μ√(1+x²) with m = pC - (1-p); writes F'(x) into g."""
    C, p, mu = params[0], params[1], params[2]
    m = p * C - (1.0 - p)
    r = np.sqrt(1.0 + x[0] * x[0])
    g[0] = m + mu * x[0] / r
    return m * x[0] + mu * r


def make(C: float = 3.0, p: float = 0.325, mu: float = 0.5):
    """Reddi-type escape problem, unconstrained.

    Parameters
    ----------
    C : float, default 3
        The rare large slope (> 1).
    p : float, default 0.325
        Its probability; the mean slope m = pC - (1-p) must satisfy 0 < m < mu, i.e.
        1/(C+1) < p < (1+mu)/(C+1).
    mu : float, default 0.5
        Weight of the anchor mu·sqrt(1+x²); 0 < mu < 1 (so that the frequent slope -1 + mu
        stays negative far to the right).

    Returns
    -------
    Problem
        Stochastic, convex, 1-d on R; x0 = 0, x* = -m/sqrt(mu² - m²), f* = sqrt(mu² - m²),
        L = mu, G = sqrt(pC² + 1 - p + 2 m mu + mu²), G_inf = C + mu.
    """
    C = real(C, "C", NAME)
    p = real(p, "p", NAME)
    mu = real(mu, "mu", NAME)
    require(C > 1, f"C must be > 1 for {NAME}, got {C:g}")
    require(0 < mu < 1, f"mu must be in (0, 1) for {NAME}, got {mu:g}")
    m = p * C - (1.0 - p)
    require(0 < p < 1 and 0 < m < mu,
            f"p must give a mean slope m = pC - (1-p) in (0, mu) for {NAME}, i.e. "
            f"{1 / (C + 1):.6g} < p < {(1 + mu) / (C + 1):.6g}; got p={p:g} (m={m:g})")
    q = mu * mu - m * m
    x_star = -m / math.sqrt(q)
    f_star = math.sqrt(q)
    G = math.sqrt(p * C * C + (1.0 - p) + 2.0 * m * mu + mu * mu)
    return Problem(
        name=NAME, title=f"Reddi-type escape, xi x + mu sqrt(1+x^2) (C={C:g}, p={p:g}, "
                         f"mu={mu:g})",
        dim=1, grad=grad, objective=objective, grad1=grad1,
        params=np.array([C, p, mu]), param_names=("C", "p", "mu"),
        x_star=x_star, f_star=f_star, x0=0.0,
        constants={"L": mu, "G": G, "G_inf": C + mu, "f_star": f_star},
        assumptions={"A1": True, "A2": True, "A3": True, "A4": True},
        stochastic=True, online=False, convex=True,
        source="Reddi, Kale, Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Theorem 3, "
               "made unconstrained with the anchor mu sqrt(1+x^2) (constructed for adamtheory)",
        expected=("Constant-theta Adam (beta1=0, theta=1/(1+C^2), alpha_t=0.1/sqrt(t)) drifts to "
                  "+inf like sum alpha_t with f rising (x_T ~ 12 after 1e5 steps from x0=0), "
                  "classified diverged; theta_t = 1 - 1/t converges to x* = -0.75."),
        meta={"user_params": {"C": C, "p": p, "mu": mu}, "f_star_kind": "exact",
              "mean_slope": m, "sample_box": (-5.0, 5.0),
              "assumption_notes": {
                  "A1": "E f = m x + mu sqrt(1+x^2) is strictly convex and coercive; "
                        "f* = sqrt(mu^2 - m^2) at x* = -m/sqrt(mu^2 - m^2)",
                  "A2": "|F''| = mu (1+x^2)^(-3/2) <= mu, so L = mu (tight at x = 0)",
                  "A3": "E xi = m: E g = F'(x) exactly",
                  "A4": "E g^2 < p C^2 + 1 - p + 2 m mu + mu^2 = G^2 on R; |g| < C + mu"}},
    )
