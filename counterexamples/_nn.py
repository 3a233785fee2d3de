"""Small numba helpers shared by the data-based problems (numerically stable logistic pieces)."""

import math

from numba import njit


@njit(cache=False, inline="always")
def softplus(z):
    """log(1 + exp(z)) without overflow."""
    if z > 0.0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


@njit(cache=False, inline="always")
def sigmoid(z):
    """1 / (1 + exp(-z)) without overflow."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
