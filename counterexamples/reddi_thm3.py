r"""Reddi, Kale, Kumar (2018), Theorem 3: a stochastic convex problem on which Adam fails.

.. math::

    f(x, \xi) = \begin{cases} C x & \text{with probability } p = \frac{1+\delta}{C+1} \\
                              -x & \text{otherwise} \end{cases},
    \qquad x \in [-1, 1],

so that :math:`\mathbb{E} f(x, \xi) = p C - (1 - p) = \delta x`: optimum x* = -1, f* = -δ.
The sample at step t of the run with ``seed`` is the event ``uniform(seed, t, 0) < p``.

Behaviour it must show: with β1 < √β2 and C large relative to (β1, β2, δ), Adam's x_t drifts
to +1 although the expected gradient points to -1. Measured (Generic Adam, β1 = 0.9,
β2 = 0.99, α_t = 0.1/√t, x0 = 1, 10^5 steps, three seeds): C = 50, δ = 0.1 (the default) ends at
+1; C = 20, δ = 0.1 ends near 0.5; δ = 0.5 with C ≤ 50 reaches -1. The stochastic Section 5
problem is C = 101, δ = 0.02 scaled by 10 (``reddi-sec5-stochastic``).

Source: S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018,
Theorem 3 (recalled, medium confidence; REFERENCE §4).

Examples
--------
>>> from counterexamples import get
>>> p = get("reddi-thm3", C=50, delta=0.1)
>>> round(p.constants["f_star"], 12)
-0.1
"""

from __future__ import annotations

from ._linear import replay, twopoint_problem
from ._validate import real, require

NAME = "reddi-thm3"


def make(C: float = 50.0, delta: float = 0.1):
    """Reddi Theorem 3 problem.

    Parameters
    ----------
    C : float, default 50
        The rare large gradient; must be > 0.
    delta : float, default 0.1
        The mean slope; must satisfy 0 < delta < C (so that p = (1+delta)/(C+1) < 1).

    Returns
    -------
    Problem
        Stochastic, convex, 1-d on [-1, 1]; x0 = 1, x* = -1, f* = -delta, L = 0,
        G = sqrt(p C² + 1 - p), G_inf = max(C, 1).
    """
    C = real(C, "C", NAME)
    delta = real(delta, "delta", NAME)
    require(C > 0, f"C must be > 0 for Reddi Thm 3, got {C:g}")
    require(delta > 0, f"delta must be > 0 for Reddi Thm 3 (E f = delta x), got {delta:g}")
    require(delta < C, f"delta must be < C for Reddi Thm 3 (p = (1+delta)/(C+1) must be < 1), "
                       f"got delta={delta:g}, C={C:g}")
    p = (1.0 + delta) / (C + 1.0)
    return twopoint_problem(
        name=NAME, title=f"Reddi et al. Thm 3 (C={C:g}, delta={delta:g})", a=C, b=1.0, p=p,
        param_names=("C", "b", "p"),
        source="Reddi, Kale, Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Theorem 3",
        expected=("Adam drifts to x=+1 although E f = delta x: with the default C=50, delta=0.1, "
                  "beta1=0.9, beta2=0.99, alpha_t=0.1/sqrt(t) it ends above 0.9 after 1e5 steps."),
        replays=[
            replay("adam", beta1=0.9, theta=0.99, steps=100000, outcome={"x_final_above": 0.9}),
        ] if (C, delta) == (50.0, 0.1) else [],
        user_params={"C": C, "delta": delta},
    )
