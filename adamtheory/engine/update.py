r"""The one Adam moment update and step, shared by every kernel (engine, parameter server, federated).

Per coordinate, per configuration, at step t = 1, 2, ... with gradient g (a scalar: the kernels
loop over coordinates; the functions are ``@njit(inline="always")``, so a kernel that calls them
compiles to the same code as if it had written them out)::

    m   = β_t m + (1 - β_t) g                                        (moments)
    v   = θ_t v + (1 - θ_t) g²
    c1  = 1 - Π_{k≤t} β_k,   c2 = 1 - Π_{k≤t} θ_k                    (bias_factors; both 1
                                                                     without bias correction)
    V   = v                       amsgrad none
        = max(V, v)               amsgrad torch, reddi
        = max(V, v / c2)          amsgrad optax (V is then already corrected: c2 := 1 below)
    step = α_t (m / sqrt(v))                                         generic_step (the paper's form)
         = (α_t / c1) (m / sqrt(V / c2))                             eps_mode v0 (v_0 = ε)
         = (α_t / c1) (m / (sqrt(V) / sqrt(c2) + ε))                 eps_mode torch
         = (α_t / c1) (m / (sqrt(V / c2 + ε_root) + ε))              eps_mode optax
         = (α_t sqrt(c2) / c1) (m / (sqrt(V_raw) + ε))               eps_mode keras (ε is Keras's ε̂;
                                                                     V_raw = V c2 with optax AMSGrad)
         = α_t (m / sqrt(V))                                         amsgrad reddi (no correction,
                                                                     no ε, whatever eps_mode says)

The update is x_{t+1} = P(x_t - step) (P: projection on the box) in the engine and the parameter
server; the federated simulator applies it to pseudo-gradients (see its kernel). The initial state
is m_0 = 0 and v_0 = V_0 = ε in eps_mode v0, 0 otherwise (:func:`initial_v`).

The arithmetic is written once, in one evaluation order (products before sums exactly as above,
``α (m / sqrt(v))`` rather than ``(α m) / sqrt(v)``), so any two kernels that run the same
configuration agree bit for bit. The switches are the integer codes of :mod:`.codes` (data, not
compile-time constants; a kernel that passes literal codes gets the dead branches removed).

Numpy references call the same functions through ``.py_func``: :func:`moments` and
:func:`generic_step` are plain arithmetic and accept arrays (``generic_step`` uses ``np.sqrt``,
correctly rounded like ``math.sqrt``); :func:`adam_update` and :func:`bias_factors` branch on
scalars, so a numpy caller applies them per coordinate (e.g. through ``np.vectorize``).

Examples
--------
>>> from adamtheory.engine.update import adam_update, moments
>>> from adamtheory.engine.codes import AMS_NONE, EPS_TORCH
>>> moments(2.0, 0.0, 0.0, 0.5, 0.75)                         # (m, v) after one step from zero
(1.0, 1.0)
>>> m, v, vmax, step = adam_update(2.0, 0.0, 0.0, 0.0, 0.1, 0.9, 0.999, 0.1, 0.001,
...                                EPS_TORCH, AMS_NONE, 1e-8, 0.0)
>>> round(step, 6)                                            # torch's first step is ±α
0.1
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .codes import AMS_NONE, AMS_OPTAX, AMS_REDDI, AMS_TORCH, EPS_OPTAX, EPS_TORCH, EPS_V0


@njit(inline="always", error_model="numpy")
def moments(g, m, v, beta, theta):
    """First and second moments: ``(β m + (1 - β) g, θ v + (1 - θ) g²)``.

    Plain arithmetic: works on scalars in a kernel and on numpy arrays through ``.py_func``.
    """
    return beta * m + (1.0 - beta) * g, theta * v + (1.0 - theta) * (g * g)


@njit(inline="always", error_model="numpy")
def generic_step(alpha, m, v):
    """The generic (paper) step ``α (m / sqrt(v))``: v_0 = ε, no bias correction, no AMSGrad.

    Equal bit for bit to :func:`adam_update`'s step with eps_mode v0, c1 = c2 = 1, no AMSGrad
    (dividing by 1.0 is exact). Scalars or numpy arrays (through ``.py_func``).
    """
    return alpha * (m / np.sqrt(v))


@njit(inline="always", error_model="numpy")
def running_max(vmax, v):
    """``max(V, v)`` for AMSGrad, as ``V if V >= v else v`` (a NaN v propagates). Scalars."""
    return vmax if vmax >= v else v


@njit(inline="always", error_model="numpy")
def bias_factors(pb, pt, beta, theta, corrected):
    """Running products and bias-correction factors after step t's β_t, θ_t.

    Returns ``(pb β, pt θ, c1, c2)`` with ``c1 = 1 - pb β`` and ``c2 = 1 - pt θ`` when
    ``corrected``, else ``c1 = c2 = 1``; start from ``pb = pt = 1`` (Π over no steps).
    """
    p1 = pb * beta
    p2 = pt * theta
    c1 = 1.0 - p1 if corrected else 1.0
    c2 = 1.0 - p2 if corrected else 1.0
    return p1, p2, c1, c2


@njit(inline="always", error_model="numpy")
def adam_update(g, m, v, vmax, alpha, beta, theta, c1, c2, eps_mode, amsgrad, eps, eps_root):
    """One coordinate of the general update (module docstring): returns ``(m, v, V, step)``.

    Parameters
    ----------
    g, m, v, vmax : float
        Gradient coordinate and the state before the step (``vmax`` is V, unused without AMSGrad).
    alpha, beta, theta : float
        α_t, β_t, θ_t.
    c1, c2 : float
        Bias-correction factors (:func:`bias_factors`; 1.0 without correction).
    eps_mode, amsgrad : int
        Codes of :mod:`.codes` (``EPS_*``, ``AMS_*``).
    eps, eps_root : float
        ε (unused in eps_mode v0, where it is v_0) and optax's ε_root.
    """
    m, v = moments(g, m, v, beta, theta)
    if amsgrad == AMS_REDDI:
        vmax = running_max(vmax, v)
        return m, v, vmax, alpha * (m / math.sqrt(vmax))
    if amsgrad == AMS_NONE:
        big, cin = v, c2
    elif amsgrad == AMS_TORCH:
        vmax = running_max(vmax, v)
        big, cin = vmax, c2
    else:
        vmax = running_max(vmax, v / c2)
        big, cin = vmax, 1.0
    if eps_mode == EPS_V0:
        return m, v, vmax, (alpha / c1) * (m / math.sqrt(big / cin))
    if eps_mode == EPS_TORCH:
        return m, v, vmax, (alpha / c1) * (m / (math.sqrt(big) / math.sqrt(cin) + eps))
    if eps_mode == EPS_OPTAX:
        return m, v, vmax, (alpha / c1) * (m / (math.sqrt(big / cin + eps_root) + eps))
    raw = big * c2 if amsgrad == AMS_OPTAX else big
    return m, v, vmax, (alpha * math.sqrt(c2) / c1) * (m / (math.sqrt(raw) + eps))


def initial_v(eps, eps_mode):
    """v_0 = V_0 per configuration: ε in eps_mode v0, 0 otherwise (numpy, arrays broadcast)."""
    return np.where(np.asarray(eps_mode) == EPS_V0, np.asarray(eps, dtype=np.float64), 0.0)
