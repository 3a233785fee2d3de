r"""Shared oracles for the one-dimensional linear counterexamples of Reddi et al. (2018).

Two families cover all five Reddi problems, so that the engine compiles its kernels once per
family instead of once per problem (the family's constants are runtime data in ``params``):

Periodic online family, ``params = [a, b, P]`` (``P`` an integer period >= 2)

.. math::  f_t(x) = a x \ \text{if}\ t \bmod P = 1, \qquad f_t(x) = -b x \ \text{otherwise},

whose period mean is :math:`\bar f(x) = s x` with :math:`s = (a - (P-1) b)/P`.

Two-point stochastic family, ``params = [a, b, p]``

.. math::  f(x, \xi) = a x \ \text{with probability}\ p, \qquad f(x, \xi) = -b x \ \text{otherwise},

with :math:`\xi` = ``uniform(seed, t, 0)`` (the event is ``xi < p``) and mean
:math:`\mathbb{E} f(x, \xi) = (p a - (1-p) b) x`.

Both are linear, so L = 0, and on the domain [-1, 1] the optimum is x* = -sign(s).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .rng import uniform

# --- periodic online family -------------------------------------------------------------------

@njit(cache=False)
def periodic_slope(t, params):
    """Slope of f_t: ``a`` when ``t mod P == 1``, else ``-b``.

    The phase is computed in float64 (exact for integer t, P below 2^53 / P): an integer
    modulo per configuration and step costs more than the whole Adam update.
    """
    period = params[2]
    tf = np.float64(t)
    phase = tf - period * np.floor(tf / period)
    # both slopes are read before the choice: a select of two values, no branch, so that a
    # kernel's loop over configurations that inlines this stays free of control flow (LLVM
    # then vectorizes it on AVX2 too, where a load under a branch is not if-converted)
    a, b = params[0], -params[1]
    return a if phase == 1.0 else b


@njit(cache=False)
def periodic_grad(x, t, seed, params, data, g):
    """Online oracle: g = f_t'(x), returns f_t(x) (``seed`` and ``data`` unused)."""
    s = periodic_slope(t, params)
    g[0] = s
    return s * x[0]


@njit(cache=False)
def periodic_grad1(x, t, seed, params):
    """Scalar online oracle: returns (f_t(x), f_t'(x))."""
    s = periodic_slope(t, params)
    return s * x, s


@njit(cache=False)
def periodic_objective(x, params, data, g):
    """Period mean: g = s, returns s x with s = (a - (P-1) b) / P."""
    period = params[2]
    s = (params[0] - (period - 1.0) * params[1]) / period
    g[0] = s
    return s * x[0]


def periodic_constants(a: float, b: float, period: int) -> dict:
    """L, G (root mean square of g_t over a period), G_inf (max |g_t|) and f* on [-1, 1]."""
    s = (a - (period - 1) * b) / period
    return {
        "L": 0.0,
        "G": math.sqrt((a * a + (period - 1) * b * b) / period),
        "G_inf": max(abs(a), abs(b)),
        "f_star": -abs(s),
        "mean_slope": s,
    }


# --- two-point stochastic family --------------------------------------------------------------

@njit(cache=False)
def twopoint_slope(t, seed, params):
    """Slope of f(., xi_t): ``a`` if ``uniform(seed, t, 0) < p`` else ``-b``."""
    if uniform(seed, t, 0) < params[2]:
        return params[0]
    return -params[1]


@njit(cache=False)
def twopoint_grad(x, t, seed, params, data, g):
    """Stochastic oracle: g = f'(x, xi_t), returns f(x, xi_t) (``data`` unused)."""
    s = twopoint_slope(t, seed, params)
    g[0] = s
    return s * x[0]


@njit(cache=False)
def twopoint_grad1(x, t, seed, params):
    """Scalar stochastic oracle: returns (f(x, xi_t), f'(x, xi_t))."""
    s = twopoint_slope(t, seed, params)
    return s * x, s


@njit(cache=False)
def twopoint_objective(x, params, data, g):
    """Mean: g = p a - (1-p) b, returns g x."""
    p = params[2]
    s = p * params[0] - (1.0 - p) * params[1]
    g[0] = s
    return s * x[0]


def twopoint_constants(a: float, b: float, p: float) -> dict:
    """L, G = sqrt(E g^2), G_inf = max |g| and f* on [-1, 1]."""
    s = p * a - (1 - p) * b
    return {
        "L": 0.0,
        "G": math.sqrt(p * a * a + (1 - p) * b * b),
        "G_inf": max(abs(a), abs(b)),
        "f_star": -abs(s),
        "mean_slope": s,
    }


ONLINE_ASSUMPTION_NOTES = {
    "A1": "linear on the box [-1, 1]: f >= f* = -|s|",
    "A2": "linear: grad f is constant, L = 0",
    "A3": "fails: online, g_t = f_t'(x) is deterministic and differs from the period-mean "
          "gradient; it is unbiased only on average over one period",
    "A4": "holds with G^2 = mean of g_t^2 over one period (and |g_t| <= G_inf surely)",
}

STOCHASTIC_ASSUMPTION_NOTES = {
    "A1": "linear on the box [-1, 1]: f >= f* = -|E slope|",
    "A2": "linear: grad f is constant, L = 0",
    "A3": "holds: E f'(x, xi) = f'(x) exactly",
    "A4": "holds with G^2 = E g^2 = p a^2 + (1-p) b^2 (and |g| <= G_inf surely)",
}


# --- Problem builders -------------------------------------------------------------------------

def periodic_problem(*, name, title, a, b, period, param_names, source, expected, replays,
                     user_params):
    """A :class:`Problem` of the periodic family on [-1, 1] with x0 = 1."""
    from ._base import Problem

    c = periodic_constants(a, b, period)
    s = c["mean_slope"]
    return Problem(
        name=name, title=title, dim=1,
        grad=periodic_grad, objective=periodic_objective, grad1=periodic_grad1,
        params=np.array([a, b, float(period)]), param_names=param_names,
        lower=-1.0, upper=1.0, x_star=-math.copysign(1.0, s), f_star=c["f_star"], x0=1.0,
        constants={k: c[k] for k in ("L", "G", "G_inf", "f_star")},
        assumptions={"A1": True, "A2": True, "A3": False, "A4": True},
        stochastic=False, online=True, convex=True, source=source, expected=expected,
        meta={"period": int(period), "mean_slope": s, "user_params": dict(user_params),
              "assumption_notes": dict(ONLINE_ASSUMPTION_NOTES), "replays": list(replays),
              "f_star_kind": "exact", "family": "periodic-linear"},
    )


def twopoint_problem(*, name, title, a, b, p, param_names, source, expected, replays,
                     user_params):
    """A :class:`Problem` of the two-point stochastic family on [-1, 1] with x0 = 1."""
    from ._base import Problem

    c = twopoint_constants(a, b, p)
    s = c["mean_slope"]
    return Problem(
        name=name, title=title, dim=1,
        grad=twopoint_grad, objective=twopoint_objective, grad1=twopoint_grad1,
        params=np.array([a, b, p]), param_names=param_names,
        lower=-1.0, upper=1.0, x_star=-math.copysign(1.0, s), f_star=c["f_star"], x0=1.0,
        constants={k: c[k] for k in ("L", "G", "G_inf", "f_star")},
        assumptions={"A1": True, "A2": True, "A3": True, "A4": True},
        stochastic=True, online=False, convex=True, source=source, expected=expected,
        meta={"mean_slope": s, "user_params": dict(user_params),
              "assumption_notes": dict(STOCHASTIC_ASSUMPTION_NOTES), "replays": list(replays),
              "f_star_kind": "exact", "family": "two-point-linear"},
    )


def replay(optimizer, *, beta1, theta, steps, outcome, alpha=0.1, alpha_decay="1/sqrt(t)",
           eps=1e-12, x0=1.0):
    """One documented run: Generic Adam (REFERENCE §1, v_0 = eps, no bias correction).

    ``theta`` is a number (constant θ) or the text ``"1-1/t"``; ``optimizer`` is ``"adam"``
    (v as written) or ``"amsgrad"`` (Reddi's running max of v, same schedules). ``outcome`` is
    ``{"x_final_above": c}`` or ``{"x_final_below": c}``; tests/test_catalog.py replays each.
    """
    return {"optimizer": optimizer, "alpha": alpha, "alpha_decay": alpha_decay, "beta1": beta1,
            "theta": theta, "eps": eps, "x0": x0, "steps": steps, "outcome": dict(outcome)}
