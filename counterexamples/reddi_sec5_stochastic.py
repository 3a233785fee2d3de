r"""Reddi, Kale, Kumar (2018), Section 5: the stochastic synthetic experiment.

.. math::

    f(x, \xi) = \begin{cases} 1010 x & \text{with probability } 0.01 \\
                              -10 x & \text{otherwise} \end{cases},
    \qquad x \in [-1, 1],

so :math:`\mathbb{E} f(x, \xi) = (10.1 - 9.9) x = 0.2 x`: x* = -1, f* = -0.2. This is
``reddi-thm3`` with C = 101, δ = 0.02, multiplied by 10. The sample at step t of the run with
``seed`` is the event ``uniform(seed, t, 0) < 0.01``.

Behaviour it must show (the paper's figure): with β1 = 0.9, β2 = 0.99 Adam's x_t goes to +1,
AMSGrad's x_t goes to -1. The paper does not state the step size; α_t = α/√t is used here.

Source: S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018,
Section 5 (synthetic experiments), Figure 1.
"""

from __future__ import annotations

from ._linear import replay, twopoint_problem

NAME = "reddi-sec5-stochastic"


def make():
    """Reddi Section 5 stochastic problem (no parameters).

    Returns
    -------
    Problem
        Stochastic, convex, 1-d on [-1, 1]; x0 = 1, x* = -1, f* = -0.2, L = 0,
        G = sqrt(10300) ≈ 101.49, G_inf = 1010.
    """
    return twopoint_problem(
        name=NAME, title="Reddi et al. Sec 5, stochastic", a=1010.0, b=10.0, p=0.01,
        param_names=("a", "b", "p"),
        source="Reddi, Kale, Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Section 5",
        expected=("Adam (beta1=0.9, beta2=0.99) drifts to x=+1 although the mean gradient is "
                  "+0.2; AMSGrad moves toward x*=-1."),
        replays=[
            replay("adam", beta1=0.9, theta=0.99, steps=100000, outcome={"x_final_above": 0.9}),
        ],
        user_params={},
    )
