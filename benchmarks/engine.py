"""Engine throughput on Reddi Section 5: an N×N grid of (s, r), α_t = α t^{-s}, θ_t = 1 - θ t^{-r}.

    python benchmarks/engine.py [--grid N] [--steps T] [--json] [--repeat K]
    python benchmarks/engine.py --problem NAME --configs N [--steps T] [--grad-metrics] [--json]

With ``--problem``: any catalog problem, N configurations (a grid of s, r as above with α = 0.05,
one seed, so all share the samples), default checkpoints, regret off, the per-step gradient
metrics on with ``--grad-metrics``. Baselines measured in the same run on the same work (same
samples from ``counterexamples.rng``, same checkpoints, same metrics): a torch float64 loop that
batches the N configurations as matrix products (``ratio_vs_torch_batched``), the same loop in
numpy, and torch one configuration at a time (that loop with N = 1); their steps are timed on
``--baseline-steps`` steps and their checkpoint metrics apart, then scaled to T steps and the
engine's checkpoints. Problems without a torch form here (see ``BATCHED_FORMS``) report
the engine alone.

Grid: s in [0.05, 1], r in [0, 1] (N values each), α = 0.5, θ = 0.01, β = 0.9, ε = 1e-8, generic
form (v_0 = ε), x0 = 1, projection on [-1, 1], metrics at the default ~40 log-spaced checkpoints
and no per-step metrics (regret, gradient norms off) in every contender, so all do the same work:

* engine: :func:`adamtheory.engine.run_batch` (best of ``--repeat`` runs; compile time excluded
  from the rate, printed separately);
* numpy: one loop over t, vectorized over all N² configurations (same tables, same update, same
  checkpoints), timed on min(T, 2000) steps: a rate per config-step, so the ratio is like for like;
* engine with a constant-period copy of the online oracle (see ``const_period_online``);
* torch: one ``torch.optim.Adam`` per configuration (float64, lr and betas set each step), timed
  on 4 configurations × min(T, 2000) steps and scaled the same way.

The stochastic problem (sample shared by all configurations of a seed) is timed with the engine
only (``stochastic_config_steps_per_s``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace

import numba
import numpy as np
from numba import njit

import counterexamples as cx
from adamtheory.engine import default_checkpoints, run_batch

ALPHA, THETA, BETA, EPS = 0.5, 0.01, 0.9, 1e-8


# ------------------------------------------------------------------ C baseline (same work)
#: The 1-d Generic Adam update on Reddi Sec. 5 online, plain C, compiled at benchmark time.
#: Configuration i = a * nr + r reads α row a and θ row r (the benchmark's grid order), with
#: exactly the engine's arithmetic in the engine's order (no FMA contraction: -ffp-contract=off):
#:   g = ga if t mod P == 1 else -gb,  m = β m + (1 - β) g,  v = θ v + (1 - θ) (g g),
#:   x = min(max(x - α (m / sqrt(v)), lo), hi)      [the engine's `lo if y < lo else y`, ...]
#: Time runs in the engine's chunks (``ends``: every CHUNK steps and at each checkpoint, so the
#: tables' rows of a chunk stay in cache); within a chunk the α rows (blocks of nr
#: configurations, like the engine's blocks) are split over OpenMP threads. At a checkpoint
#: (``recs[c] >= 0``) x is copied to ``xck``. ``checks = 1`` adds the engine's divergence test
#: (|step| <= HUGE_STEP, v <= HUGE_V, |x| <= HUGE_STEP; a failing configuration keeps its last
#: good iterate, stops, and records the step in ``stop``); ``checks = 0`` is the bare loop. The
#: alive flags are 64-bit integers, as in the engine's loop: one per vector lane, no packing (with
#: byte flags the checked loop ran at 8.5-8.7e8 on an AVX2 2-core machine, with 64-bit flags
#: 1.0-1.3e9).
C_SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <omp.h>

static inline __attribute__((always_inline)) void
block(int64_t t0, int64_t t1, int64_t na, int64_t nr, int64_t a, const double *A,
      const double *TH, double beta, double ga, double gb, int64_t period, double lo,
      double hi, double *restrict x, double *restrict m, double *restrict v,
      int64_t *restrict alive, int64_t *restrict stop, const int checks)
{
    for (int64_t t = t0; t <= t1; t++) {
        const double al = A[(t - 1) * na + a];
        const double *restrict th = TH + (t - 1) * nr;
        const double g = (t % period == 1) ? ga : -gb;
        const double gm = (1.0 - beta) * g, g2 = g * g;
        int64_t deaths = 0;
        for (int64_t r = 0; r < nr; r++) {
            const double mi = beta * m[r] + gm;
            const double vi = th[r] * v[r] + (1.0 - th[r]) * g2;
            const double step = al * (mi / sqrt(vi));
            double y = x[r] - step;
            y = y < lo ? lo : y;
            y = y > hi ? hi : y;
            m[r] = mi;
            v[r] = vi;
            if (checks) {
                const int64_t good = (fabs(step) <= 1e100) & (vi <= 1e300) & (fabs(y) <= 1e100);
                const int64_t keep = alive[r] & good;
                deaths += alive[r] & !keep;
                x[r] = keep ? y : x[r];
                alive[r] = keep;
            } else {
                x[r] = y;
            }
        }
        if (checks && deaths)
            for (int64_t r = 0; r < nr; r++)
                if (!alive[r] && stop[r] == 0) stop[r] = t;
    }
}

void reddi_online(int64_t nchunks, const int64_t *ends, const int64_t *recs, int64_t na,
                  int64_t nr, const double *A, const double *TH, double beta, double ga,
                  double gb, int64_t period, double lo, double hi, int threads, int checks,
                  double *x, double *m, double *v, int64_t *alive, int64_t *stop,
                  double *xck)
{
    omp_set_num_threads(threads);
    int64_t t0 = 1;
    for (int64_t c = 0; c < nchunks; c++) {
        const int64_t t1 = ends[c];
        #pragma omp parallel for schedule(static)
        for (int64_t a = 0; a < na; a++) {
            const int64_t o = a * nr;
            if (checks)
                block(t0, t1, na, nr, a, A, TH, beta, ga, gb, period, lo, hi, x + o, m + o,
                      v + o, alive + o, stop + o, 1);
            else
                block(t0, t1, na, nr, a, A, TH, beta, ga, gb, period, lo, hi, x + o, m + o,
                      v + o, alive + o, stop + o, 0);
        }
        if (recs[c] >= 0)
            for (int64_t i = 0; i < na * nr; i++) xck[recs[c] * na * nr + i] = x[i];
        t0 = t1 + 1;
    }
}
"""
C_FLAGS = ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-fopenmp",
           "-shared", "-fPIC"]


def build_c(tmpdir):
    """Compile :data:`C_SOURCE` with gcc into ``tmpdir``; (ctypes function, None) or
    (None, the reason it cannot be built)."""
    import ctypes
    import shutil
    import subprocess
    from pathlib import Path

    gcc = shutil.which("gcc")
    if gcc is None:
        return None, "gcc not found on PATH"
    src, lib = Path(tmpdir) / "reddi_online.c", Path(tmpdir) / "reddi_online.so"
    src.write_text(C_SOURCE)
    proc = subprocess.run([gcc, *C_FLAGS, str(src), "-o", str(lib), "-lm"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, f"gcc failed: {proc.stderr.strip().splitlines()[-1:]}"
    fn = ctypes.CDLL(str(lib)).reddi_online
    f64, i64 = (np.ctypeslib.ndpointer(dt, flags="C_CONTIGUOUS") for dt in (np.float64, np.int64))
    fn.argtypes = [ctypes.c_int64, i64, i64, ctypes.c_int64, ctypes.c_int64, f64, f64,
                   ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_int64,
                   ctypes.c_double, ctypes.c_double, ctypes.c_int, ctypes.c_int,
                   f64, f64, f64, i64, i64, f64]
    fn.restype = None
    return fn, None


def run_c(fn, prob, A, TH, checks, threads):
    """The C loop on the grid of :func:`grid_tables` (A: (T, na), TH: (T, nr), configuration
    a * nr + r), the engine's checkpoints and chunks. Returns (seconds, x at the checkpoints
    (n_checkpoints, n), final x, stop steps)."""
    from adamtheory.engine.batch import CHUNK

    T, na, nr = A.shape[0], A.shape[1], TH.shape[1]
    n = na * nr
    ck = default_checkpoints(T).astype(np.int64)
    ck = np.union1d(ck[(ck >= 1) & (ck <= T)], [T]).astype(np.int64)
    ends = np.union1d(ck, np.arange(CHUNK, T, CHUNK)).astype(np.int64)
    recs = np.full(ends.shape, -1, np.int64)
    recs[np.searchsorted(ends, ck)] = np.arange(ck.size)
    ga, gb, period = float(prob.params[0]), float(prob.params[1]), int(prob.params[2])
    lo, hi = float(prob.lower[0]), float(prob.upper[0])
    x0 = float(np.clip(prob.x0[0] if prob.x0 is not None else 1.0, lo, hi))
    x, m, v = np.full(n, x0), np.zeros(n), np.full(n, EPS)
    alive, stop = np.ones(n, np.int64), np.zeros(n, np.int64)
    xck = np.empty((ck.size, n))
    t0 = time.perf_counter()
    fn(ends.size, ends, recs, na, nr, A, TH, BETA, ga, gb, period, lo, hi, threads,
       int(checks), x, m, v, alive, stop, xck)
    return time.perf_counter() - t0, xck, x, stop


# The catalog's oracle serves the whole periodic family, with the period read from ``params``:
# ``t % period`` then cannot be hoisted out of the engine's loop over configurations (LLVM cannot
# prove that the parameter array is not written by the loop), so it is computed per configuration.
# This copy has the period as a constant (same trajectories, checked below) and shows what the
# engine does when the oracle's per-step work is loop-invariant.
@njit(inline="always")
def _sec5_grad1(x, t, seed, params):
    s = 1010.0 if t % 101 == 1 else -10.0
    return s * x, s


@njit
def _sec5_grad(x, t, seed, params, data, g):
    loss, g[0] = _sec5_grad1(x[0], t, seed, params)
    return loss


def const_period_online(catalog_problem):
    return replace(catalog_problem, name="reddi-sec5-online (constant-period oracle)",
                   grad=_sec5_grad, grad1=_sec5_grad1)


def grid_tables(n, steps):
    t = np.arange(1, steps + 1, dtype=np.float64)[:, None]
    s = np.linspace(0.05, 1.0, n)
    r = np.linspace(0.0, 1.0, n)
    A = np.ascontiguousarray(ALPHA * t ** -s)
    TH = np.ascontiguousarray(1.0 - THETA * t ** -r)
    rows_a = np.repeat(np.arange(n), n)
    rows_t = np.tile(np.arange(n), n)
    return A, TH, rows_a, rows_t


def run_engine(prob, A, TH, ra, rt, seed=0):
    B = np.full((A.shape[0], 1), BETA)
    return run_batch(prob, A, B, TH, alpha_row=ra, theta_row=rt, eps=EPS, seeds=seed,
                     grad_metrics=False, regret=False)


def run_numpy(prob, A, TH, ra, rt, steps, seed=0):
    """The same update, vectorized over configurations with numpy; returns seconds."""
    n = ra.size
    x = np.ones(n)
    m = np.zeros(n)
    v = np.full(n, EPS)
    tmp, tmp2 = np.empty(n), np.empty(n)
    ck = set(default_checkpoints(steps).tolist())
    trace = []
    g1 = prob.grad1
    t0 = time.perf_counter()
    for t in range(1, steps + 1):
        g = g1(0.0, t, seed, prob.params)[1]  # linear problem: g does not depend on x
        a = A[t - 1][ra]
        th = TH[t - 1][rt]
        m *= BETA
        m += (1.0 - BETA) * g
        v *= th
        np.subtract(1.0, th, out=tmp)
        tmp *= g * g
        v += tmp
        np.sqrt(v, out=tmp2)
        np.divide(m, tmp2, out=tmp2)
        tmp2 *= a
        x -= tmp2
        np.clip(x, -1.0, 1.0, out=x)
        if t in ck:
            trace.append(x.copy())
    return time.perf_counter() - t0


def run_torch(prob, A, TH, ra, rt, steps, k=4, seed=0):
    import torch

    t0 = time.perf_counter()
    for c in range(k):
        p = torch.ones(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([p], lr=float(A[0, ra[c]]), betas=(BETA, float(TH[0, rt[c]])),
                               eps=EPS, foreach=False)
        group = opt.param_groups[0]
        for t in range(1, steps + 1):
            group["lr"] = float(A[t - 1, ra[c]])
            group["betas"] = (BETA, float(TH[t - 1, rt[c]]))
            g = prob.grad1(0.0, t, seed, prob.params)[1]
            p.grad = torch.tensor([g], dtype=torch.float64)
            opt.step()
            with torch.no_grad():
                p.clamp_(-1.0, 1.0)
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------- --problem mode
def _samples(prob, t, seed, k):
    from counterexamples.rng import uniform

    n = prob.data.shape[0]
    return [int(uniform(seed, t, j) * n) for j in range(k)]


def _logreg_forms(prob, xp):
    """(stochastic gradient at step t, full gradient) of logreg-nonconvex for X (N, d)."""
    a, y = xp.asarray(prob.data[:, :-1]), xp.asarray(prob.data[:, -1])
    lam, b, n = float(prob.params[0]), int(prob.params[1]), prob.data.shape[0]

    def reg(X):
        return lam * 2.0 * X / (1.0 + X * X) ** 2

    def grad(X, t, seed):
        idx = _samples(prob, t, seed, b)
        ab = a[idx]
        s = 1.0 / (1.0 + xp.exp(-(X @ ab.T))) - y[idx]
        return (s @ ab) / b + reg(X)

    def full(X):
        z = X @ a.T
        s = 1.0 / (1.0 + xp.exp(-z)) - y
        f = (xp.log1p(xp.exp(-abs(z))) + xp.maximum(z, 0 * z) - y * z).mean(axis=1)
        return (s @ a) / n + reg(X), f

    return grad, full


def _separable_forms(prob, xp):
    from counterexamples.rng import normal

    d, sigma = prob.dim, float(prob.params[1])

    def full(X):
        q = 1.0 + X * X
        return 2.0 * X / (q * q), (X * X / q).sum(axis=1)

    def grad(X, t, seed):
        z = xp.asarray(np.array([normal(seed, t, j) for j in range(d)]))
        return full(X)[0] + sigma * z

    return grad, full


BATCHED_FORMS = {"logreg-nonconvex": _logreg_forms, "nonconvex-separable": _separable_forms}


class _NP:
    asarray = staticmethod(lambda a: np.asarray(a, dtype=np.float64))
    exp, log1p, sqrt, maximum = np.exp, np.log1p, np.sqrt, np.maximum


def _torch_ns(torch):
    class _T:
        asarray = staticmethod(lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float64))
        exp, log1p, sqrt, maximum = torch.exp, torch.log1p, torch.sqrt, torch.maximum
    return _T


def batched_loop(prob, xp, A, TH, ra, rt, steps, grad_metrics, horizon, seed=0):
    """Generic Adam (v_0 = ε, no correction) on N configurations as array operations, with
    ``grad_metrics`` ∇f at every step, timed on ``steps`` steps; the engine's checkpoint metrics
    (f and ∇f of every configuration at the ~40 checkpoints of ``horizon`` steps) timed apart.
    Returns the seconds the loop would take for ``horizon`` steps with those checkpoints."""
    grad, full = BATCHED_FORMS[prob.name](prob, xp)
    N, d = ra.size, prob.dim
    X = xp.asarray(np.broadcast_to(prob.x0 if prob.x0 is not None else np.ones(d), (N, d)).copy())
    M = X * 0.0
    V = M + EPS
    Ac, Tc = xp.asarray(A[:steps][:, ra]), xp.asarray(TH[:steps][:, rt])
    g43 = xp.asarray(np.zeros(N))
    t0 = time.perf_counter()
    for t in range(1, steps + 1):
        G = grad(X, t, seed)
        if grad_metrics:
            gn2 = (full(X)[0] ** 2).sum(axis=1)
            g43 = g43 + gn2 ** (2.0 / 3.0)
        a, th = Ac[t - 1][:, None], Tc[t - 1][:, None]
        M = BETA * M + (1.0 - BETA) * G
        V = th * V + (1.0 - th) * (G * G)
        X = X - a * (M / xp.sqrt(V))
    per_step = (time.perf_counter() - t0) / steps
    t0 = time.perf_counter()
    for _ in range(3):
        gf, f = full(X)
        _ = ((gf * gf).sum(axis=1) ** 0.5, f, (X * X).sum(axis=1) ** 0.5)
    per_ck = (time.perf_counter() - t0) / 3
    return per_step * horizon + per_ck * default_checkpoints(horizon).size


def problem_main(args):
    prob = cx.get(args.problem)
    N, T = args.configs, args.steps
    side = int(np.ceil(np.sqrt(N)))
    t = np.arange(1, T + 1, dtype=np.float64)[:, None]
    s, r = np.linspace(0.05, 1.0, side), np.linspace(0.0, 1.0, side)
    A = np.ascontiguousarray(0.05 * t ** -s)
    TH = np.ascontiguousarray(1.0 - THETA * t ** -r)
    ra, rt = np.repeat(np.arange(side), side)[:N], np.tile(np.arange(side), side)[:N]
    B = np.full((T, 1), BETA)

    def engine(steps):
        return run_batch(prob, A[:steps], B[:steps], TH[:steps], alpha_row=ra, theta_row=rt,
                         eps=EPS, seeds=0, regret=False, grad_metrics=args.grad_metrics)

    t0 = time.perf_counter()
    engine(min(T, 8))
    compile_s = time.perf_counter() - t0
    best = min(engine(T).elapsed for _ in range(args.repeat))
    rate = N * T / best
    out = {"problem": prob.name, "dim": prob.dim, "configs": N, "steps": T,
           "grad_metrics": bool(args.grad_metrics), "threads": numba.get_num_threads(),
           "config_steps_per_s": rate, "engine_seconds": best, "compile_seconds": compile_s,
           "torch_batched_config_steps_per_s": None, "ratio_vs_torch_batched": None,
           "numpy_batched_config_steps_per_s": None, "torch_per_config_config_steps_per_s": None}
    if prob.name in BATCHED_FORMS:
        Tb = max(20, min(T, args.baseline_steps))
        rate_np = N * T / batched_loop(prob, _NP, A, TH, ra, rt, Tb, args.grad_metrics, T)
        out["numpy_batched_config_steps_per_s"] = rate_np
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None:
            torch.set_num_threads(numba.get_num_threads())
            tns = _torch_ns(torch)
            with torch.no_grad():
                secs = min(batched_loop(prob, tns, A, TH, ra, rt, Tb, args.grad_metrics, T)
                           for _ in range(2))
                rate_t = N * T / secs
                one = batched_loop(prob, tns, A, TH, ra[:1], rt[:1], Tb, args.grad_metrics, T)
            out.update(torch_batched_config_steps_per_s=rate_t,
                       ratio_vs_torch_batched=rate / rate_t,
                       torch_per_config_config_steps_per_s=T / one, baseline_steps=Tb,
                       torch_version=torch.__version__)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{prob.name} (d = {prob.dim}), {N} configurations, T = {T}, grad metrics "
              f"{'on' if args.grad_metrics else 'off'}, {out['threads']} threads")
        print(f"  engine         {rate:.3g} config-steps/s ({best:.2f} s; compile or load "
              f"{compile_s:.1f} s)")
        for key, label in (("torch_batched_config_steps_per_s", "torch batched"),
                           ("numpy_batched_config_steps_per_s", "numpy batched"),
                           ("torch_per_config_config_steps_per_s", "torch per config")):
            if out[key]:
                print(f"  {label:<14} {out[key]:.3g} config-steps/s -> engine "
                      f"{rate / out[key]:.3g}x")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=128)
    ap.add_argument("--steps", type=int, default=None,
                    help="T (default 100000; 2000 with --problem)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--problem", help="a catalog problem (the --problem mode)")
    ap.add_argument("--configs", type=int, default=1024)
    ap.add_argument("--grad-metrics", action="store_true")
    ap.add_argument("--no-c", action="store_true", help="skip the C baseline")
    ap.add_argument("--c-only", action="store_true",
                    help="default mode: the engine and the C baseline only (online problem)")
    ap.add_argument("--baseline-steps", type=int, default=200,
                    help="steps the baselines are timed on (--problem mode)")
    args = ap.parse_args(argv)
    if args.problem:
        args.steps = args.steps or 2000
        return problem_main(args)
    args.steps = args.steps or 100_000
    tmp = tempfile.TemporaryDirectory(prefix="adamtheory-bench-c-")
    N, T = args.grid, args.steps
    online = cx.get("reddi-sec5-online")
    stoch = cx.get("reddi-sec5-stochastic")
    threads = numba.get_num_threads()
    A, TH, ra, rt = grid_tables(N, T)
    work = ra.size * T

    t0 = time.perf_counter()
    run_engine(online, A[:16], TH[:16], ra, rt)
    compile_online = time.perf_counter() - t0

    # engine and C runs interleaved, so that a load on the shared machine hits both alike
    cfn, c_skip = (None, "--no-c") if args.no_c else build_c(tmp.name)
    if cfn is None:
        print(f"C baseline skipped: {c_skip}", file=sys.stderr)
    eng_s, c_s, cc_s, c_same = [], [], [], None
    for _ in range(args.repeat):
        res = run_engine(online, A, TH, ra, rt)
        eng_s.append(res.elapsed)
        if cfn is not None:
            for checks, acc in ((0, c_s), (1, cc_s)):
                secs, xck, xfin, stop = run_c(cfn, online, A, TH, checks, threads)
                acc.append(secs)
                same_c = (np.array_equal(xck, res.x) and np.array_equal(xfin, res.x_final[:, 0])
                          and np.array_equal(stop, res.stop_step))
                c_same = same_c if c_same is None else (c_same and same_c)
    tmp.cleanup()
    best = min(eng_s)
    rate = work / best
    c_rate = work / min(c_s) if c_s else None
    out = {
        "grid": N, "steps": T, "configs": int(ra.size), "threads": threads,
        "config_steps_per_s": rate,
        "config_steps_per_s_median": work / float(np.median(eng_s)),
        "c_config_steps_per_s": c_rate,
        "c_config_steps_per_s_median": work / float(np.median(c_s)) if c_s else None,
        "ratio_vs_c": rate / c_rate if c_rate else None,
        "ratio_vs_c_median": float(np.median(np.array(c_s) / np.array(eng_s))) if c_s else None,
        "c_checked_config_steps_per_s": work / min(cc_s) if cc_s else None,
        "c_checked_config_steps_per_s_median": work / float(np.median(cc_s)) if cc_s else None,
        "c_same_iterates": c_same, "c_skipped": c_skip, "c_flags": " ".join(C_FLAGS),
        "repeats": args.repeat, "engine_seconds": best, "compile_seconds": compile_online,
        "engine_flags": {k: int(np.count_nonzero(res.flag == f)) for f, k in
                         ((0, "ok"), (1, "nan"), (2, "overflow"))},
    }
    if not args.c_only:
        out.update(_other_contenders(online, stoch, A, TH, ra, rt, T, args.repeat, rate))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"Reddi Sec 5 online, {N}x{N} grid (s, r), T = {T}, {out['threads']} threads")
        print(f"  engine      {rate:.3g} config-steps/s (best of {args.repeat}, {best:.2f} s; median "
              f"{out['config_steps_per_s_median']:.3g}; compile {compile_online:.1f} s)")
        if c_rate:
            print(f"  C (gcc)     {c_rate:.3g} config-steps/s (median "
                  f"{out['c_config_steps_per_s_median']:.3g})  -> engine/C "
                  f"{out['ratio_vs_c']:.3f} (median of pairs {out['ratio_vs_c_median']:.3f}); "
                  f"bitwise equal iterates: {c_same}")
            print(f"  C + checks  {out['c_checked_config_steps_per_s']:.3g} config-steps/s "
                  "(the engine's divergence test in the C loop)")
        else:
            print(f"  C (gcc)     skipped: {c_skip}")
        if not args.c_only:
            print(f"  constant-period oracle {out['const_period_oracle_config_steps_per_s']:.3g}"
                  " config-steps/s (identical trajectories: "
                  f"{out['const_period_oracle_same_trajectories']}; compile "
                  f"{out['const_period_compile_seconds']:.1f} s)")
            print(f"  stochastic  {out['stochastic_config_steps_per_s']:.3g} config-steps/s "
                  f"({out['stochastic_engine_seconds']:.2f} s; compile "
                  f"{out['stochastic_compile_seconds']:.1f} s)")
            print(f"  numpy       {out['numpy_config_steps_per_s']:.3g} config-steps/s  -> "
                  f"speedup {out['speedup_vs_numpy']:.1f}x")
            print(f"  torch       {out['torch_config_steps_per_s']:.3g} config-steps/s  -> "
                  f"speedup {out['speedup_vs_torch']:.3g}x")
    return out


def _other_contenders(online, stoch, A, TH, ra, rt, T, repeat, rate):
    """The constant-period oracle, the stochastic problem, numpy and torch (default mode)."""
    work = ra.size * T
    t0 = time.perf_counter()
    run_engine(stoch, A[:16], TH[:16], ra, rt)
    compile_stoch = time.perf_counter() - t0
    const = const_period_online(online)
    t0 = time.perf_counter()
    run_engine(const, A[:16], TH[:16], ra, rt)
    compile_const = time.perf_counter() - t0
    best_c = min(run_engine(const, A, TH, ra, rt).elapsed for _ in range(repeat))
    check = run_engine(online, A[:2000], TH[:2000], ra, rt)
    same = bool(np.array_equal(check.x, run_engine(const, A[:2000], TH[:2000], ra, rt).x))
    best_s = min(run_engine(stoch, A, TH, ra, rt).elapsed for _ in range(repeat))
    Tn = min(T, 2000)
    rate_np = ra.size * Tn / min(run_numpy(online, A, TH, ra, rt, Tn) for _ in range(2))
    k = 4
    rate_t = k * Tn / run_torch(online, A, TH, ra, rt, Tn, k=k)
    return {
        "stochastic_config_steps_per_s": work / best_s,
        "const_period_oracle_config_steps_per_s": work / best_c,
        "const_period_oracle_same_trajectories": same,
        "const_period_oracle_speedup_vs_numpy": work / best_c / rate_np,
        "stochastic_engine_seconds": best_s,
        "numpy_config_steps_per_s": rate_np, "torch_config_steps_per_s": rate_t,
        "speedup_vs_numpy": rate / rate_np, "speedup_vs_torch": rate / rate_t,
        "stochastic_compile_seconds": compile_stoch, "const_period_compile_seconds": compile_const,
        "numpy_steps_timed": Tn, "torch_configs_timed": k, "torch_steps_timed": Tn,
    }


if __name__ == "__main__":
    main()
