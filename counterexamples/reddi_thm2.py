r"""Reddi, Kale, Kumar (2018), Theorem 2: Adam fails for every β1 < √β2 once the period is long.

.. math::

    f_t(x) = \begin{cases} C x & t \bmod C = 1 \\ -x & \text{otherwise} \end{cases},
    \qquad x \in [-1, 1],\ C \in \{2, 3, \dots\}.

C is both the large gradient and the period. The period mean is :math:`\bar f(x) = x / C`
(one step of +C, C-1 steps of -1), minimised at x* = -1 with f* = -1/C.

Behaviour it must show: for β1 < √β2 Adam fails once C is large enough for (β1, β2): the rare
large gradient inflates v_t, so the C-1 small steps toward -1 are damped while the one large step
toward +1 is not. Measured with Generic Adam (REFERENCE §1, v_0 = 1e-12, no bias correction),
β1 = 0.9, β2 = 0.99, α_t = 0.1/√t, x0 = 1, 10^5 steps: C ≤ 10 reaches -1, C = 20 ends near
0.25, C = 50 (the default) and C = 101 end at +1. Larger β2 needs larger C (β2 = 0.999: still
x ≈ 0.3 at C = 2000), which is why the default is tuned to β2 = 0.99, the value of Reddi's
Section 5 experiment. ``reddi-sec5-online`` is this problem with C = 101, scaled by 10.

Source: S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018,
Theorem 2 (the problem form is recalled from its proof; REFERENCE §4).

Examples
--------
>>> from counterexamples import get
>>> get("reddi-thm2").f_star
-0.02
"""

from __future__ import annotations

from ._linear import periodic_problem, replay
from ._validate import integer, require

NAME = "reddi-thm2"


def make(C: int = 50):
    """Reddi Theorem 2 problem.

    Parameters
    ----------
    C : int, default 50
        Large gradient and period (integer >= 2). The default makes Adam with β1 = 0.9,
        β2 = 0.99 fail; see the module docstring for the measured threshold.

    Returns
    -------
    Problem
        Online, convex, 1-d on [-1, 1]; x0 = 1, x* = -1, f* = -1/C, L = 0,
        G = sqrt((C² + C - 1)/C), G_inf = C.
    """
    C = integer(C, "C", "Reddi Thm 2", what="an integer period >= 2")
    require(C >= 2, f"C must be an integer period >= 2 for Reddi Thm 2, got {C}")
    return periodic_problem(
        name=NAME, title=f"Reddi et al. Thm 2 (C={C})", a=float(C), b=1.0, period=C,
        param_names=("C", "b", "period"),
        source="Reddi, Kale, Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Theorem 2",
        expected=("For beta1 < sqrt(beta2) and C large enough, Adam drifts to x=+1: with the "
                  "default C=50, beta1=0.9, beta2=0.99, alpha_t=0.1/sqrt(t) it ends above 0.9 "
                  "after 1e5 steps; AMSGrad (alpha=1) moves to x*=-1."),
        replays=[
            replay("adam", beta1=0.9, theta=0.99, steps=100000, outcome={"x_final_above": 0.9}),
            replay("amsgrad", beta1=0.9, theta=0.99, alpha=1.0, steps=100000,
                   outcome={"x_final_below": -0.9}),
        ] if C == 50 else [],
        user_params={"C": C},
    )
