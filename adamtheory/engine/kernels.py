"""Compiled kernels: a batch of Generic Adam configurations on one problem.

This module is the *source* of the kernels, not what runs: :mod:`adamtheory.engine.cache` writes
one copy of it per problem oracle (and path), binds the problem's oracles (``grad``,
``objective``, ``grad1``) and the block loop (``BLOCK``) as module globals at the end of the copy
and sets ``CACHE = True``, so that numba's on-disk cache applies to the copy: a problem compiles
once per machine and later calls, in any process, load the machine code
(:func:`adamtheory.engine.cache.compiled_kernel`). The kernels never see a schedule object: they
read float64 tables.

Update rule (per coordinate, per configuration, step t = 1, 2, ...; the arithmetic is
:mod:`adamtheory.engine.update`'s, shared with the other simulators)::

    g   = oracle gradient at (x, t, seed)
    m   = β_t m + (1 - β_t) g
    v   = θ_t v + (1 - θ_t) g²
    c1  = 1 - Π_{k≤t} β_k,  c2 = 1 - Π_{k≤t} θ_k      (both 1 without bias correction)
    V   = v (no AMSGrad) | max(V, v) (torch, reddi) | max(V, v / c2) (optax)
    step = α_t (m / sqrt(v))                                generic, no correction (fast path)
         = (α_t / c1) (m / sqrt(V / c2))                    eps_mode v0
         = (α_t / c1) (m / (sqrt(V) / sqrt(c2) + ε))        eps_mode torch (torch's own order)
         = (α_t / c1) (m / (sqrt(V / c2 + ε_root) + ε))     eps_mode optax (V already corrected
                                                            with optax AMSGrad: c2 := 1 there)
         = (α_t sqrt(c2) / c1) (m / (sqrt(V_raw) + ε))      eps_mode keras (ε is Keras's ε̂)
         = α_t (m / sqrt(V))                                amsgrad reddi (no correction, no ε)
    x   = clip(x - step, lower, upper)

v_0 = V_0 = ε in eps_mode v0 and 0 otherwise; m_0 = 0.

Layout and parallelism
----------------------
Tables are (T, n_rows) so that step t's row is contiguous; each configuration reads its row
through an index (``ai``, ``bi``, ``ti``). Configurations are processed in *blocks* that share
(seed, problem-parameter row), so a sample the oracle draws at (seed, t) is loop-invariant in the
block's inner loop (LLVM hoists it once the oracle is inlined). Time runs in chunks (serial); within
a chunk, blocks run in parallel (``prange``). Each configuration's arithmetic touches only its own
state, and no fastmath flags are used, so results are bitwise independent of the block split,
thread count and order of configurations, and NaN checks are never optimized away.

Block oracles
-------------
Problems with ``grad_block`` / ``objective_block`` (see ``counterexamples._base``) run
:func:`_block_b`: the configurations of a block share the step's samples, drawn once, and every
loop over configurations (gradients, full-gradient metrics, the update) vectorizes; the results
are those of the general loop, bit for bit.

Fast path
---------
One-dimensional problems with ``grad1``, configurations in the plain generic form (eps_mode v0,
no bias correction, no AMSGrad) and per-step gradient metrics off run a loop that LLVM vectorizes
over the configurations of a block (AVX-512 sqrt/div). For it, each block reads each table either
as one row (a scalar per step) or as consecutive rows (a contiguous slice), decided per block by
the driver; other row patterns are gathered into a buffer first. Everything else runs the general
loop (scalar per configuration, all variants, per-step metrics), with identical arithmetic for
plain configurations. An oracle whose per-step work depends on ``params`` (e.g. ``t % params[2]``)
is re-evaluated per configuration, since LLVM cannot prove that the loop does not write the
parameter array; with loop-invariant per-step work (a constant period, a shared sample) it is
evaluated once per step and block.

A configuration whose step is NaN, or whose |step|, |x| exceeds ``HUGE_STEP`` or whose v exceeds
``HUGE_V``, keeps its last good iterate, stops, and gets a flag (see :mod:`.codes`).
"""

import math

import numpy as np
from numba import njit, prange

from adamtheory.engine.codes import FLAG_NAN, FLAG_OVERFLOW, HUGE_STEP, HUGE_V
from adamtheory.engine.update import adam_update, bias_factors, generic_step, moments

#: numba's disk cache for the driver; True in the per-problem copies (see the module docstring)
CACHE = False
#: The problem's oracles and the driver's block loop: bound at the end of each per-problem copy
grad = objective = grad1 = grad_block = objective_block = BLOCK = None
#: The block loop is :func:`_block_b` (checkpoint metrics then use ``objective_block`` too)
BATCHED = False


@njit
def _no_grad_block(X, t, seed, params, data, G, f):  # pragma: no cover - bound, never called
    pass


@njit
def _no_objective_block(X, params, data, G, f):  # pragma: no cover - bound, never called
    pass


@njit(inline="always", error_model="numpy")
def _ok(step, v, x):
    return (abs(step) <= HUGE_STEP) & (v <= HUGE_V) & (abs(x) <= HUGE_STEP)


@njit(inline="always", error_model="numpy")
def _bad_flag(step, v):
    return FLAG_NAN if (step != step) | (v != v) else FLAG_OVERFLOW


@njit(inline="always", error_model="numpy")
def _add_grad_metrics(i, gn2, gsum, gmin):
    """Per-step metrics of configuration i from ||∇f(x_t)||²: Σ ||∇f||^{4/3} and min ||∇f||²."""
    c = np.cbrt(gn2)
    gsum[i] += c * c
    gmin[i] = gn2 if gn2 < gmin[i] else gmin[i]


@njit(error_model="numpy")
def _record(k, t, i0, i1, x, alive, rsum, gsum, gmin, prm, data, lo, hi, xs, has_xs, fstar,
            do_regret, do_grad, o_x, o_dist, o_f, o_g, o_pg, o_reg, o_g43, o_gmin):
    """Metrics of configurations i0..i1-1 at checkpoint k (step t)."""
    d = x.shape[1]
    n = i1 - i0
    gt = np.empty(d)
    XB, GB, fb = np.empty((d, n if BATCHED else 0)), np.empty((d, n if BATCHED else 0)), \
        np.empty(n if BATCHED else 0)
    if BATCHED:  # f and ∇f of the whole block in one call
        for i in range(n):
            for j in range(d):
                XB[j, i] = x[i0 + i, j]
        objective_block(XB, prm, data, GB, fb)
    for i in range(i0, i1):
        if not alive[i]:
            o_x[k, i] = o_dist[k, i] = o_f[k, i] = o_g[k, i] = o_pg[k, i] = np.nan
            o_reg[k, i] = o_g43[k, i] = o_gmin[k, i] = np.nan
            continue
        xi = x[i]
        if BATCHED:
            f = fb[i - i0]
            for j in range(d):
                gt[j] = GB[j, i - i0]
        else:
            f = objective(xi, prm, data, gt)
        nx = dist = g2 = pg2 = 0.0
        for j in range(d):
            nx += xi[j] * xi[j]
            dist += (xi[j] - xs[j]) * (xi[j] - xs[j])
            g2 += gt[j] * gt[j]
            y = xi[j] - gt[j]
            y = lo[j] if y < lo[j] else y
            y = hi[j] if y > hi[j] else y
            pg2 += (xi[j] - y) * (xi[j] - y)
        o_x[k, i] = xi[0] if d == 1 else math.sqrt(nx)
        o_dist[k, i] = math.sqrt(dist) if has_xs else np.nan
        o_f[k, i] = f - fstar
        o_g[k, i] = math.sqrt(g2)
        o_pg[k, i] = math.sqrt(pg2)
        o_reg[k, i] = rsum[i] / t if do_regret else np.nan
        o_g43[k, i] = gsum[i] / t if do_grad else np.nan
        o_gmin[k, i] = gmin[i] if do_grad else np.nan


@njit(error_model="numpy")
def _block_d(t0, t1, i0, i1, A, B, TH, ai, bi, ti, eps, eroot, emode, bc, ams, x, m, v, vmax,
             pb, pt, alive, flag, stop, rsum, gsum, gmin, seed, prm, data, xs, lo, hi,
             do_regret, do_grad, plain, kind, off):
    """The general loop: every variant, per-step metrics, one configuration at a time."""
    d = x.shape[1]
    g = np.empty(d)
    gs = np.empty(d)
    go = np.empty(d)
    xn = np.empty(d)
    for t in range(t0, t1 + 1):
        Ar, Br, Tr = A[t - 1], B[t - 1], TH[t - 1]
        ls = grad(xs, t, seed, prm, data, gs) if do_regret else 0.0
        for i in range(i0, i1):
            if not alive[i]:
                continue
            xi = x[i]
            loss = grad(xi, t, seed, prm, data, g)
            if do_grad:
                objective(xi, prm, data, go)
                gn2 = 0.0
                for j in range(d):
                    gn2 += go[j] * go[j]
                _add_grad_metrics(i, gn2, gsum, gmin)
            a, b, th = Ar[ai[i]], Br[bi[i]], Tr[ti[i]]
            p1, p2, c1, c2 = bias_factors(pb[i], pt[i], b, th, bc[i])
            pb[i], pt[i] = p1, p2
            ok = True
            code = 0
            for j in range(d):
                mj, vj, vmj, step = adam_update(g[j], m[i, j], v[i, j], vmax[i, j], a, b, th,
                                                c1, c2, emode[i], ams[i], eps[i], eroot[i])
                m[i, j], v[i, j], vmax[i, j] = mj, vj, vmj
                y = xi[j] - step
                y = lo[j] if y < lo[j] else y
                y = hi[j] if y > hi[j] else y
                xn[j] = y
                if not _ok(step, vj, y):
                    ok = False
                    c = _bad_flag(step, vj)
                    code = c if c < code or code == 0 else code
            if ok:
                for j in range(d):
                    xi[j] = xn[j]
                if do_regret:
                    rsum[i] += loss - ls
            else:
                alive[i] = False
                flag[i] = code
                stop[i] = t


@njit(error_model="numpy")
def _block_b(t0, t1, i0, i1, A, B, TH, ai, bi, ti, eps, eroot, emode, bc, ams, x, m, v, vmax,
             pb, pt, alive, flag, stop, rsum, gsum, gmin, seed, prm, data, xs, lo, hi,
             do_regret, do_grad, plain, kind, off):
    """Problems with block oracles: one ``grad_block`` call per step for the whole block.

    The block's state is held coordinate-major, (d, n) with the configurations along the
    contiguous axis, for the chunk; the step's samples are drawn once for the block and every
    loop over configurations vectorizes. Per configuration the arithmetic is that of
    :func:`_block_d` in the same order (the block oracles reproduce the per-iterate oracles bit
    for bit), so both loops give identical results.
    """
    n = i1 - i0
    d = x.shape[1]
    X, M, V, VM = np.empty((d, n)), np.empty((d, n)), np.empty((d, n)), np.empty((d, n))
    for i in range(n):
        for j in range(d):
            X[j, i], M[j, i] = x[i0 + i, j], m[i0 + i, j]
            V[j, i], VM[j, i] = v[i0 + i, j], vmax[i0 + i, j]
    G, XN, f = np.empty((d, n)), np.empty((d, n)), np.empty(n if do_regret else 0)
    GO, fo = np.empty((d, n if do_grad else 0)), np.empty(0)
    gn2, gs = np.empty(n), np.empty(d)
    av, bv, tv = np.empty(n), np.empty(n), np.empty(n)
    ok, code = np.empty(n, np.bool_), np.empty(n, np.int8)
    live = alive[i0:i1]
    for t in range(t0, t1 + 1):
        Ar, Br, Tr = A[t - 1], B[t - 1], TH[t - 1]
        ls = grad(xs, t, seed, prm, data, gs) if do_regret else 0.0
        grad_block(X, t, seed, prm, data, G, f)
        if do_grad:
            objective_block(X, prm, data, GO, fo)
            gn2[:] = 0.0
            for j in range(d):
                for i in range(n):
                    gn2[i] += GO[j, i] * GO[j, i]
            for i in range(n):
                if live[i]:
                    _add_grad_metrics(i0 + i, gn2[i], gsum, gmin)
        for i in range(n):
            av[i], bv[i], tv[i] = Ar[ai[i0 + i]], Br[bi[i0 + i]], Tr[ti[i0 + i]]
            ok[i], code[i] = True, 0
        if plain:  # the generic form, vectorized over the configurations
            for j in range(d):
                for i in range(n):
                    mi, vi = moments(G[j, i], M[j, i], V[j, i], bv[i], tv[i])
                    step = generic_step(av[i], mi, vi)
                    y = X[j, i] - step
                    y = lo[j] if y < lo[j] else y
                    y = hi[j] if y > hi[j] else y
                    M[j, i], V[j, i], XN[j, i] = mi, vi, y
                    good = _ok(step, vi, y)
                    ok[i] &= good
                    c = _bad_flag(step, vi)
                    code[i] = c if (not good) & ((code[i] == 0) | (c < code[i])) else code[i]
        else:
            for i in range(n):
                if not live[i]:
                    continue
                k = i0 + i
                p1, p2, c1, c2 = bias_factors(pb[k], pt[k], bv[i], tv[i], bc[k])
                pb[k], pt[k] = p1, p2
                for j in range(d):
                    mj, vj, vmj, step = adam_update(G[j, i], M[j, i], V[j, i], VM[j, i], av[i],
                                                    bv[i], tv[i], c1, c2, emode[k], ams[k],
                                                    eps[k], eroot[k])
                    y = X[j, i] - step
                    y = lo[j] if y < lo[j] else y
                    y = hi[j] if y > hi[j] else y
                    M[j, i], V[j, i], VM[j, i], XN[j, i] = mj, vj, vmj, y
                    if not _ok(step, vj, y):
                        c = _bad_flag(step, vj)
                        code[i] = c if ok[i] or c < code[i] else code[i]
                        ok[i] = False
        for j in range(d):
            for i in range(n):
                X[j, i] = XN[j, i] if live[i] & ok[i] else X[j, i]
        for i in range(n):
            if live[i]:
                if ok[i]:
                    if do_regret:
                        rsum[i0 + i] += f[i] - ls
                else:
                    live[i] = False
                    flag[i0 + i] = code[i]
                    stop[i0 + i] = t
    for i in range(n):
        for j in range(d):
            x[i0 + i, j], m[i0 + i, j] = X[j, i], M[j, i]
            v[i0 + i, j], vmax[i0 + i, j] = V[j, i], VM[j, i]


@njit(inline="always", error_model="numpy")
def _rowref(R, t, kind, off, idx, buf):
    # (scalar, row, offset) through which the block reads step t's values from its view of
    # the table (see _fast1); kind 2 first gathers the block's values into buf's row 0
    if kind == 0:
        return R[t - 1, off], np.uint64(0), np.uint64(0)
    if kind == 1:
        return 0.0, np.uint64(t - 1), np.uint64(off)
    for i in range(buf.shape[1]):
        buf[0, i] = R[t - 1, idx[i]]
    return 0.0, np.uint64(0), np.uint64(0)


@njit(error_model="numpy")
def _fast1(t0, t1, A, B, TH, ai, bi, ti, kind, off, x_, m_, v_, alive_, flag, stop, rsum_,
           seed, prm, xs, lo, hi, reg):
    # One chunk of the plain generic form for one block, on block-local copies of its state
    # (written back at the end). A table value is c + V[r, o + i]: c is the block's scalar
    # and V a zero row when the block uses one row of the table (kind 0), c = 0 and V the
    # table when it uses consecutive rows (kind 1), c = 0 and V the gathered row otherwise
    # (x + 0.0 == x, so the values are exact). Unsigned indices skip numba's wraparound
    # code, so the loads are contiguous and LLVM vectorizes the loop over configurations.
    # Every array the loop reads is bound once, before the loop over steps, and the loop is
    # written out here rather than in an inlined helper: an array rebound or passed to an
    # inlined function inside the loop costs NRT reference-count updates (atomic, on lines
    # the two threads share) at every step, which took a fifth of the Reddi benchmark.
    x, m, v, rsum = x_.copy(), m_.copy(), v_.copy(), rsum_.copy()
    # alive as 64-bit integers: the loop's tests are 64-bit lanes, and a byte array
    # took a pack and an unpack of the lanes per vector of configurations
    alive = alive_.astype(np.int64)
    n = x.shape[0]
    ab, bb, tb = np.zeros((1, n)), np.zeros((1, n)), np.zeros((1, n))
    Av = A if kind[0] == 1 else ab
    Bv = B if kind[1] == 1 else bb
    Tv = TH if kind[2] == 1 else tb
    gr = np.empty(n)
    for t in range(t0, t1 + 1):
        ac, ra, oa = _rowref(A, t, kind[0], off[0], ai, ab)
        bc, rb, ob = _rowref(B, t, kind[1], off[1], bi, bb)
        tc, rt, ot = _rowref(TH, t, kind[2], off[2], ti, tb)
        # the gradients first, in a loop of their own (with f_t's regret term when regret is
        # on): in the update loop, the stochastic oracle's sample draw kept it from vectorizing
        # (2.9e8 against 6.0e8 config-steps/s on reddi-sec5-stochastic, AVX2), and the regret's
        # accumulation, if-converted into it, was a masked load and store per configuration
        if reg:
            ls = grad1(xs, t, seed, prm)[0]
            for i in range(n):
                fi, gr[i] = grad1(x[i], t, seed, prm)
                rsum[i] += fi - ls
        else:
            for i in range(n):
                gr[i] = grad1(x[i], t, seed, prm)[1]
        deaths = 0
        for i in range(n):
            u = np.uint64(i)
            xi = x[i]
            mi, vi = moments(gr[i], m[i], v[i], bc + Bv[rb, ob + u], tc + Tv[rt, ot + u])
            step = generic_step(ac + Av[ra, oa + u], mi, vi)
            y = xi - step
            y = lo if y < lo else y
            y = hi if y > hi else y
            live = alive[i]
            keep = live & np.int64(_ok(step, vi, y))
            deaths += live ^ keep
            m[i] = mi
            v[i] = vi
            x[i] = y if keep else xi
            alive[i] = keep
        if deaths:
            for i in range(n):
                if not alive[i] and stop[i] == 0:
                    stop[i] = t
                    step = generic_step(ac + Av[ra, oa + np.uint64(i)], m[i], v[i])
                    flag[i] = _bad_flag(step, v[i])
    x_[:] = x
    m_[:] = m
    v_[:] = v
    alive_[:] = alive != 0
    rsum_[:] = rsum


@njit(error_model="numpy")
def _block1(t0, t1, i0, i1, A, B, TH, ai, bi, ti, eps, eroot, emode, bc, ams, x, m, v, vmax,
            pb, pt, alive, flag, stop, rsum, gsum, gmin, seed, prm, data, xs, lo, hi,
            do_regret, do_grad, plain, kind, off):
    """One-dimensional problems with ``grad1``: the fast path for a plain block without per-step
    metrics, the general loop otherwise."""
    if plain and not do_grad:
        n = x.shape[0]
        _fast1(t0, t1, A, B, TH, ai[i0:i1], bi[i0:i1], ti[i0:i1], kind, off,
               x.reshape(n)[i0:i1], m.reshape(n)[i0:i1], v.reshape(n)[i0:i1],
               alive[i0:i1], flag[i0:i1], stop[i0:i1], rsum[i0:i1], seed, prm,
               xs[0], lo[0], hi[0], do_regret)
    else:
        _block_d(t0, t1, i0, i1, A, B, TH, ai, bi, ti, eps, eroot, emode, bc, ams, x, m, v, vmax,
                 pb, pt, alive, flag, stop, rsum, gsum, gmin, seed, prm, data, xs, lo, hi,
                 do_regret, do_grad, plain, kind, off)


@njit(parallel=True, error_model="numpy", cache=CACHE)
def run(ends, recs, A, B, TH, ai, bi, ti, eps, eroot, emode, bc, ams, bstart, bseed,
        bprow, bplain, bkind, boff, params, data, lo, hi, xs, has_xs, fstar, do_regret,
        do_grad,
        x, m, v, vmax, pb, pt, alive, flag, stop, rsum, gsum, gmin,
        o_x, o_dist, o_f, o_g, o_pg, o_reg, o_g43, o_gmin):
    """The driver: chunks of steps (serial), blocks in parallel, metrics at checkpoints.

    Called through :func:`adamtheory.engine.batch.run_batch`, which builds every argument.
    """
    nb = bstart.shape[0] - 1
    t0 = 1
    for c in range(ends.shape[0]):
        t1 = ends[c]
        k = recs[c]
        for bb in prange(nb):
            i0, i1 = bstart[bb], bstart[bb + 1]
            prm = params[bprow[bb]]
            BLOCK(t0, t1, i0, i1, A, B, TH, ai, bi, ti, eps, eroot, emode, bc, ams,
                  x, m, v, vmax, pb, pt, alive, flag, stop, rsum, gsum, gmin,
                  bseed[bb], prm, data, xs, lo, hi, do_regret, do_grad, bplain[bb],
                  bkind[bb], boff[bb])
            if k >= 0:
                _record(k, t1, i0, i1, x, alive, rsum, gsum, gmin, prm, data, lo, hi,
                        xs, has_xs, fstar, do_regret, do_grad,
                        o_x, o_dist, o_f, o_g, o_pg, o_reg, o_g43, o_gmin)
        t0 = t1 + 1
