r"""Parameter-server simulator: distributed / mini-batch Adam and Efficient-Adam.

N workers, each averaging b stochastic gradients per round, a server, compression in both
directions with error feedback (EF) on either side as switches. Two placements (REFERENCE §5-6);
the schedules α_t, β_t, θ_t are float64 tables (one row per configuration, the engine's
convention; :func:`family_tables` builds the family α_t = lr t^{-s}, β_t = β, θ_t = 1 - θ t^{-r}),
so any :class:`adamtheory.specs.OptimizerSpec` can run here; v_0 = ε; all vectors
coordinate-wise. The moment update and step are the engine's (:mod:`adamtheory.engine.update`,
generic form: ``moments`` and ``generic_step``).

``server-adam`` (workers send compressed gradients, the server runs Generic Adam)::

    worker i:  g_i = (1/b) Σ_{k ∈ batch_i} ∇f(x_t; ξ_{t,k})
               p_i = g_i + e_i ;  q_i = Q_w(p_i) ;  e_i = p_i - q_i        (e_i ≡ 0 without worker EF)
    server:    ḡ = (1/N) Σ_i q_i ;  m = β m + (1-β) ḡ ;  v = θ_t v + (1-θ_t) ḡ²
               u = α_t m / sqrt(v) + e_s ;  q = Q_s(u) ;  e_s = u - q      (e_s ≡ 0 without server EF)
    everyone:  x_{t+1} = P(x_t - q)

``worker-adam`` (Efficient-Adam as reconstructed in REFERENCE §6: workers send compressed local
Adam steps)::

    worker i:  m_i = β m_i + (1-β) g_i ;  v_i = θ_t v_i + (1-θ_t) g_i²
               p_i = α_t m_i / sqrt(v_i) + e_i ;  q_i = Q_w(p_i) ;  e_i = p_i - q_i
    server:    u = (1/N) Σ_i q_i + e_s ;  q = Q_s(u) ;  e_s = u - q
    everyone:  x_{t+1} = P(x_t - q)

With N = b = 1 and identity64 both placements are Generic Adam; the server-adam one is bitwise the
engine's :func:`adamtheory.engine.run_batch` (tested). With θ = 0 and ε = 1 the second moment
stays at 1 and the "Adam" step is α_t m_t: SGD with momentum (β = 0: plain SGD), which is how the
error-feedback counterexamples of Karimireddy et al. (signSGD, EF-SGD) are run.

Samples (independent of the batch split): the N b samples of round t are sample indices
k = 0..Nb-1, worker i holding k = i b .. i b + b - 1; sample k is the problem's oracle
``grad(x, t, sample_seed(seed, k), ...)`` with ``sample_seed(seed, k) = seed XOR mix(k φ)``
(SplitMix64 finalizer, φ the golden-ratio constant; mix(0) = 0, so sample 0 uses the run seed
itself). (N = 2, b = 4) and (N = 4, b = 2) therefore see the same samples every round.

Bits: every round adds N · bits(Q_w) to the uplink (one message per worker) and N · bits(Q_s) to
the downlink (the server sends the update to each of the N workers; a broadcast medium would
divide it by N).

Gradient-norm metrics: ``gnorm`` is ||∇f(x_t)|| of the full objective at a checkpoint.
``gnorm_avg`` is the exponential average of ||∇f(x_t)||² over a fixed grid of steps (every step
up to 50, then a geometric grid of ratio 1.02, and the horizon; weight 1/16 per grid step, so it
averages over roughly the last 30 % of the steps), square-rooted; at a checkpoint it is the value
at the last grid step. ``iters_to_target`` is the first grid step from which ``gnorm_avg`` stays
below ``target`` up to the horizon (NaN if it is above the target at the horizon). Neither
depends on the checkpoints.

Examples
--------
>>> import numpy as np, counterexamples as cx
>>> from adamtheory.distributed.simulator import family_tables, simulate
>>> p = cx.get("nonconvex-separable", d=4, sigma=0.5)
>>> alpha, beta, theta = family_tables(200, lr=0.1, s=0.5, beta=0.9, theta=1.0, r=1.0)
>>> out = simulate(p, steps=200, seeds=[0, 1], workers=[1, 8], alpha=alpha, beta=beta,
...                theta=theta, target=0.5)
>>> out["bits_up"][:, -1]                         # 200 rounds x N x 64 x 4 bits
array([ 51200., 409600.])
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.batching import checkpoint_steps, param_table, per_config, start_points
from ..engine.cache import Template, compiled, is_cached
from .compressors import CODES
from .kernels import EMA_WEIGHT, PARALLEL, SERVER_ADAM, WORKER_ADAM, sample_seed, schedule_values
from .settings import PLACEMENTS

__all__ = ["EMA_WEIGHT", "EVAL_RATIO", "KERNELS", "PARALLEL", "PLACEMENTS", "SERVER_ADAM",
           "WORKER_ADAM", "eval_steps", "family_tables", "kernels_cached", "sample_seed",
           "schedule_values", "simulate"]

EVAL_RATIO = 1.02
#: the kernels' template: :mod:`.kernels`, copied into the kernel cache once per oracle pair
#: (``grad``, ``objective``); ``family`` runs from the copy bound to ``(None, None)``
KERNELS = Template("adamtheory.distributed.kernels", ("run", "family"), ("grad", "objective"))


def kernels_cached(problem) -> bool:
    """Whether the simulator's kernel for ``problem`` is in the kernel cache, intact (a run then
    loads it instead of compiling)."""
    return is_cached(KERNELS, (problem.grad, problem.objective), "run")


def eval_steps(steps: int) -> np.ndarray:
    """The steps of the averaged gradient norm: 1..50, a 1.02-geometric grid, and ``steps``
    (independent of the checkpoints, so that ``iters_to_target`` does not depend on them)."""
    g = np.unique(np.round(EVAL_RATIO ** np.arange(0, math.log(max(steps, 1), EVAL_RATIO) + 1)))
    ev = np.union1d(np.arange(1, min(50, steps) + 1), g[g <= steps])
    return np.union1d(ev, [steps]).astype(np.int64)


def family_tables(steps: int, lr=0.1, s=0.5, beta=0.9, theta=1.0, r=1.0):
    r"""Tables of the family α_t = lr t^{-s}, β_t = β, θ_t = 1 - θ t^{-r} for :func:`simulate`.

    Each argument is a scalar or one value per configuration; returns ``(alpha, beta, theta)``,
    float64 of shape (n, steps) (row i configuration i, column t-1 step t). The values are those
    the kernel computed before it took tables (same compiled expression, so bit for bit).
    """
    n = max(np.size(v) for v in (lr, s, beta, theta, r))
    args = [per_config(v, n, np.float64, k) for k, v in
            (("lr", lr), ("s", s), ("beta", beta), ("theta", theta), ("r", r))]
    A, B, TH = (np.empty((n, int(steps))) for _ in range(3))
    call = (int(steps), *args, A, B, TH)
    compiled(KERNELS, (None, None), "family", call, "the schedule tables")(*call)
    return A, B, TH


def _schedule(tab, row, n, steps, what):
    """A schedule table (n_rows, steps) and each configuration's row (see :func:`simulate`)."""
    arr = np.asarray(tab, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != steps:
        raise ValueError(f"{what} must be a table of shape (n_configs, steps) = (., {steps}), "
                         f"one row per configuration (or one row for all); got shape "
                         f"{np.shape(tab)}; family_tables builds one")
    if row is None:
        if arr.shape[0] not in (1, n):
            raise ValueError(f"{what} has {arr.shape[0]} rows for {n} configurations; give one "
                             f"row per configuration, one row, or {what}_row")
        row = np.arange(n) if arr.shape[0] == n else np.zeros(n)
    row = per_config(row, n, np.int64, f"{what}_row")
    if row.size and (row.min() < 0 or row.max() >= arr.shape[0]):
        raise ValueError(f"{what}_row out of range for a table with {arr.shape[0]} rows")
    return np.ascontiguousarray(arr), row


def simulate(problem, steps: int, seeds=0, *, alpha, beta, theta, alpha_row=None,
             beta_row=None, theta_row=None, workers=1, batch=1, compressor="identity64",
             downlink=None, k=1, levels=4, placement="server-adam", ef_worker=False,
             ef_server=False, eps=1e-8, target=0.1, params=None, x0=None,
             checkpoints=None) -> dict:
    """Run n configurations of the parameter-server simulator on ``problem``.

    Parameters
    ----------
    problem : counterexamples.Problem
        Oracles ``grad``/``objective``, box, parameters (``batch`` parameter, if any, must be 1:
        the simulator does the batching).
    steps : int
        Rounds T.
    seeds : int or array of int
        Seed of each configuration.
    alpha, beta, theta : array_like, shape (n_configs, steps), (1, steps) or (steps,)
        Schedule tables: row i is configuration i, column t-1 the value α_t, β_t, θ_t at step t
        (one row serves every configuration). :func:`family_tables` builds the family
        α_t = lr t^{-s}, β_t = β, θ_t = 1 - θ t^{-r}.
    alpha_row, beta_row, theta_row : array_like of int, optional
        Row of each configuration in a table with fewer rows (default: row i, or row 0 for a
        one-row table), so that configurations sharing a schedule share its row.
    workers, batch, compressor, downlink, k, levels, placement, ef_worker, ef_server, eps, target
        A scalar or one value per configuration (n is the longest): N, b, Q_w, Q_s (default:
        Q_w), topk/randk's k, qsgd's levels, placement, EF switches, v_0 = ε, and the target of
        ``iters_to_target``.
    params : array_like, optional
        The problem's parameter row (one row, or one per configuration).
    x0 : array_like, optional
        Starting point(s), (dim,) or (n, dim).
    checkpoints : array_like of int, optional
        Steps at which metrics are recorded (default: every step); ``steps`` is always added.

    Returns
    -------
    dict
        ``steps`` (the checkpoints), metrics ``gnorm``, ``gnorm_avg``, ``fgap``, ``bits_up``,
        ``bits_down``, ``x1``, ``x2`` of shape (n, n_checkpoints), and ``iters_to_target`` (n,).
    """
    if "batch" in problem.param_names and problem.params[problem.param_names.index("batch")] != 1:
        raise ValueError(f"{problem.name}: build it with batch=1; the simulator's batch "
                         "argument sets the mini-batch")
    steps = int(steps)
    args = [seeds, workers, batch, compressor, downlink, k, levels, placement, ef_worker,
            ef_server, eps, target, alpha_row, beta_row, theta_row]
    n = max([np.size(a) for a in args if a is not None and not isinstance(a, str)] + [1])
    for tab in (alpha, beta, theta):
        if np.ndim(tab) == 2:
            n = max(n, np.shape(tab)[0])
    if x0 is not None and np.ndim(x0) == 2:
        n = max(n, np.shape(x0)[0])
    A, ai = _schedule(alpha, alpha_row, n, steps, "alpha")
    B, bi = _schedule(beta, beta_row, n, steps, "beta")
    TH, ti = _schedule(theta, theta_row, n, steps, "theta")
    names = np.broadcast_to(np.asarray(compressor, dtype=str), (n,))
    cup = np.array([CODES[v] for v in names], np.int64)
    cdown = cup.copy() if downlink is None else np.array(
        [CODES[v] for v in np.broadcast_to(np.asarray(downlink, dtype=str), (n,))], np.int64)
    place = np.array([PLACEMENTS.index(v) for v in np.broadcast_to(
        np.asarray(placement, dtype=str), (n,))], np.int64)
    ptab, prow = param_table(problem, params, n)
    xstart = start_points(problem, x0, n)
    ck = checkpoint_steps(np.arange(1, steps + 1) if checkpoints is None else checkpoints, steps)
    ev = eval_steps(steps)
    is_eval = np.zeros(steps + 1, np.bool_)
    is_eval[ev] = True
    rec = np.full(steps + 1, -1, np.int64)
    rec[ck] = np.arange(ck.size)
    outs = [np.full((n, ck.size), np.nan) for _ in range(7)]
    hit = np.full(n, np.nan)
    fstar = float(problem.f_star) if problem.f_star is not None else 0.0
    args = (steps, is_eval, rec, per_config(seeds, n, np.int64, "seeds"),
         per_config(workers, n, np.int64, "workers"), per_config(batch, n, np.int64, "batch"),
         cup, cdown, per_config(k, n, np.int64, "k"), per_config(levels, n, np.int64, "levels"),
         place, per_config(ef_worker, n, np.bool_, "ef_worker"),
         per_config(ef_server, n, np.bool_, "ef_server"), A, B, TH, ai, bi, ti,
         per_config(eps, n, np.float64, "eps"), per_config(target, n, np.float64, "target"),
         prow, ptab, problem.data, np.ascontiguousarray(problem.lower),
         np.ascontiguousarray(problem.upper), fstar, xstart, *outs, hit)
    kern = compiled(KERNELS, (problem.grad, problem.objective), "run", args,
                    f"{problem.name} (parameter server)")
    kern(*args)
    keys = ("gnorm", "gnorm_avg", "fgap", "bits_up", "bits_down", "x1", "x2")
    return {"steps": ck, **dict(zip(keys, outs)), "iters_to_target": hit}
