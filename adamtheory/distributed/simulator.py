r"""Parameter-server simulator: distributed / mini-batch Adam and Efficient-Adam.

N workers, each averaging b stochastic gradients per round, a server, compression in both
directions with error feedback (EF) on either side as switches. Two placements (REFERENCE §5-6);
schedules α_t = lr t^{-s}, β_t = β, θ_t = 1 - θ t^{-r}; v_0 = ε; all vectors coordinate-wise.

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
>>> from adamtheory.distributed.simulator import simulate
>>> p = cx.get("nonconvex-separable", d=4, sigma=0.5)
>>> out = simulate(p, steps=200, seeds=[0, 1], workers=[1, 8], lr=0.1, target=0.5)
>>> out["bits_up"][:, -1]                         # 200 rounds x N x 64 x 4 bits
array([ 51200., 409600.])
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit, prange

from counterexamples.rng import mix as _mix

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
    """(α_t, β_t, θ_t) = (lr t^{-s}, β, 1 - θ t^{-r})."""
    tf = np.float64(t)
    return lr * tf ** (-s), beta, 1.0 - theta * tf ** (-r)


@lru_cache(maxsize=None)
def get_kernel(grad, objective):
    """The compiled simulator for one problem oracle pair (built once, cached)."""

    @njit(parallel=PARALLEL, error_model="numpy")
    def run(T, is_eval, rec, seeds, N, b, cup, cdown, kk, ss, place, efw, efs, lr, sx, beta,
            theta, rx, eps, target, prow, ptab, data, lo, hi, fstar, x0,
            o_g, o_ga, o_f, o_bu, o_bd, o_x1, o_x2, o_hit):
        n, d = x0.shape
        for c in prange(n):
            seed = seeds[c]
            cseed = compressor_seed(seed)
            Nc, bc = N[c], b[c]
            prm = ptab[prow[c]]
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
                a, bt, th = schedule_values(t, lr[c], sx[c], beta[c], theta[c], rx[c])
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
                            mw[i, j] = bt * mw[i, j] + (1.0 - bt) * gi
                            vw[i, j] = th * vw[i, j] + (1.0 - th) * (gi * gi)
                            pj = a * (mw[i, j] / math.sqrt(vw[i, j]))
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
                        ms[j] = bt * ms[j] + (1.0 - bt) * gb
                        vs[j] = th * vs[j] + (1.0 - th) * (gb * gb)
                        uj = a * (ms[j] / math.sqrt(vs[j]))
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


def _per(value, n, dtype):
    a = np.asarray(value, dtype=dtype)
    return np.full(n, a, dtype=dtype) if a.ndim == 0 else np.ascontiguousarray(a)


def simulate(problem, steps: int, seeds=0, *, workers=1, batch=1, compressor="identity64",
             downlink=None, k=1, levels=4, placement="server-adam", ef_worker=False,
             ef_server=False, lr=0.1, s=0.5, beta=0.9, theta=1.0, r=1.0, eps=1e-8, target=0.1,
             params=None, x0=None, checkpoints=None) -> dict:
    """Run n configurations of the parameter-server simulator on ``problem``.

    Every argument after ``steps`` is a scalar or one value per configuration (n is the longest).
    ``compressor`` is the uplink compressor Q_w, ``downlink`` the server's Q_s (default: the
    same). ``params`` overrides the problem's parameter row (one row, or one per configuration);
    problems with their own mini-batch parameter (``batch``) must be given with batch 1 (the
    simulator does the batching).

    Returns
    -------
    dict
        ``steps`` (the checkpoints), metrics ``gnorm``, ``gnorm_avg``, ``fgap``, ``bits_up``,
        ``bits_down``, ``x1``, ``x2`` of shape (n, n_checkpoints), and ``iters_to_target`` (n,).
    """
    if "batch" in problem.param_names and problem.params[problem.param_names.index("batch")] != 1:
        raise ValueError(f"{problem.name}: build it with batch=1; the simulator's batch "
                         "argument sets the mini-batch")
    args = [seeds, workers, batch, compressor, downlink, k, levels, placement, ef_worker,
            ef_server, lr, s, beta, theta, r, eps, target]
    n = max([np.size(a) for a in args if a is not None and not isinstance(a, str)] + [1])
    if x0 is not None and np.ndim(x0) == 2:
        n = max(n, np.shape(x0)[0])
    names = np.broadcast_to(np.asarray(compressor, dtype=str), (n,))
    cup = np.array([CODES[v] for v in names], np.int64)
    cdown = cup.copy() if downlink is None else np.array(
        [CODES[v] for v in np.broadcast_to(np.asarray(downlink, dtype=str), (n,))], np.int64)
    place = np.array([PLACEMENTS.index(v) for v in np.broadcast_to(
        np.asarray(placement, dtype=str), (n,))], np.int64)
    d = problem.dim
    prm = problem.params if params is None else np.asarray(params, np.float64)
    if prm.ndim <= 1:
        ptab, prow = np.ascontiguousarray(prm.reshape(1, -1)), np.zeros(n, np.int64)
    else:
        ptab, prow = np.unique(prm, axis=0, return_inverse=True)
        ptab, prow = np.ascontiguousarray(ptab), prow.reshape(-1).astype(np.int64)
    if ptab.shape[1] == 0:
        ptab = np.zeros((ptab.shape[0], 1))
    xs = problem.x0 if x0 is None else x0
    xs = np.ones(d) if xs is None else xs
    xstart = np.ascontiguousarray(np.clip(np.broadcast_to(np.asarray(xs, np.float64), (n, d)),
                                          problem.lower, problem.upper))
    ck = np.arange(1, steps + 1) if checkpoints is None else np.asarray(checkpoints, np.int64)
    ck = np.union1d(ck[(ck >= 1) & (ck <= steps)], [steps]).astype(np.int64)
    ev = eval_steps(steps)
    is_eval = np.zeros(steps + 1, np.bool_)
    is_eval[ev] = True
    rec = np.full(steps + 1, -1, np.int64)
    rec[ck] = np.arange(ck.size)
    outs = [np.full((n, ck.size), np.nan) for _ in range(7)]
    hit = np.full(n, np.nan)
    kern = get_kernel(problem.grad, problem.objective)
    fstar = float(problem.f_star) if problem.f_star is not None else 0.0
    kern(int(steps), is_eval, rec, _per(seeds, n, np.int64), _per(workers, n, np.int64),
         _per(batch, n, np.int64), cup, cdown, _per(k, n, np.int64), _per(levels, n, np.int64),
         place, _per(ef_worker, n, np.bool_), _per(ef_server, n, np.bool_),
         _per(lr, n, np.float64), _per(s, n, np.float64), _per(beta, n, np.float64),
         _per(theta, n, np.float64), _per(r, n, np.float64), _per(eps, n, np.float64),
         _per(target, n, np.float64), prow, ptab, problem.data,
         np.ascontiguousarray(problem.lower), np.ascontiguousarray(problem.upper), fstar,
         xstart, *outs, hit)
    keys = ("gnorm", "gnorm_avg", "fgap", "bits_up", "bits_down", "x1", "x2")
    return {"steps": ck, **dict(zip(keys, outs)), "iters_to_target": hit}
