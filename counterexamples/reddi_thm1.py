r"""Reddi, Kale, Kumar (2018), Theorem 1: online problem on which Adam converges to the worst point.

.. math::

    f_t(x) = \begin{cases} C x & t \bmod 3 = 1 \\ -x & \text{otherwise} \end{cases},
    \qquad x \in [-1, 1],\ C > 2.

The period mean is :math:`\bar f(x) = \tfrac{C-2}{3} x`, minimised at x* = -1 with
f* = -(C-2)/3; this mean is what ``objective`` returns.

Behaviour it must show: Adam with β1 = 0, β2 = 1/(1+C²) and α_t = α/√t (and with constant α,
and with ε added) drifts to x = +1, the *worst* point, and its average regret R_T/T does not
vanish. AMSGrad, and Generic Adam with θ_t = 1 - 1/t (AdaGrad-type weighting, which satisfies
the sufficient condition Σ α_t √(1-θ_t) = o(T α_T)), reach x = -1.

Source: S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018,
Theorem 1 and its proof (Appendix).

Examples
--------
>>> from counterexamples import get
>>> p = get("reddi-thm1", C=3)
>>> p.x_star, p.f_star
(array([-1.]), -0.3333333333333333)
"""

from __future__ import annotations

from ._linear import periodic_problem, replay
from ._validate import real, require

NAME = "reddi-thm1"


def make(C: float = 3.0):
    """Reddi Theorem 1 problem.

    Parameters
    ----------
    C : float, default 3
        The large gradient, taken once every 3 steps; must be > 2.

    Returns
    -------
    Problem
        Online, convex, 1-d on [-1, 1]; x0 = 1, x* = -1, f* = -(C-2)/3, L = 0,
        G = sqrt((C²+2)/3), G_inf = C.
    """
    C = real(C, "C", NAME)
    require(C > 2, f"C must be > 2 for Reddi Thm 1 (the period mean (C-2)/3 x must increase), "
                   f"got {C:g}")
    beta2 = 1.0 / (1.0 + C * C)
    return periodic_problem(
        name=NAME, title=f"Reddi et al. Thm 1 (C={C:g})", a=C, b=1.0, period=3,
        param_names=("C", "b", "period"),
        source="Reddi, Kale, Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Theorem 1",
        expected=(f"Adam with beta1=0, beta2=1/(1+C^2)={beta2:.4g}, alpha_t=0.1/sqrt(t) drifts to "
                  "x=+1 (the worst point) and its average regret stays bounded away from 0; "
                  "AMSGrad and theta_t=1-1/t reach x*=-1."),
        replays=[
            replay("adam", beta1=0.0, theta=beta2, steps=20000, outcome={"x_final_above": 0.9}),
            replay("amsgrad", beta1=0.0, theta=beta2, steps=20000,
                   outcome={"x_final_below": -0.9}),
            replay("adam", beta1=0.0, theta="1-1/t", steps=20000,
                   outcome={"x_final_below": -0.9}),
        ],
        user_params={"C": C},
    )
