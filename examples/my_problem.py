r"""A user-defined problem: stochastic least squares on a box (the worked example of
docs/user_problems.md).

.. math::

    f(x) = \frac{1}{2n} \sum_{i=1}^n (a_i^\top x - y_i)^2, \qquad
    f(x, \xi) = \tfrac12 (a_\xi^\top x - y_\xi)^2,\ \ \xi \sim \text{Uniform}\{1..n\},
    \qquad x \in [-R, R]^d.

Data: a_i ~ N(0, I_d), y_i = a_iᵀ x_true + noise·N(0, 1), drawn once in ``make`` from
``numpy.random.default_rng(data_seed)`` (data generation may use any RNG; only the *oracle's*
sampling must use counterexamples.rng so that runs with the same seed see the same samples).

Constants:

* L = λ_max(AᵀA)/n (the Hessian is constant);
* on the box, |a_iᵀx - y_i| <= R ||a_i||_1 + |y_i|, so
  E||g||² <= (1/n) Σ_i ||a_i||² (R ||a_i||_1 + |y_i|)² =: G²;
* x* = the least-squares solution (inside the box for the defaults; checked), f* = f(x*).

Run the conformance suite on it::

    from counterexamples import get, check_problem
    print(check_problem(get("examples/my_problem.py:make", d=5)))

and anywhere a catalog name is accepted, write ``examples/my_problem.py:make``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from counterexamples import Problem, ProblemParameterError
from counterexamples.rng import uniform

# 1. The oracles: numba-compiled, with exactly the contract's signatures.
#    data holds [A | y] as one float64 (n, d+1) C-contiguous array.

@njit(cache=False)
def grad(x, t, seed, params, data, g):
    """One sample i = floor(n * uniform(seed, t, 0)): g = a_i (a_i.x - y_i), returns the loss."""
    n, d = data.shape[0], data.shape[1] - 1
    i = np.int64(uniform(seed, t, 0) * n)
    r = -data[i, d]
    for j in range(d):
        r += data[i, j] * x[j]
    for j in range(d):
        g[j] = r * data[i, j]
    return 0.5 * r * r


@njit(cache=False)
def objective(x, params, data, g):
    """f(x) = (1/2n) ||Ax - y||^2 and its gradient (1/n) A^T (Ax - y)."""
    n, d = data.shape[0], data.shape[1] - 1
    g[:] = 0.0
    f = 0.0
    for i in range(n):
        r = -data[i, d]
        for j in range(d):
            r += data[i, j] * x[j]
        f += 0.5 * r * r / n
        for j in range(d):
            g[j] += r * data[i, j] / n
    return f


# 2. The factory: validates parameters (one-line errors), builds the data, computes constants.

def make(n: int = 200, d: int = 5, noise: float = 0.1, R: float = 10.0, data_seed: int = 0):
    """Stochastic least squares on [-R, R]^d with n samples in dimension d."""
    if not (isinstance(n, int) and n >= 1):
        raise ProblemParameterError(f"n must be an integer >= 1 for my-least-squares, got {n!r}")
    if not (isinstance(d, int) and d >= 1):
        raise ProblemParameterError(f"d must be an integer >= 1 for my-least-squares, got {d!r}")
    if not noise >= 0:
        raise ProblemParameterError(f"noise must be >= 0 for my-least-squares, got {noise!r}")
    if not R > 0:
        raise ProblemParameterError(f"R must be > 0 for my-least-squares, got {R!r}")
    rng = np.random.default_rng(data_seed)
    a = rng.standard_normal((n, d))
    y = a @ rng.uniform(-1.0, 1.0, d) + noise * rng.standard_normal(n)
    data = np.ascontiguousarray(np.column_stack([a, y]))

    x_star = np.linalg.lstsq(a, y, rcond=None)[0]
    if np.any(np.abs(x_star) > R):
        raise ProblemParameterError(f"the least-squares solution leaves the box [-{R}, {R}]^d; "
                                    "increase R")
    f_star = 0.5 * float(np.sum((a @ x_star - y) ** 2)) / n
    L = float(np.linalg.eigvalsh(a.T @ a / n)[-1])
    G = math.sqrt(float(np.mean(np.sum(a * a, axis=1)
                                * (R * np.sum(np.abs(a), axis=1) + np.abs(y)) ** 2)))

    return Problem(
        name="my-least-squares",
        title=f"Stochastic least squares (n={n}, d={d}, noise={noise:g})",
        dim=d, grad=grad, objective=objective,
        params=np.array([float(n), float(d), noise, R]), param_names=("n", "d", "noise", "R"),
        data=data, lower=-R, upper=R, x_star=x_star, f_star=f_star, x0=np.full(d, R / 2),
        constants={"L": L, "G": G, "f_star": f_star},
        assumptions={"A1": True, "A2": True, "A3": True, "A4": True},
        stochastic=True, online=False, convex=True,
        source="user example (docs/user_problems.md)",
        expected="every method satisfying the sufficient condition converges to x*",
        meta={"f_star_kind": "exact"},
    )
