"""Label runs: converged / stuck (at a wrong point) / diverged / undecided.

The label is read off the checkpoint metrics of a :class:`~adamtheory.engine.batch.BatchResult`.
"The last decade" is the checkpoints with t ≥ T/10 (T the last checkpoint). D is the size of the
domain: ||upper - lower|| on a bounded box, else max(1, ||x0 - x*||).

=================  =======================================================================
label              rule (first that applies)
=================  =======================================================================
``diverged``       the engine flagged NaN/overflow; or ||x_T|| > ``DIVERGE_NORM`` ·
                   max(1, ||x0||); or f(x_T) - f* > ``DIVERGE_F_GROWTH`` · (|f(x_1) - f*| + 1);
                   or the run *escapes* (below those thresholds): with r_t = ||x_t - x*||
                   (||x_t|| without x*) and each checkpoint t ≥ T/10^(K-1), K =
                   ``DIVERGE_DECADES``, paired with the last checkpoint s ≤ t/10, both
                   r_t ≥ ``DIVERGE_GROWTH`` · r_s and f(x_t) > f(x_s) (so r and f rise over
                   each of the last K decades, not just from end to end), and the run ended
                   far: r_T ≥ ``DIVERGE_FAR`` · D (D as above; max(1, ||x0||) without x*).
                   Needs checkpoints back to T/10^K; on a box r ≤ D, so only unbounded
                   domains can escape. See :func:`escaping`
*with x**
``converged``      ||x_T - x*|| ≤ ``CONVERGED_TOL`` · D and the distance is not increasing:
                   ||x_T - x*|| ≤ ||x_{T/10} - x*|| + ``CONVERGED_SLACK`` · D
``stuck``          ||x_T - x*|| ≥ ``STUCK_FAR`` · D and the iterate settled: over the last decade
                   it moved (max |x_t - x_T|, or |dist_t - dist_T| for d > 1) ≤ ``STUCK_MOVE`` · D
*without x**
``converged``      the median projected-gradient norm ||x - P(x - ∇f(x))|| over the last decade
                   ≤ ``GRAD_TOL`` · max(its value at the first checkpoint, ``GRAD_FLOOR``)
``stuck``          the iterate settled (max |‖x_t‖ - ‖x_T‖| over the last decade ≤ ``STUCK_MOVE``
                   · (1 + ‖x_T‖)) at a point whose projected gradient is not small and stopped
                   falling: its median over the second half of the last decade (t > T/√10) is at
                   least ``STUCK_PROGRESS`` times its median over the first half. A gradient
                   still falling (a slow guaranteed rate T^-p loses a factor 10^-p per decade)
                   is ``undecided``, not stuck
``undecided``      anything else
=================  =======================================================================
"""

from __future__ import annotations

import warnings
from enum import StrEnum

import numpy as np

from .codes import FLAG_OK


class Label(StrEnum):
    """The classifier's labels (compare equal to their text: ``Label.STUCK == "stuck"``)."""

    CONVERGED = "converged"
    STUCK = "stuck"
    DIVERGED = "diverged"
    UNDECIDED = "undecided"


CONVERGED, STUCK, DIVERGED, UNDECIDED = Label
#: The labels in code order (a sweep stores label i as the int8 i).
LABELS = tuple(Label)

CONVERGED_TOL = 0.05
CONVERGED_SLACK = 0.01
STUCK_FAR = 0.25
STUCK_MOVE = 0.05
DIVERGE_NORM = 1e6
DIVERGE_F_GROWTH = 1e6
#: escape rule: decades over which r = dist (or ||x||) and f must rise at every checkpoint
DIVERGE_DECADES = 2
#: escape rule: minimal growth factor of r over one decade (α_t = α t^-s drifts by 10^(1-s))
DIVERGE_GROWTH = 1.5
#: escape rule: r_T must be at least this many times the domain scale D
DIVERGE_FAR = 2.0
STUCK_PROGRESS = 0.8
GRAD_TOL = 0.05
GRAD_FLOOR = 1e-12


def classify(result) -> np.ndarray:
    """Labels (array of str, one per configuration) for a ``BatchResult``."""
    with warnings.catch_warnings():  # stopped configurations have all-NaN traces
        warnings.simplefilter("ignore", RuntimeWarning)
        return _classify(result)


def escaping(steps, r, f, scale, *, decades: int = DIVERGE_DECADES,
             growth: float = DIVERGE_GROWTH, far: float = DIVERGE_FAR,
             f_rises: bool = True) -> np.ndarray:
    """The escape rule of the ``diverged`` label: does each run move away steadily?

    With T = ``steps[-1]`` and, for each checkpoint t ≥ T/10^(decades-1), s(t) the last
    checkpoint with s ≤ t/10, a run escapes when for every such pair

    .. math::  r_t \\ge g\\, r_{s(t)} \\quad\\text{and}\\quad f_t > f_{s(t)},

    and r_T ≥ ``far`` · ``scale``. The pairs of the last ``decades`` decades overlap, so a trace
    that rises over one decade and falls over the one before (a bounded oscillation, a transient
    of a converging run) does not escape; a drift like Σ α_t with α_t = α t^-s (growth 10^(1-s)
    per decade, s < 1 - log10 g) does. Without checkpoints back to T/10^decades nothing escapes.

    Parameters
    ----------
    steps : array of int, shape (k,)
        Checkpoint steps, increasing.
    r : array, shape (k, n)
        Distance to x* (or ||x||) at the checkpoints.
    f : array, shape (k, n)
        f(x) - f* (or f(x)) at the checkpoints.
    scale : array, shape (n,)
        The domain scale D that r_T is compared with.
    decades, growth, far : int, float, float
        K, g and the far factor (defaults: the module's constants).
    f_rises : bool
        Require f to rise as well (the rule); False drops that half (used to test the rule).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    steps = np.asarray(steps, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    T = steps[-1]
    out = np.zeros(r.shape[1], dtype=bool)
    if steps[0] > T / 10.0 ** decades:
        return out
    out[:] = r[-1] >= far * np.asarray(scale, dtype=np.float64)
    for k in np.flatnonzero(steps >= T / 10.0 ** (decades - 1)):
        j = np.searchsorted(steps, steps[k] / 10.0, side="right") - 1
        out &= r[k] >= growth * r[j]
        if f_rises:
            out &= f[k] > f[j]
    return out


def _classify(result) -> np.ndarray:
    prob = result.problem
    steps = np.asarray(result.steps)
    T = steps[-1]
    win = steps >= max(1, T // 10)
    if win.sum() < 2:
        win[-2:] = True
    n = result.n
    labels = np.full(n, UNDECIDED, dtype=object)
    x0n = np.linalg.norm(result.x0, axis=1)
    xTn = np.linalg.norm(result.x_final, axis=1)
    f_first, f_last = result.fgap[0], result.fgap[-1]
    bad = (result.flag != FLAG_OK) | ~np.isfinite(xTn) | (xTn > DIVERGE_NORM * np.maximum(1, x0n))
    if prob.f_star is not None:
        bad |= f_last > DIVERGE_F_GROWTH * (np.abs(f_first) + 1.0)
    if prob.x_star is not None:
        if prob.bounded:
            D = np.full(n, float(np.linalg.norm(prob.upper - prob.lower)))
        else:
            D = np.maximum(1.0, np.linalg.norm(result.x0 - prob.x_star, axis=1))
        bad |= escaping(steps, result.dist, result.fgap, D)
    else:
        bad |= escaping(steps, np.abs(result.x), result.fgap, np.maximum(1.0, x0n))
    labels[bad] = DIVERGED
    ok = ~bad
    if prob.x_star is not None:
        dist = result.dist
        dT = dist[-1]
        d_early = dist[np.argmax(win)]
        trace = result.x if prob.dim == 1 else dist
        move = np.nanmax(np.abs(trace[win] - trace[-1]), axis=0)
        conv = (dT <= CONVERGED_TOL * D) & (dT <= d_early + CONVERGED_SLACK * D)
        stuck = (dT >= STUCK_FAR * D) & (move <= STUCK_MOVE * D)
    else:
        pg = result.pgnorm
        g0 = np.maximum(pg[0], GRAD_FLOOR)
        conv = np.nanmedian(pg[win], axis=0) <= GRAD_TOL * g0
        move = np.nanmax(np.abs(result.x[win] - result.x[-1]), axis=0)
        late = win & (steps > T / np.sqrt(10.0))
        early = win & ~late
        if not early.any() or not late.any():
            early = late = win
        flat = np.nanmedian(pg[late], axis=0) >= STUCK_PROGRESS * np.nanmedian(pg[early], axis=0)
        stuck = ~conv & flat & (move <= STUCK_MOVE * (1.0 + np.abs(result.x[-1])))
    labels[ok & conv] = CONVERGED
    labels[ok & ~conv & stuck] = STUCK
    return labels
