r"""Reddi, Kale, Kumar (2018), Section 5: the online synthetic experiment.

.. math::

    f_t(x) = \begin{cases} 1010 x & t \bmod 101 = 1 \\ -10 x & \text{otherwise} \end{cases},
    \qquad x \in [-1, 1].

Period mean :math:`\bar f(x) = (1010 - 100 \cdot 10)/101 \, x = \tfrac{10}{101} x`: x* = -1,
f* = -10/101. This is ``reddi-thm2`` with C = 101, multiplied by 10 (Adam without ε is
invariant to that scale, so both must behave alike).

Behaviour it must show (the paper's figure): with β1 = 0.9, β2 = 0.99 Adam's x_t goes to +1 and
its average regret R_t/t stays high, while AMSGrad's x_t goes to -1 and its regret vanishes.
The paper does not state the step size; α_t = α/√t is used here.

Source: S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018,
Section 5 (synthetic experiments), Figure 1.
"""

from __future__ import annotations

from ._linear import periodic_problem, replay

NAME = "reddi-sec5-online"


def make():
    """Reddi Section 5 online problem (no parameters).

    Returns
    -------
    Problem
        Online, convex, 1-d on [-1, 1]; x0 = 1, x* = -1, f* = -10/101, L = 0,
        G = sqrt(1030100/101) ≈ 100.99, G_inf = 1010.
    """
    return periodic_problem(
        name=NAME, title="Reddi et al. Sec 5, online", a=1010.0, b=10.0, period=101,
        param_names=("a", "b", "period"),
        source="Reddi, Kale, Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Section 5",
        expected=("Adam (beta1=0.9, beta2=0.99) drifts to x=+1 with average regret bounded away "
                  "from 0; AMSGrad moves to x*=-1 and its average regret vanishes."),
        replays=[
            replay("adam", beta1=0.9, theta=0.99, steps=100000, outcome={"x_final_above": 0.9}),
            replay("amsgrad", beta1=0.9, theta=0.99, alpha=1.0, steps=100000,
                   outcome={"x_final_below": -0.9}),
        ],
        user_params={},
    )
