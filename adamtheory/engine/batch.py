"""Run a batch of Generic Adam configurations on one problem: :func:`run_batch`.

Inputs are numpy tables only (the engine knows nothing of schedules or sympy):

* ``alpha``, ``beta``, ``theta``: float64 tables of shape ``(T, n_rows)`` (row ``t - 1`` holds the
  values at step t for every row; a 1-d array of length T is one row). Configuration ``i`` reads
  row ``alpha_row[i]`` etc., so a factorized (s, r) grid needs one α row per s and one θ row per r.
* per configuration (scalars broadcast): ``eps``, ``eps_mode``, ``bias_correction``, ``amsgrad``,
  ``eps_root`` (switches as text or the integer codes of :mod:`.codes`), ``seeds`` (int64), problem
  ``params`` (a row per configuration, default ``problem.params``), ``x0``.

Metrics (at checkpoints; the iterate recorded at checkpoint t is the one after t steps):

========== =====================================================================================
``x``       the iterate (d = 1) or its Euclidean norm (d > 1); ``x_final`` keeps full iterates
``dist``    ||x - x*|| (NaN without ``problem.x_star``)
``fgap``    f(x) - f* from ``problem.objective`` (f(x) itself when ``f_star`` is unknown)
``gnorm``   ||∇f(x)||; ``pgnorm`` the projected-gradient norm ||x - P(x - ∇f(x))||
``regret``  R_t / t with R_t = Σ_{k≤t} f_k(x_k) - f_k(x*) (losses returned by ``grad`` at x_k and
            at x* with the same sample); only when ``regret`` is on (default: the problem has
            ``x_star`` and is online or stochastic), else NaN
``grad43``  (1/t) Σ_{k≤t} ||∇f(x_k)||^{4/3}, the theorem's left-hand side (per-step metric)
``gradmin2`` min_{k≤t} ||∇f(x_k)||² (per-step metric)
========== =====================================================================================

Per-step metrics call ``problem.objective`` at every step of every configuration. They are on by
default (``grad_metrics=True``); turn them off for speed (they are then NaN). The scalar fast path
(d = 1, ``grad1``, plain generic configurations) only runs with them off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .batching import param_table
from .cache import block_loop, compiled_kernel
from .codes import AMSGRAD_MODES, EPS_MODES, EPS_V0, FLAG_NAMES, code
from .metrics import N_CHECKPOINTS, default_checkpoints  # noqa: F401 (defined with the metrics)
from .metrics import NAMES as METRIC_NAMES

#: Steps per chunk: the kernel runs time in chunks (ends at every CHUNK steps and at each
#: checkpoint), its blocks in parallel within a chunk. Each block's call per chunk takes views
#: and passes arrays, whose reference counts are atomics on cache lines both threads share; 1024
#: steps amortize them (Reddi 1-d on an AVX2 2-core machine, engine against the C loop in the
#: same runs: 0.50 of it with 256, 0.56 with 1024). The results do not depend on it.
CHUNK = 1024


@dataclass
class BatchResult:
    """Metrics of a batch: arrays of shape (n_checkpoints, n_configs) unless said otherwise."""

    steps: np.ndarray
    x: np.ndarray
    dist: np.ndarray
    fgap: np.ndarray
    gnorm: np.ndarray
    pgnorm: np.ndarray
    regret: np.ndarray
    grad43: np.ndarray
    gradmin2: np.ndarray
    x_final: np.ndarray  # (n_configs, dim)
    flag: np.ndarray  # (n_configs,) int8, see codes
    stop_step: np.ndarray  # (n_configs,) step at which a flagged config stopped, 0 otherwise
    x0: np.ndarray  # (n_configs, dim)
    problem: object = field(repr=False, default=None)
    elapsed: float = 0.0

    @property
    def n(self) -> int:
        return self.x_final.shape[0]

    def flag_names(self) -> list[str]:
        return [FLAG_NAMES[int(f)] for f in self.flag]

    def labels(self) -> np.ndarray:
        """The classifier's label for every configuration (see :mod:`.classify`)."""
        from .classify import classify

        return classify(self)


def _per_config(value, n, dtype, what):
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return np.full(n, arr, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{what} must be a scalar or have one entry per configuration ({n})")
    return np.ascontiguousarray(arr)


def _codes(value, n, table, what):
    if isinstance(value, (str, type(None))) or np.ndim(value) == 0:
        return np.full(n, code(table, value, what), dtype=np.int8)
    vals = list(value)
    if len(vals) != n:
        raise ValueError(f"{what} must be a scalar or have one entry per configuration ({n})")
    return np.array([code(table, v, what) for v in vals], dtype=np.int8)


def _table(tab, what):
    tab = np.asarray(tab, dtype=np.float64)
    if tab.ndim == 1:
        tab = tab[:, None]
    if tab.ndim != 2:
        raise ValueError(f"{what} table must have shape (T, n_rows)")
    return np.ascontiguousarray(tab)


def _guess_n(n, *candidates):
    if n is not None:
        return int(n)
    sizes = [len(c) for c in candidates if c is not None and np.ndim(c) >= 1]
    return max(sizes) if sizes else 1


def _table_kinds(bstart, *row_arrays):
    """Per block and table: kind 0 (one row), 1 (consecutive rows from an offset), 2 (gather)."""
    nb = bstart.size - 1
    kind, off = np.full((nb, 3), 2, np.int64), np.zeros((nb, 3), np.int64)
    for b in range(nb):
        for k, r in enumerate(row_arrays):
            seg = r[bstart[b]:bstart[b + 1]]
            off[b, k] = seg[0]
            if np.all(seg == seg[0]):
                kind[b, k] = 0
            elif np.array_equal(seg, seg[0] + np.arange(seg.size)):
                kind[b, k] = 1
    return kind, off


def run_batch(problem, alpha, beta, theta, *, alpha_row=None, beta_row=None, theta_row=None,
              n=None, eps=1e-8, eps_mode="v0", bias_correction=False, amsgrad=None,
              eps_root=0.0, seeds=0, params=None, x0=None, checkpoints=None, regret=None,
              grad_metrics=True, block=128, path="auto") -> BatchResult:
    """Run ``n`` configurations of (Generic) Adam on ``problem`` for T = ``alpha.shape[0]`` steps.

    Parameters
    ----------
    problem : counterexamples._base.Problem
        Oracles ``grad``/``objective`` (and ``grad1`` for the scalar fast path), box, optimum.
    alpha, beta, theta : array_like, shape (T, n_rows) or (T,)
        Schedule tables, row ``t - 1`` = values at step t.
    alpha_row, beta_row, theta_row : array_like of int, optional
        Row of each configuration (default: ``arange(n)`` if the table has n rows, else 0).
    n : int, optional
        Number of configurations (default: inferred from the per-configuration inputs).
    eps, eps_mode, bias_correction, amsgrad, eps_root :
        Variant switches, scalars or one per configuration (see :mod:`.codes`).
    seeds : int or array of int64
        Seed of each configuration; configurations with the same seed see the same samples.
    params : array_like, optional
        Problem parameters: one row (all configurations) or a row per configuration.
    x0 : array_like, optional
        Starting points: (dim,) or (n, dim); default ``problem.x0`` or ones. Projected on the box.
    checkpoints : array_like of int, optional
        Steps at which metrics are recorded (default :func:`default_checkpoints`); T is always
        added.
    regret, grad_metrics : bool
        Per-step metrics (see the module docstring).
    block : int
        Configurations per block (a unit of parallel work); results do not depend on it.
    path : {"auto", "scalar", "batched", "general"}
        Force a kernel loop, e.g. ``"general"`` (one configuration at a time) to cross-check the
        scalar fast path or the block oracles' loop (``"batched"``); ``"auto"`` takes the scalar
        path for one-dimensional problems with ``grad1``, else the batched one for problems with
        block oracles, else the general one.
    """
    A, B, TH = _table(alpha, "alpha"), _table(beta, "beta"), _table(theta, "theta")
    T = A.shape[0]
    if B.shape[0] != T or TH.shape[0] != T:
        raise ValueError("alpha, beta and theta tables must have the same number of steps")
    d = int(problem.dim)
    prm_in = problem.params if params is None else np.asarray(params, dtype=np.float64)
    x0_in = problem.x0 if x0 is None else x0
    n = _guess_n(n, alpha_row, beta_row, theta_row, eps, seeds, eps_mode if not isinstance(
        eps_mode, str) else None, amsgrad if not isinstance(amsgrad, (str, type(None))) else None,
        bias_correction, eps_root, prm_in if np.ndim(prm_in) == 2 else None,
        x0_in if x0_in is not None and np.ndim(x0_in) == 2 else None)

    def rows(r, tab, what):
        if r is None:
            return (np.arange(n) if tab.shape[1] == n else np.zeros(n)).astype(np.int64)
        r = _per_config(r, n, np.int64, what)
        if r.min() < 0 or r.max() >= tab.shape[1]:
            raise ValueError(f"{what} out of range for a table with {tab.shape[1]} rows")
        return r

    ai, bi, ti = rows(alpha_row, A, "alpha_row"), rows(beta_row, B, "beta_row"), rows(
        theta_row, TH, "theta_row")
    eps_a = _per_config(eps, n, np.float64, "eps")
    eroot = _per_config(eps_root, n, np.float64, "eps_root")
    emode = _codes(eps_mode, n, EPS_MODES, "eps_mode")
    ams = _codes(amsgrad, n, AMSGRAD_MODES, "amsgrad")
    bc = _per_config(bias_correction, n, np.bool_, "bias_correction")
    sd = _per_config(seeds, n, np.int64, "seeds")
    ptab, prow = param_table(problem, prm_in, n)
    lo, hi = np.ascontiguousarray(problem.lower), np.ascontiguousarray(problem.upper)
    if x0_in is None:
        x0_in = np.ones(d)
    xstart = np.clip(np.broadcast_to(np.asarray(x0_in, dtype=np.float64), (n, d)), lo, hi)
    has_xs = problem.x_star is not None
    xs = np.ascontiguousarray(problem.x_star if has_xs else np.zeros(d), dtype=np.float64)
    if regret is None:
        regret = has_xs and bool(problem.online or problem.stochastic)
    if regret and not has_xs:
        raise ValueError(f"regret needs problem.x_star, which {problem.name} does not declare")
    fstar = float(problem.f_star) if problem.f_star is not None else 0.0
    plain = (emode == EPS_V0) & (~bc) & (ams == 0)

    # blocks: configurations sharing (seed, params row, plain), split into pieces of `block`
    perm = np.lexsort((np.arange(n), plain, prow, sd))
    key = np.stack([sd[perm], prow[perm], plain[perm]])
    starts = [0]
    for i in range(1, n + 1):
        if i == n or np.any(key[:, i] != key[:, i - 1]) or i - starts[-1] >= block:
            starts.append(i)
    bstart = np.array(starts, dtype=np.int64)
    first = perm[bstart[:-1]]
    bseed, bprow, bplain = sd[first], prow[first], plain[first]
    bkind, boff = _table_kinds(bstart, ai[perm], bi[perm], ti[perm])

    ck = np.asarray(default_checkpoints(T) if checkpoints is None else checkpoints, np.int64)
    ck = np.union1d(ck[(ck >= 1) & (ck <= T)], [T]).astype(np.int64)
    ends = np.union1d(ck, np.arange(CHUNK, T, CHUNK)).astype(np.int64)
    recs = np.full(ends.shape, -1, np.int64)
    recs[np.searchsorted(ends, ck)] = np.arange(ck.size)

    x = np.ascontiguousarray(xstart[perm])
    v0 = np.where(emode[perm] == EPS_V0, eps_a[perm], 0.0)[:, None] * np.ones((1, d))
    m, v, vmax = np.zeros((n, d)), np.ascontiguousarray(v0), v0.copy()
    pb, pt = np.ones(n), np.ones(n)
    alive, flag, stop = np.ones(n, np.bool_), np.zeros(n, np.int8), np.zeros(n, np.int64)
    rsum, gsum, gmin = np.zeros(n), np.zeros(n), np.full(n, np.inf)
    outs = [np.empty((ck.size, n)) for _ in METRIC_NAMES]  # in the order of .metrics

    loop = block_loop(problem, path)
    args = (ends, recs, A, B, TH, ai[perm], bi[perm], ti[perm], eps_a[perm], eroot[perm],
            emode[perm], bc[perm], ams[perm], bstart, bseed, bprow, bplain, bkind, boff, ptab,
            problem.data, lo, hi, xs, has_xs, fstar, bool(regret), bool(grad_metrics),
            x, m, v, vmax, pb, pt, alive, flag, stop, rsum, gsum, gmin, *outs)
    kern = compiled_kernel(problem, loop, args)
    t_start = time.perf_counter()
    kern(*args)
    elapsed = time.perf_counter() - t_start

    def unperm(a, axis):
        out = np.empty_like(a)
        if axis == 0:
            out[perm] = a
        else:
            out[:, perm] = a
        return out

    o = [unperm(a, 1) for a in outs]
    return BatchResult(ck, *o, x_final=unperm(x, 0), flag=unperm(flag, 0),
                       stop_step=unperm(stop, 0), x0=xstart.copy(), problem=problem,
                       elapsed=elapsed)
