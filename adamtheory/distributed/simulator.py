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
from functools import cache

import numpy as np
from numba import njit, prange

from counterexamples.rng import mix as _mix

from ..engine.batching import checkpoint_steps, param_table, per_config, start_points
from ..engine.update import generic_step, moments
from .compressors import CODES, compress, compressor_seed, message_bits

PLACEMENTS = ("server-adam", "worker-adam")
SERVER_ADAM, WORKER_ADAM = 0, 1
EVAL_RATIO = 1.02
PARALLEL = False
EMA_WEIGHT = 1.0 / 16.0

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always")
def sample_seed(seed, k):
    """Seed of sample k of a round: ``seed XOR mix(k φ)`` (k = 0 gives ``seed``)."""
    return np.int64(np.uint64(seed) ^ _mix(np.uint64(k) * _GOLDEN))


def eval_steps(steps: int) -> np.ndarray:
    """The steps of the averaged gradient norm: 1..50, a 1.02-geometric grid, and ``steps``
    (independent of the checkpoints, so that ``iters_to_target`` does not depend on them)."""
    g = np.unique(np.round(EVAL_RATIO ** np.arange(0, math.log(max(steps, 1), EVAL_RATIO) + 1)))
    ev = np.union1d(np.arange(1, min(50, steps) + 1), g[g <= steps])
    return np.union1d(ev, [steps]).astype(np.int64)


@njit
def schedule_values(t, lr, s, beta, theta, r):
    """(α_t, β_t, θ_t) = (lr t^{-s}, β, 1 - θ t^{-r}): the family the simulator used to compute
    inside its kernel, kept for :func:`family_tables`."""
    tf = np.float64(t)
    return lr * tf ** (-s), beta, 1.0 - theta * tf ** (-r)


@njit
def _family(steps, lr, s, beta, theta, r, A, B, TH):
    for c in range(lr.shape[0]):
        for t in range(1, steps + 1):
            A[c, t - 1], B[c, t - 1], TH[c, t - 1] = schedule_values(t, lr[c], s[c], beta[c],
                                                                     theta[c], r[c])


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
    _family(int(steps), *args, A, B, TH)
    return A, B, TH


@cache
def get_kernel(grad, objective):
    """The compiled simulator for one problem oracle pair (built once, cached)."""

    @njit(parallel=PARALLEL, error_model="numpy")
    def run(T, is_eval, rec, seeds, N, b, cup, cdown, kk, ss, place, efw, efs, A, B, TH, ai, bi,
            ti, eps, target, prow, ptab, data, lo, hi, fstar, x0,
            o_g, o_ga, o_f, o_bu, o_bd, o_x1, o_x2, o_hit):
        n, d = x0.shape
        for c in prange(n):
            seed = seeds[c]
            cseed = compressor_seed(seed)
            Nc, bc = N[c], b[c]
            prm = ptab[prow[c]]
            Ac, Bc, Tc = A[ai[c]], B[bi[c]], TH[ti[c]]
            x = x0[c].copy()
            mw = np.zeros((Nc, d))
            vw = np.full((Nc, d), eps[c])
            ew = np.zeros((Nc, d))
            ms = np.zeros(d)
            vs = np.full(d, eps[c])
            es = np.zeros(d)
            g = np.empty(d)
            gs = np.empty(d)
            p = np.empty(d)
            q = np.empty(d)
            acc = np.empty(d)
            go = np.empty(d)
            bits_w = np.float64(Nc * message_bits(cup[c], d, kk[c], ss[c]))
            bits_s = np.float64(Nc * message_bits(cdown[c], d, kk[c], ss[c]))
            bu, bd = 0.0, 0.0
            S = 0.0
            first = True
            hit = -1
            for t in range(1, T + 1):
                a, bt, th = Ac[t - 1], Bc[t - 1], Tc[t - 1]
                for j in range(d):
                    acc[j] = 0.0
                for i in range(Nc):
                    for j in range(d):
                        gs[j] = 0.0
                    for k in range(i * bc, (i + 1) * bc):
                        grad(x, t, sample_seed(seed, k), prm, data, g)
                        for j in range(d):
                            gs[j] += g[j]
                    for j in range(d):
                        gi = gs[j] / bc
                        if place[c] == WORKER_ADAM:
                            mw[i, j], vw[i, j] = moments(gi, mw[i, j], vw[i, j], bt, th)
                            pj = generic_step(a, mw[i, j], vw[i, j])
                        else:
                            pj = gi
                        p[j] = pj + ew[i, j] if efw[c] else pj
                    compress(cup[c], p, q, kk[c], ss[c], cseed, t, (2 * i) << 32)
                    for j in range(d):
                        if efw[c]:
                            ew[i, j] = p[j] - q[j]
                        acc[j] += q[j]
                for j in range(d):
                    gb = acc[j] / Nc
                    if place[c] == WORKER_ADAM:
                        uj = gb
                    else:
                        ms[j], vs[j] = moments(gb, ms[j], vs[j], bt, th)
                        uj = generic_step(a, ms[j], vs[j])
                    p[j] = uj + es[j] if efs[c] else uj
                compress(cdown[c], p, q, kk[c], ss[c], cseed, t, np.int64(1) << 32)
                ok = True
                for j in range(d):
                    if efs[c]:
                        es[j] = p[j] - q[j]
                    y = x[j] - q[j]
                    y = lo[j] if y < lo[j] else y
                    y = hi[j] if y > hi[j] else y
                    x[j] = y
                    ok = ok and abs(y) < 1e100
                bu += bits_w
                bd += bits_s
                if not ok:
                    hit = -2
                    break
                r = rec[t]
                f, g2 = 0.0, 0.0
                if is_eval[t] or r >= 0:
                    f = objective(x, prm, data, go)
                    g2 = 0.0
                    for j in range(d):
                        g2 += go[j] * go[j]
                if is_eval[t]:
                    if first:
                        S = g2
                        first = False
                    else:
                        S = (1.0 - EMA_WEIGHT) * S + EMA_WEIGHT * g2
                    if math.sqrt(S) >= target[c]:
                        hit = -1
                    elif hit == -1:
                        hit = t
                if r >= 0:
                    o_g[c, r] = math.sqrt(g2)
                    o_ga[c, r] = math.sqrt(S)
                    o_f[c, r] = f - fstar
                    o_bu[c, r] = bu
                    o_bd[c, r] = bd
                    o_x1[c, r] = x[0]
                    o_x2[c, r] = x[1] if d > 1 else np.nan
            o_hit[c] = np.float64(hit) if hit > 0 else np.nan

    return run


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
    kern = get_kernel(problem.grad, problem.objective)
    fstar = float(problem.f_star) if problem.f_star is not None else 0.0
    kern(steps, is_eval, rec, per_config(seeds, n, np.int64, "seeds"),
         per_config(workers, n, np.int64, "workers"), per_config(batch, n, np.int64, "batch"),
         cup, cdown, per_config(k, n, np.int64, "k"), per_config(levels, n, np.int64, "levels"),
         place, per_config(ef_worker, n, np.bool_, "ef_worker"),
         per_config(ef_server, n, np.bool_, "ef_server"), A, B, TH, ai, bi, ti,
         per_config(eps, n, np.float64, "eps"), per_config(target, n, np.float64, "target"),
         prow, ptab, problem.data, np.ascontiguousarray(problem.lower),
         np.ascontiguousarray(problem.upper), fstar, xstart, *outs, hit)
    keys = ("gnorm", "gnorm_avg", "fgap", "bits_up", "bits_down", "x1", "x2")
    return {"steps": ck, **dict(zip(keys, outs)), "iters_to_target": hit}
