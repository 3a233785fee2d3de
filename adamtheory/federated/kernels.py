"""The numba kernel of the federated simulator: all algorithms, all configurations, one call.

Layout (see :mod:`.simulator` for the Python side): a bank ``X`` (rows, p) of feature rows and
``yb`` (rows,) of targets (least squares) or labels (multinomial logistic regression); configuration
q owns the rows ``rows[q, offsets[q, i]:offsets[q, i+1]]`` for its client i. Hyperparameters are
float64 data (one row of ``hyper`` per configuration), never compile-time constants, so one
compile serves every setting.

Random numbers are counter based (:mod:`counterexamples.rng`): the clients of round r are a
partial Fisher-Yates shuffle driven by ``uniform(seed, SAMPLE_T + r, j)``, and sample b of local
step k of client i in round r is row ``⌊n_i · uniform(seed, r·K + k, i·B + b)⌋`` of that client.
A configuration's numbers depend on its own settings and seed only.

Adam steps are the engine's one update (:func:`adamtheory.engine.update.adam_update`), per
coordinate, without bias correction (c1 = c2 = 1):

- FedLADA / local Adam on client i (local step k, gradient g, amendment weight a; a = 1 for
  local Adam): ``m = β1 m + (1-β1) g``, ``v = β2 v + (1-β2) g²``, ``V = max(V, v)`` (AMSGrad,
  torch's max), ``y ← y - η_l (a (m / sqrt(V)) + (1-a) g_a)``: eps_mode v0 and amsgrad torch with
  α = a, ε entering only through v_0 = V_0 = ε² (or the server's carried average of V);
- FedAdam on the server (pseudo-gradient Δ = ȳ - x): ``m = β1 m + (1-β1) Δ``,
  ``v = β2 v + (1-β2) Δ²``, ``x ← x + η_g (m / (sqrt(v) + ε))``: eps_mode torch, no AMSGrad,
  α = η_g, v_0 = ε² (Reddi et al.'s τ = ε).

Evaluation order: the update computes ``(1-β2) (g g)`` and ``a (m / sqrt(V))``; before the shared
update this kernel computed ``((1-β2) g) g`` and ``(a m) / sqrt(V)``, so the Adam-based algorithms
(FedAdam, local Adam, FedLADA) changed at the level of one rounding per operation (measured when
the kernel switched: relative differences of 1e-16 to 5e-16 in loss, gradient norm and drift
after 12 rounds); FedAvg, FedCM and SCAFFOLD are unchanged bit for bit.

Why not the ``Problem`` contract of :mod:`counterexamples`: a problem there is one stochastic
oracle ``grad(x, t, seed, params, data, g)`` drawing samples by (seed, t). A federated problem is
a family of M client objectives f_i (global f = (1/M) Σ f_i) on a data partition that is itself
drawn per configuration (Dirichlet label skew by seed and α; synthetic clients per seed), the
oracle must know the client i and its local step k (samples ``(seed, r·K + k, i·B + b)``), and
the metrics need the global objective over each configuration's own partition. Expressing that through the contract means a per-configuration ``data`` array and
client index smuggled into ``params``, and a kernel compiled per oracle closure; instead the two
federated problems (least squares, multinomial logistic regression) are a ``kind`` code read as
data, so one compiled kernel serves every problem, partition and setting.

Compile once: this module is the *source* of the kernel, not what runs. The simulator calls the
copy of it that :mod:`adamtheory.engine.cache` writes into the kernel cache (template
:data:`adamtheory.federated.simulator.KERNELS`, nothing bound, ``CACHE = True`` there), so that
numba's disk cache applies: the kernel compiles once per machine and later processes load it.
Hence the absolute imports (the copy lives outside the package).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from adamtheory.engine.codes import AMS_NONE, AMS_TORCH, EPS_TORCH, EPS_V0
from adamtheory.engine.update import adam_update
from adamtheory.federated.settings import ALGORITHMS  # noqa: F401 - the codes' names
from counterexamples.rng import uniform

#: numba's disk cache for ``run_configs``; True in the copy in the kernel cache
CACHE = False

FEDAVG, FEDADAM, LOCAL_ADAM, FEDCM, SCAFFOLD, FEDLADA = range(6)
LSQ, LOGREG = 0, 1
#: columns of ``hyper``
H_LRL, H_LRG, H_A, H_B1, H_B2, H_EPS, H_TARGET, H_L2, H_LINSCALE, H_CARRYV = range(10)
N_HYPER = 10
#: rows of the metrics output
METRIC_NAMES = ("loss", "gap", "gnorm", "accuracy", "drift")
FINAL_NAMES = ("rounds_to_target", "mean_drift")
SAMPLE_T = np.int64(1) << np.int64(40)


@njit(inline="always", error_model="numpy")
def logits(X, row, w, C, p, z):
    """z_c = Σ_j w[c p + j] X[row, j] for c < C, each sum added in order of j: the bits of one
    class at a time, computed four classes at a time (four independent chains of additions
    instead of one)."""
    c = 0
    while c + 4 <= C:
        s0 = s1 = s2 = s3 = 0.0
        o0, o1, o2, o3 = c * p, (c + 1) * p, (c + 2) * p, (c + 3) * p
        for j in range(p):
            xj = X[row, j]
            s0 += w[o0 + j] * xj
            s1 += w[o1 + j] * xj
            s2 += w[o2 + j] * xj
            s3 += w[o3 + j] * xj
        z[c], z[c + 1], z[c + 2], z[c + 3] = s0, s1, s2, s3
        c += 4
    while c < C:
        s0 = 0.0
        for j in range(p):
            s0 += w[c * p + j] * X[row, j]
        z[c] = s0
        c += 1


@njit(error_model="numpy")
def _add_grad(kind, X, yb, row, w, C, p, g, scale, z):
    """Add scale·∇ℓ_row(w) to g; return (ℓ_row(w), 1.0 if classified correctly else 0.0)."""
    if kind == LSQ:
        r = -yb[row]
        for j in range(p):
            r += X[row, j] * w[j]
        for j in range(p):
            g[j] += scale * r * X[row, j]
        return 0.5 * r * r, np.nan
    lab = int(yb[row])
    logits(X, row, w, C, p, z)
    mx = -np.inf
    arg = 0
    for c in range(C):
        if z[c] > mx:
            mx = z[c]
            arg = c
    tot = 0.0
    for c in range(C):
        z[c] = np.exp(z[c] - mx)
        tot += z[c]
    for c in range(C):
        coef = scale * (z[c] / tot - (1.0 if c == lab else 0.0))
        for j in range(p):
            g[c * p + j] += coef * X[row, j]
    loss = np.log(tot) + mx - (np.log(z[lab]) + mx)
    return loss, 1.0 if arg == lab else 0.0


@njit(error_model="numpy")
def _full(kind, X, yb, rows_q, off_q, M, w, C, p, l2, g, z):
    """Global f(w) = (1/M) Σ_i f_i(w) + λ/2‖w‖², ∇f into g, and pooled accuracy."""
    d = w.size
    for j in range(d):
        g[j] = l2 * w[j]
    f = 0.0
    correct = 0.0
    for i in range(M):
        lo = off_q[i]
        ni = off_q[i + 1] - lo
        sc = 1.0 / (ni * M)
        fi = 0.0
        for s in range(ni):
            li, ok = _add_grad(kind, X, yb, rows_q[lo + s], w, C, p, g, sc, z)
            fi += li
            correct += ok
        f += fi * sc
    ww = 0.0
    gg = 0.0
    for j in range(d):
        ww += w[j] * w[j]
        gg += g[j] * g[j]
    return f + 0.5 * l2 * ww, np.sqrt(gg), correct / off_q[M]


@njit(error_model="numpy")
def _local_grad(kind, X, yb, rows_q, lo, ni, B, w, C, p, l2, g, z, seed, t, base):
    d = w.size
    for j in range(d):
        g[j] = l2 * w[j]
    if B == 0:
        sc = 1.0 / ni
        for s in range(ni):
            _add_grad(kind, X, yb, rows_q[lo + s], w, C, p, g, sc, z)
    else:
        sc = 1.0 / B
        for b in range(B):
            k = int(ni * uniform(seed, t, base + b))
            if k >= ni:
                k = ni - 1
            _add_grad(kind, X, yb, rows_q[lo + k], w, C, p, g, sc, z)


@njit(error_model="numpy", cache=CACHE, parallel=True)
def run_configs(kind, X, yb, C, rows, offsets, Ms, algo, Ss, Ks, Bs, hyper, fstar, seeds,
                rounds, ck, metrics, finals):
    """Run every configuration for ``rounds`` rounds; fill metrics (n, 5, n_ck) and finals (n, 2).

    Metrics at checkpoint rounds: loss f(x), gap f(x) - f*, ‖∇f(x)‖, accuracy, drift of that
    round (1/S) Σ_j ‖y_j - ȳ‖. Finals: first round with error <= target (error = gap if f* is
    finite, else loss; NaN if never; target = +inf: not measured) and the mean drift over all
    rounds. The global objective is evaluated every round until the target is met, then at the
    checkpoints only (with target = +inf, at the checkpoints only).
    A configuration whose loss is found non-finite where it is evaluated stops; its later metrics
    are NaN.
    """
    n_cfg = algo.size
    p = X.shape[1]
    d = p if kind == LSQ else p * C
    for q in prange(n_cfg):  # configurations in parallel: each touches only its own state
        z = np.empty(max(C, 1))
        M, S, K, B, seed, al = Ms[q], Ss[q], Ks[q], Bs[q], seeds[q], algo[q]
        lrl, lrg, a = hyper[q, H_LRL], hyper[q, H_LRG], hyper[q, H_A]
        b1, b2, eps = hyper[q, H_B1], hyper[q, H_B2], hyper[q, H_EPS]
        target, l2 = hyper[q, H_TARGET], hyper[q, H_L2]
        etag = lrg * S if hyper[q, H_LINSCALE] != 0.0 else lrg
        carry = hyper[q, H_CARRYV] != 0.0
        if al == LOCAL_ADAM:
            a = 1.0
        rows_q = rows[q]
        off_q = offsets[q]
        x = np.zeros(d)
        sm = np.zeros(d)
        sv = np.full(d, eps * eps)
        ga = np.zeros(d)
        c = np.zeros(d)
        ci = np.zeros((M if al == SCAFFOLD else 1, d))
        Y = np.empty((S, d))
        Vh = np.empty((S, d))
        dcs = np.zeros(d)
        perm = np.empty(M, dtype=np.int64)
        y = np.empty(d)
        g = np.empty(d)
        m = np.empty(d)
        vi = np.empty(d)
        vh = np.empty(d)
        ybar = np.empty(d)
        gf = np.empty(d)
        kc = 0
        hit = np.nan
        dsum = 0.0
        alive = True
        for r in range(rounds):
            for i in range(M):
                perm[i] = i
            for j in range(S):
                kk = j + int((M - j) * uniform(seed, SAMPLE_T + r, j))
                if kk >= M:
                    kk = M - 1
                tmp = perm[j]
                perm[j] = perm[kk]
                perm[kk] = tmp
            for j in range(d):
                dcs[j] = 0.0
            for jj in range(S):
                cid = perm[jj]
                lo = off_q[cid]
                ni = off_q[cid + 1] - lo
                for j in range(d):
                    y[j] = x[j]
                    m[j] = 0.0
                    vi[j] = sv[j]
                    vh[j] = sv[j]
                for k in range(K):
                    _local_grad(kind, X, yb, rows_q, lo, ni, B, y, C, p, l2, g, z, seed,
                                r * K + k, cid * B)
                    if al == FEDAVG or al == FEDADAM:
                        for j in range(d):
                            y[j] -= lrl * g[j]
                    elif al == FEDCM:
                        for j in range(d):
                            y[j] -= lrl * (a * g[j] + (1.0 - a) * ga[j])
                    elif al == SCAFFOLD:
                        for j in range(d):
                            y[j] -= lrl * (g[j] - ci[cid, j] + c[j])
                    else:  # FEDLADA, LOCAL_ADAM (a = 1): AMSGrad (torch max), v_0 = ε²
                        for j in range(d):
                            m[j], vi[j], vh[j], step = adam_update(
                                g[j], m[j], vi[j], vh[j], a, b1, b2, 1.0, 1.0, EPS_V0,
                                AMS_TORCH, 0.0, 0.0)
                            y[j] -= lrl * (step + (1.0 - a) * ga[j])
                for j in range(d):
                    Y[jj, j] = y[j]
                    Vh[jj, j] = vh[j]
                if al == SCAFFOLD:
                    for j in range(d):
                        dc = -c[j] + (x[j] - y[j]) / (K * lrl)
                        ci[cid, j] += dc
                        dcs[j] += dc
            # server
            for j in range(d):
                s = 0.0
                for jj in range(S):
                    s += Y[jj, j]
                ybar[j] = s / S
            drift = 0.0
            for jj in range(S):
                s = 0.0
                for j in range(d):
                    e = Y[jj, j] - ybar[j]
                    s += e * e
                drift += np.sqrt(s)
            drift /= S
            dsum += drift
            if al == FEDADAM:  # Adam on the pseudo-gradient ȳ - x, ε outside the root
                for j in range(d):
                    sm[j], sv[j], _, step = adam_update(
                        ybar[j] - x[j], sm[j], sv[j], sv[j], etag, b1, b2, 1.0, 1.0, EPS_TORCH,
                        AMS_NONE, eps, 0.0)
                    x[j] += step
            else:
                for j in range(d):
                    ga[j] = (x[j] - ybar[j]) / (lrl * K)
                    x[j] += etag * (ybar[j] - x[j])
                if (al == FEDLADA or al == LOCAL_ADAM) and carry:
                    for j in range(d):
                        s = 0.0
                        for jj in range(S):
                            s += Vh[jj, j]
                        sv[j] = s / S
                if al == SCAFFOLD:
                    for j in range(d):
                        c[j] += dcs[j] / M
            at_ck = kc < ck.size and r + 1 == ck[kc]
            if at_ck or (np.isfinite(target) and np.isnan(hit)):
                f, gn, acc = _full(kind, X, yb, rows_q, off_q, M, x, C, p, l2, gf, z)
                if kind == LSQ:
                    acc = np.nan
                err = f - fstar[q] if np.isfinite(fstar[q]) else f
                if np.isnan(hit) and err <= target:
                    hit = r + 1.0
                if at_ck:
                    metrics[q, 0, kc] = f
                    metrics[q, 1, kc] = f - fstar[q]
                    metrics[q, 2, kc] = gn
                    metrics[q, 3, kc] = acc
                    metrics[q, 4, kc] = drift
                    kc += 1
                if not np.isfinite(f):
                    alive = False
                    break
        if not alive:
            for k2 in range(kc, ck.size):
                for i2 in range(5):
                    metrics[q, i2, k2] = np.nan
            dsum = np.nan
        finals[q, 0] = hit
        finals[q, 1] = dsum / rounds
