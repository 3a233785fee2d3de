r"""The parameter-server simulator's kernels (see :mod:`.simulator` for the algorithms, the sample
seeds and the metrics).

Compile once: this module is the *source* of the kernels, not what runs. ``run`` calls the
problem's oracles ``grad`` and ``objective`` as module globals; :mod:`adamtheory.engine.cache`
writes one copy of this module per oracle pair into the kernel cache (template
:data:`adamtheory.distributed.simulator.KERNELS`), binds the oracles at the end of the copy and
sets ``CACHE = True``, so that numba's disk cache applies to ``run`` and ``family``: a problem
compiles once per machine and later processes load the machine code. ``family`` (the schedule
tables) does not use the oracles and runs from the copy bound to ``(None, None)``. Hence the
absolute imports (the copy lives outside the package).
"""

import math

import numpy as np
from numba import njit, prange

from adamtheory.distributed.compressors import compress, compressor_seed, message_bits
from adamtheory.engine.update import generic_step, moments
from counterexamples.rng import mix as _mix

#: numba's disk cache for ``run`` and ``family``; True in the copies in the kernel cache
CACHE = False
#: the problem's oracles, bound at the end of each copy
grad = objective = None

SERVER_ADAM, WORKER_ADAM = 0, 1
PARALLEL = False
EMA_WEIGHT = 1.0 / 16.0

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(inline="always")
def sample_seed(seed, k):
    """Seed of sample k of a round: ``seed XOR mix(k φ)`` (k = 0 gives ``seed``)."""
    return np.int64(np.uint64(seed) ^ _mix(np.uint64(k) * _GOLDEN))


@njit
def schedule_values(t, lr, s, beta, theta, r):
    """(α_t, β_t, θ_t) = (lr t^{-s}, β, 1 - θ t^{-r}): the family the simulator used to compute
    inside its kernel, kept for :func:`family_tables`."""
    tf = np.float64(t)
    return lr * tf ** (-s), beta, 1.0 - theta * tf ** (-r)


@njit(cache=CACHE)
def family(steps, lr, s, beta, theta, r, A, B, TH):
    """Fill A, B, TH (n, steps) with the family of :func:`schedule_values`, row c from the
    c-th parameters (:func:`adamtheory.distributed.simulator.family_tables`)."""
    for c in range(lr.shape[0]):
        for t in range(1, steps + 1):
            A[c, t - 1], B[c, t - 1], TH[c, t - 1] = schedule_values(t, lr[c], s[c], beta[c],
                                                                     theta[c], r[c])


@njit(parallel=PARALLEL, error_model="numpy", cache=CACHE)
def run(T, is_eval, rec, seeds, N, b, cup, cdown, kk, ss, place, efw, efs, A, B, TH, ai, bi,
        ti, eps, target, prow, ptab, data, lo, hi, fstar, x0,
        o_g, o_ga, o_f, o_bu, o_bd, o_x1, o_x2, o_hit):
    """Run every configuration (row of ``x0``) for T rounds, metrics into the ``o_*`` arrays at
    the checkpoints ``rec`` (called by :func:`adamtheory.distributed.simulator.simulate`,
    which builds every argument; the algorithm is described there)."""
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
