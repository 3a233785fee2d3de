"""Client data for the federated simulator: the digits data with Dirichlet label skew, and
synthetic heterogeneous least squares with known per-client and global optima.

Dirichlet label skew (Hsu, Qi, Brown 2019, per-client variant)
    Client i draws class proportions q_i ~ Dir(α·1_C) and receives n_i = ⌊N/M⌋ (+1 for the first
    N mod M clients) samples: each slot takes the next unused sample of a class drawn from q_i,
    renormalised over the classes that still have samples. α → 0 gives one class per client,
    α → ∞ the IID split. **α = 0 means IID** (a random permutation cut into equal parts): the
    concentration itself must be positive, so 0 is free to name the limit.

Synthetic heterogeneous least squares
    Client i has f_i(x) = ½‖A_i x - b_i‖²/n with A_i ∈ R^{n×d} standard normal,
    b_i = A_i x_i* + σ ε_i, x_i* = x_c + ζ u_i (x_c, u_i standard normal in R^d). The global
    objective f = (1/M) Σ_i f_i (+ λ/2 ‖x‖²) is minimised by
    x* = (H + λI)^{-1} r with H = (1/M) Σ A_iᵀA_i/n and r = (1/M) Σ A_iᵀ b_i/n, so the error
    f(x) - f(x*) and the drift are exact. ζ = 0 gives identical optima (drift from sampling only).

Every partition and every synthetic problem is a pure function of its parameters and the seed,
so results do not depend on how configurations are grouped.

Example
-------
>>> from adamtheory.federated.data import dirichlet_partition, digits
>>> X, y = digits()
>>> rows, offsets = dirichlet_partition(y, 20, 0.1, seed=0)
>>> int(offsets[-1]), len(offsets)
(1797, 21)
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import numpy as np

from ..errors import InputError

DATA_DIR = Path(__file__).with_name("data")
_DIGITS = DATA_DIR / "digits.csv.gz"
_DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
N_CLASSES = 10


@functools.cache
def _digits_table() -> tuple:
    from counterexamples import read_verified_lines

    table = np.loadtxt(read_verified_lines(_DIGITS, _DIGITS_SHA256, InputError), delimiter=",")
    X = np.empty((table.shape[0], 65))
    X[:, :64] = table[:, :64] / 16.0
    X[:, 64] = 1.0
    y = table[:, 64].astype(np.float64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI optical digits (8x8): features/16 with a bias column, shape (1797, 65), and the
    labels 0..9 as float64, shape (1797,). Read-only arrays (see data/README.md for the licence)."""
    return _digits_table()


def _fbits(v: float) -> int:
    return struct.unpack("<q", struct.pack("<d", float(v)))[0] & 0x7FFFFFFFFFFFFFFF


def _rng(tag: int, seed: int, *params) -> np.random.Generator:
    ints = [tag, int(seed) & 0xFFFFFFFFFFFFFFFF]
    ints += [_fbits(p) if isinstance(p, float) else int(p) for p in params]
    return np.random.default_rng(ints)


@functools.lru_cache(maxsize=256)
def _partition(labels_key: bytes, M: int, alpha: float, seed: int) -> tuple:
    y = np.frombuffer(labels_key, dtype=np.float64).astype(np.int64)
    N = y.size
    rng = _rng(11, seed, M, float(alpha))
    sizes = np.full(M, N // M, dtype=np.int64)
    sizes[: N % M] += 1
    offsets = np.zeros(M + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)
    if alpha == 0.0:
        rows = rng.permutation(N).astype(np.int64)
    else:
        C = int(y.max()) + 1
        pools = [rng.permutation(np.flatnonzero(y == c)) for c in range(C)]
        nxt = np.zeros(C, dtype=np.int64)
        left = np.array([p.size for p in pools], dtype=np.int64)
        rows = np.empty(N, dtype=np.int64)
        q = rng.dirichlet(np.full(C, float(alpha)), size=M)
        u = rng.random(N)
        pos = 0
        for i in range(M):
            for _ in range(sizes[i]):
                w = q[i] * (left > 0)
                tot = w.sum()
                if not tot > 0:  # all of this client's classes are used up: uniform over the rest
                    w = (left > 0).astype(np.float64)
                    tot = w.sum()
                c = min(int(np.searchsorted(np.cumsum(w), u[pos] * tot, side="right")), C - 1)
                while left[c] == 0:  # guard against rounding at the edge of the cumsum
                    c = (c + 1) % C
                rows[pos] = pools[c][nxt[c]]
                nxt[c] += 1
                left[c] -= 1
                pos += 1
    rows.setflags(write=False)
    offsets.setflags(write=False)
    return rows, offsets


def dirichlet_partition(labels: np.ndarray, M: int, alpha: float, seed: int):
    """Split the samples over M clients with Dirichlet(α) label skew (α = 0: IID).

    Returns ``rows`` (a permutation of range(N): client i owns rows[offsets[i]:offsets[i+1]])
    and ``offsets`` (M + 1,). Client sizes differ by at most one.
    """
    labels = np.ascontiguousarray(labels, dtype=np.float64)
    if not 1 <= M <= labels.size // 2:
        raise InputError(f"M = {M} clients cannot share {labels.size} samples; give 1 <= M <= "
                         f"{labels.size // 2} (at least two samples per client)")
    if not (alpha >= 0 and np.isfinite(alpha)):
        raise InputError(f"alpha = {alpha} is not a Dirichlet concentration; give alpha > 0, "
                         "or 0 for the IID split")
    return _partition(labels.tobytes(), int(M), float(alpha), int(seed))


def label_skew(labels: np.ndarray, rows: np.ndarray, offsets: np.ndarray) -> float:
    """Mean total-variation distance between the clients' label distributions and the global one
    (0 for a perfectly IID split, near 1 - 1/C for one class per client)."""
    y = np.asarray(labels, dtype=np.int64)
    C = int(y.max()) + 1
    glob = np.bincount(y, minlength=C) / y.size
    tv = [0.5 * np.abs(np.bincount(y[rows[a:b]], minlength=C) / (b - a) - glob).sum()
          for a, b in zip(offsets[:-1], offsets[1:])]
    return float(np.mean(tv))


@functools.lru_cache(maxsize=256)
def _lsq(M: int, n: int, d: int, zeta: float, noise: float, l2: float, seed: int) -> tuple:
    rng = _rng(12, seed, M, n, d, float(zeta), float(noise))
    xc = rng.standard_normal(d)
    A = rng.standard_normal((M, n, d))
    xi = xc + zeta * rng.standard_normal((M, d))
    b = np.einsum("mnd,md->mn", A, xi) + noise * rng.standard_normal((M, n))
    H = np.einsum("mnd,mne->de", A, A) / (M * n)
    r = np.einsum("mnd,mn->d", A, b) / (M * n)
    xstar = np.linalg.solve(H + l2 * np.eye(d), r)
    res = np.einsum("mnd,d->mn", A, xstar) - b
    fstar = 0.5 * float((res ** 2).sum()) / (M * n) + 0.5 * l2 * float(xstar @ xstar)
    out = (A.reshape(M * n, d), b.reshape(M * n), xi, xstar, fstar)
    for a in out[:4]:
        a.setflags(write=False)
    return out


def heterogeneous_lsq(M: int, n: int, d: int, zeta: float, noise: float, seed: int,
                      l2: float = 0.0) -> dict:
    """The synthetic heterogeneous least-squares problem (module docstring).

    Returns a dict with ``A`` (M·n, d) (client i owns rows i·n .. (i+1)·n - 1), ``b`` (M·n,),
    ``client_optima`` (M, d) (the x_i* used to make b; client i's own minimiser differs from it
    by the noise), ``xstar`` (d,) and ``fstar`` (the global minimiser and minimum).

    >>> p = heterogeneous_lsq(4, 10, 3, zeta=1.0, noise=0.0, seed=0)
    >>> p["A"].shape, p["xstar"].shape
    ((40, 3), (3,))
    """
    if M < 1 or n < 1 or d < 1:
        raise InputError(f"least squares needs M, n_local, dim >= 1; got {M}, {n}, {d}")
    if not (zeta >= 0 and noise >= 0 and l2 >= 0):
        raise InputError("zeta, noise and l2 of least squares must be >= 0")
    A, b, xi, xstar, fstar = _lsq(int(M), int(n), int(d), float(zeta), float(noise), float(l2),
                                  int(seed))
    return {"A": A, "b": b, "client_optima": xi, "xstar": xstar, "fstar": fstar}
