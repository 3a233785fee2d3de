r"""Message compressors with a declared contraction factor and an exact bit cost.

A compressor Q maps a message x ∈ R^d (float64) to Q(x), the value the receiver decodes. Each
one declares

* its **contraction factor** δ in E||Q(x) - x||² ≤ (1 - δ) ||x||² (Karimireddy et al. 2019,
  Stich et al. 2018), or, for an unbiased randomized one, a **variance bound** ω in
  E Q(x) = x, E||Q(x) - x||² ≤ ω ||x||² (Alistarh et al. 2017, QSGD);
* the **exact number of bits** of one message of dimension d, for the encoding implemented in
  :func:`encode` (tests decode every encoding and compare its length with :meth:`Compressor.bits`).

Every float inside a compressed message is an IEEE float32 (32 bits) and is rounded to float32
before the receiver uses it, so the accounting is honest. That costs a relative error of at most
u = 2^-24 per transmitted float, which the declared factors include.

==============  ===============================  ==============================================
name            Q(x)                             δ (or ω) and bits for dimension d
==============  ===============================  ==============================================
``identity64``  x                                δ = 1; 64 d
``identity32``  fl32(x) (float32 cast)           δ = 1 - 2^-48 (normal float32 range); 32 d
``fp16``        fl16(x) (IEEE half)              δ = 1 - 2^-22 (normal half range); 16 d
``bf16``        bfloat16(x)                      δ = 1 - 2^-16 (normal range); 16 d
``sign``        sign(x), sign(0) := +1           no δ (not a contraction, not scale-aware); d
``scaled_sign`` fl32(||x||_1/d) sign(x)          δ(x) = (1 - 2^-46) ||x||_1²/(d ||x||²) ≥
                                                 (1 - 2^-46)/d; d + 32
``topk``        the k largest |x_i| (ties: lower δ = (1 - 2^-48) k/d; k (32 + ⌈log2 d⌉)
                index first), values fl32
``randk``       k coordinates uniformly without  δ = (1 - 2^-48) k/d in expectation; 32 k (the
                replacement (shared seed), fl32  index set comes from the shared counter-based
                                                 generator, so no index is sent)
``qsgd``        r sign(x_i) ξ_i / s, r ≥ ||x||    unbiased; ω = min(d/(4 s²), √d/s)(1 + 2^-21)²;
                a float32 (rounded up), ξ_i ∈     32 + d (1 + ⌈log2(s + 1)⌉)
                {⌊s|x_i|/r⌋, +1}, E ξ_i = s|x_i|/r
==============  ===============================  ==============================================

Derivations (exact arithmetic; η denotes a float32 rounding error, |η| ≤ 2^-24):

* scaled sign: with c = c_0 (1 + η), c_0 = ||x||_1/d and s_i x_i = |x_i| (also for x_i = 0),
  ||c s - x||² = ||x||² - 2 c ||x||_1 + d c² = ||x||² - (||x||_1²/d)(1 - η²). The float64 sum
  adds a relative error ≤ d 2^-53, so |η| ≤ 2^-23 for d ≤ 2^20 and 1 - η² ≥ 1 - 2^-46.
* top-k / rand-k: with K = Σ_kept x_i², ||Q - x||² = (||x||² - K) + Σ_kept η_i² x_i²
  ≤ ||x||² - (1 - 2^-48) K, and K ≥ (k/d)||x||² (top-k) or E K = (k/d)||x||² (rand-k).
* casts: round to nearest with p significant bits has |fl(x) - x| ≤ 2^-p |x| in the normal range.
* QSGD: Var ξ_i = p_i (1 - p_i) ≤ min(1/4, s|x_i|/r), so E||Q - x||² ≤ (r/s)² Σ min(1/4, s|x_i|/r)
  ≤ min(d r²/(4 s²), √d r ||x||/s), and r ≤ (1 + 2^-21)||x||.

Examples
--------
>>> import numpy as np
>>> from adamtheory.distributed.compressors import get
>>> q = get("scaled_sign")
>>> q.apply(np.array([3.0, -1.0, 0.0, 2.0]))
array([ 1.5, -1.5,  1.5,  1.5])
>>> q.bits(4), get("topk", k=2).bits(100), get("identity32").bits(10)
(36, 78, 320)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from adamtheory.distributed.settings import COMPRESSORS
from adamtheory.engine.cache import Template, compiled
from counterexamples.rng import mix as _mix
from counterexamples.rng import uniform

# This module is also a kernel template (:class:`adamtheory.engine.cache.Template`): the entry
# functions called from Python (:meth:`Compressor.apply`, :meth:`Compressor.bits`, the torch
# path) load from the kernel cache through :func:`kernel`, compiled once per machine. Inside the
# simulators' kernels the same functions are compiled into those kernels' own cache entries.
CACHE = False
#: the entry functions of this module that Python calls (see :func:`kernel`)
CODEC = Template("adamtheory.distributed.compressors",
                 ("compress", "message_bits", "compressor_seed", "stream_of", "shared_uniform",
                  "qsgd_radius"))


_DISPATCH: dict = {}


def _arg_kind(a):
    if isinstance(a, np.ndarray):
        return (a.dtype.str, a.ndim, a.flags.c_contiguous, a.flags.writeable)
    return type(a)


def kernel(name: str, *args):
    """Call the entry function ``name`` of :data:`CODEC` (loaded from the kernel cache, or
    compiled and cached once for these argument types).

    The dispatcher is remembered per name and argument kinds (type; dtype, rank, layout and
    writability of arrays: what selects numba's signature), so a call costs about one numba
    call.
    """
    key = (name, tuple(_arg_kind(a) for a in args))
    fn = _DISPATCH.get(key)
    if fn is None:
        fn = _DISPATCH[key] = compiled(CODEC, (), name, args, f"the compressors ({name})")
    return fn(*args)

# integer codes (the kernels receive them as data)
IDENTITY64, IDENTITY32, FP16, BF16, SIGN, SCALED_SIGN, TOPK, RANDK, QSGD = range(9)
NAMES = COMPRESSORS
CODES = {n: i for i, n in enumerate(NAMES)}

#: (significant bits p, minimum normal exponent, largest finite value) of the float formats
FORMATS = {
    "float32": (24, -126, (2.0 - 2.0 ** -23) * 2.0 ** 127),
    "float16": (11, -14, 65504.0),
    "bfloat16": (8, -126, (2.0 - 2.0 ** -7) * 2.0 ** 127),
}


# ------------------------------------------------------------------------------- numba kernels
@njit(inline="always")
def round_bits(x, p, emin, fmax):
    """x rounded to nearest (ties to even) with ``p`` significant bits, exponent ≥ ``emin``
    (gradual underflow below it) and overflow to ±inf above ``fmax`` (IEEE 754)."""
    if x == 0.0 or not math.isfinite(x):
        return x
    e = math.frexp(x)[1] - 1              # 2^e <= |x| < 2^(e+1)
    if e < emin:
        e = emin
    q = math.ldexp(1.0, e - (p - 1))      # spacing of the format at x
    y = np.rint(x / q) * q
    if abs(y) > fmax:
        return math.inf if y > 0 else -math.inf
    return y


@njit(inline="always")
def fl32(x):
    """x rounded to the nearest float32 (as float64)."""
    return round_bits(x, 24, -126, 3.4028234663852886e38)


@njit(inline="always")
def fl32_up(v):
    """A float32 value r with v <= r <= v (1 + 2^-21), for v >= 0."""
    y = fl32(v)
    if y < v:
        y = fl32(y * (1.0 + 2.0 ** -22))
    return y


@njit
def _ceil_log2(n):
    b = 0
    while (1 << b) < n:
        b += 1
    return b


@njit(cache=CACHE)
def message_bits(code, d, k, s):
    """Exact bits of one message of dimension ``d`` (``k``: top-k/rand-k, ``s``: QSGD levels)."""
    if code == IDENTITY64:
        return 64 * d
    if code == IDENTITY32:
        return 32 * d
    if code == FP16 or code == BF16:
        return 16 * d
    if code == SIGN:
        return d
    if code == SCALED_SIGN:
        return d + 32
    kk = min(k, d)
    if code == TOPK:
        return kk * (32 + _ceil_log2(d))
    if code == RANDK:
        return 32 * kk
    return 32 + d * (1 + _ceil_log2(s + 1))


@njit(cache=CACHE)
def compress(code, x, out, k, s, seed, t, stream):
    """Write Q(x) into ``out`` (float64 arrays of length d).

    ``seed, t, stream`` key the counter-based random numbers of rand-k and QSGD (the receiver
    knows them too: shared randomness); deterministic compressors ignore them.
    """
    d = x.shape[0]
    if code == IDENTITY64:
        for j in range(d):
            out[j] = x[j]
    elif code == IDENTITY32:
        for j in range(d):
            out[j] = fl32(x[j])
    elif code == FP16:
        for j in range(d):
            out[j] = round_bits(x[j], 11, -14, 65504.0)
    elif code == BF16:
        for j in range(d):
            out[j] = round_bits(x[j], 8, -126, 3.3895313892515355e38)
    elif code == SIGN:
        for j in range(d):
            out[j] = -1.0 if x[j] < 0.0 else 1.0
    elif code == SCALED_SIGN:
        l1 = 0.0
        for j in range(d):
            l1 += abs(x[j])
        c = fl32(l1 / d)
        for j in range(d):
            out[j] = -c if x[j] < 0.0 else c
    elif code == TOPK:
        kk = min(k, d)
        taken = np.zeros(d, np.bool_)
        for j in range(d):
            out[j] = 0.0
        for _ in range(kk):
            best, arg = -1.0, 0
            for j in range(d):
                a = abs(x[j])
                if a > best and not taken[j]:
                    best, arg = a, j
            taken[arg] = True
            out[arg] = fl32(x[arg])
    elif code == RANDK:
        kk = min(k, d)
        idx = np.arange(d)
        for j in range(d):
            out[j] = 0.0
        for j in range(kk):
            r = j + np.int64(uniform(seed, t, stream + j) * (d - j))
            idx[j], idx[r] = idx[r], idx[j]
            out[idx[j]] = fl32(x[idx[j]])
    else:  # QSGD
        n2, mx = 0.0, 0.0
        for j in range(d):
            n2 += x[j] * x[j]
            mx = max(mx, abs(x[j]))
        r = max(fl32_up(math.sqrt(n2)), fl32_up(mx))
        if r == 0.0:
            for j in range(d):
                out[j] = 0.0
            return
        for j in range(d):
            a = s * abs(x[j]) / r
            lev = math.floor(a)
            if uniform(seed, t, stream + j) < a - lev:
                lev += 1
            lev = min(lev, s)
            v = r * lev / s
            out[j] = -v if x[j] < 0.0 else v


@njit(cache=CACHE)
def stream_of(worker, role):
    """Counter offset of the random numbers of message (worker, role): disjoint ranges of 2^32
    per (worker, role) so that no two messages of a round share a random number."""
    return np.int64((2 * worker + role) << 32)


@njit(cache=CACHE)
def compressor_seed(seed):
    """The seed of the compressors' random numbers, derived from the run seed (disjoint from
    the sample seeds of :func:`adamtheory.distributed.simulator.sample_seed`)."""
    return np.int64(_mix(np.uint64(seed) ^ np.uint64(0x5DEECE66D2B7E151)))


# ------------------------------------------------------------------------------- the objects
@dataclass(frozen=True)
class Compressor:
    """A compressor: name, parameters, declared contraction / variance and exact bits.

    Attributes
    ----------
    name : str
        One of :data:`NAMES`.
    k : int
        Coordinates kept by ``topk`` / ``randk`` (clamped to d).
    s : int
        Levels of ``qsgd``.
    """

    name: str
    k: int = 1
    s: int = 4

    @property
    def code(self) -> int:
        return CODES[self.name]

    @property
    def unbiased(self) -> bool:
        return self.name in ("identity64", "qsgd")

    @property
    def randomized(self) -> bool:
        return self.name in ("randk", "qsgd")

    def bits(self, d: int) -> int:
        """Exact bits of one message of dimension d (see the module table)."""
        return int(kernel("message_bits", np.int64(self.code), np.int64(d), np.int64(self.k),
                          np.int64(self.s)))

    def delta(self, d: int, x=None) -> float | None:
        """Declared contraction factor δ (for ``scaled_sign`` the data-dependent
        (1 - 2^-46)||x||_1²/(d||x||²) when x is given, else its worst case (1 - 2^-46)/d);
        None for ``sign`` (no contraction) and ``qsgd`` (see :meth:`omega`)."""
        n = self.name
        if n == "identity64":
            return 1.0
        if n in ("identity32", "fp16", "bf16"):
            p = {"identity32": 24, "fp16": 11, "bf16": 8}[n]
            return 1.0 - 2.0 ** (-2 * p)
        if n == "scaled_sign":
            if x is None:
                return (1.0 - 2.0 ** -46) / d
            x = np.asarray(x, float)
            return (1.0 - 2.0 ** -46) * float(np.sum(np.abs(x))) ** 2 / (d * float(x @ x))
        if n in ("topk", "randk"):
            return (1.0 - 2.0 ** -48) * min(self.k, d) / d
        return None

    def omega(self, d: int) -> float | None:
        """Declared variance bound ω of the unbiased ``qsgd`` (0 for identity64)."""
        if self.name == "identity64":
            return 0.0
        if self.name == "qsgd":
            return min(d / (4.0 * self.s ** 2), math.sqrt(d) / self.s) * (1 + 2.0 ** -21) ** 2
        return None

    def float_range(self) -> tuple[float, float] | None:
        """The magnitudes for which the casts' δ holds (normal range of the format)."""
        fmt = {"identity32": "float32", "fp16": "float16", "bf16": "bfloat16"}.get(self.name)
        if fmt is None:
            return None
        p, emin, fmax = FORMATS[fmt]
        return 2.0 ** emin, fmax

    def apply(self, x, seed: int = 0, t: int = 1, stream: int = 0) -> np.ndarray:
        """Q(x) for a 1-d float64 array (calls the numba kernel :func:`compress`)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(x)
        kernel("compress", np.int64(self.code), x, out, np.int64(self.k), np.int64(self.s),
               np.int64(seed), np.int64(t), np.int64(stream))
        return out

    def describe(self, d: int) -> str:
        dl, om = self.delta(d), self.omega(d)
        what = (f"delta={dl:.6g}" if dl is not None else
                f"unbiased, omega={om:.6g}" if om is not None else "no contraction")
        return f"{self.name}: {what}, {self.bits(d)} bits/message (d={d})"


def get(name: str, k: int = 1, s: int = 4) -> Compressor:
    """The compressor ``name`` (``k`` for top-k / rand-k, ``s`` levels for QSGD)."""
    if name not in CODES:
        import difflib

        hint = difflib.get_close_matches(name, NAMES, n=1)
        raise ValueError(f"unknown compressor {name!r}"
                         + (f"; did you mean {hint[0]!r}?" if hint else "")
                         + f" (known: {', '.join(NAMES)})")
    if k < 1 or s < 1:
        raise ValueError(f"k and s must be >= 1, got k={k}, s={s}")
    return Compressor(name, int(k), int(s))


# ------------------------------------------------------------------------------- encoding
def _f32_bits(v: float) -> str:
    return format(int(np.array(v, dtype=np.float32).view(np.uint32)), "032b")


def _f32_value(b: str) -> float:
    return float(np.array(int(b, 2), dtype=np.uint32).view(np.float32))


def encode(q: Compressor, x, seed: int = 0, t: int = 1, stream: int = 0) -> str:
    """The message for x as a string of '0'/'1' (its length is the bit cost).

    Layouts: casts and identity: the IEEE words of every coordinate; sign: one bit per
    coordinate (1 = negative); scaled sign: the float32 scale then the sign bits; top-k: k
    records (index in ⌈log2 d⌉ bits, float32 value) in decreasing |x_i|; rand-k: the float32
    values in the order of the shared index draw; QSGD: float32 r, then per coordinate a sign
    bit and the level ξ_i in ⌈log2(s+1)⌉ bits.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    d = x.size
    v = q.apply(x, seed, t, stream)
    n = q.name
    if n == "identity64":
        return "".join(format(int(w), "064b") for w in x.view(np.uint64))
    if n == "identity32":
        return "".join(format(int(w), "032b") for w in v.astype(np.float32).view(np.uint32))
    if n == "fp16":
        return "".join(format(int(w), "016b") for w in v.astype(np.float16).view(np.uint16))
    if n == "bf16":
        return "".join(format(int(w) >> 16, "016b") for w in v.astype(np.float32).view(np.uint32))
    if n == "sign":
        return "".join("1" if xi < 0 else "0" for xi in x)
    if n == "scaled_sign":
        return _f32_bits(abs(v[0])) + "".join("1" if xi < 0 else "0" for xi in x)
    w = _ceil_log2_py(d)
    if n == "topk":
        order = np.argsort(-np.abs(x), kind="stable")[: min(q.k, d)]
        return "".join((format(int(i), f"0{w}b") if w else "") + _f32_bits(v[i]) for i in order)
    if n == "randk":
        return "".join(_f32_bits(v[i]) for i in randk_indices(d, q.k, seed, t, stream))
    lw = _ceil_log2_py(q.s + 1)
    r = qsgd_scale(x)
    levels = np.rint(np.abs(v) * q.s / r).astype(int) if r > 0 else np.zeros(d, int)
    return _f32_bits(r) + "".join(("1" if xi < 0 else "0") + format(int(lv), f"0{lw}b")
                                   for xi, lv in zip(x, levels))


def decode(q: Compressor, bits: str, d: int, seed: int = 0, t: int = 1, stream: int = 0):
    """Q(x) rebuilt from the message alone (and the shared randomness for rand-k)."""
    n = q.name
    out = np.zeros(d)
    if n == "identity64":
        return np.array([int(bits[64 * j:64 * j + 64], 2) for j in range(d)],
                        dtype=np.uint64).view(np.float64)
    if n == "identity32":
        return np.array([int(bits[32 * j:32 * j + 32], 2) for j in range(d)],
                        dtype=np.uint32).view(np.float32).astype(np.float64)
    if n == "fp16":
        return np.array([int(bits[16 * j:16 * j + 16], 2) for j in range(d)],
                        dtype=np.uint16).view(np.float16).astype(np.float64)
    if n == "bf16":
        return np.array([int(bits[16 * j:16 * j + 16], 2) << 16 for j in range(d)],
                        dtype=np.uint32).view(np.float32).astype(np.float64)
    if n == "sign":
        return np.array([-1.0 if c == "1" else 1.0 for c in bits])
    if n == "scaled_sign":
        c = _f32_value(bits[:32])
        return np.array([-c if ch == "1" else c for ch in bits[32:]])
    w = _ceil_log2_py(d)
    if n == "topk":
        rec = w + 32
        for j in range(len(bits) // rec):
            chunk = bits[rec * j: rec * (j + 1)]
            i = int(chunk[:w], 2) if w else 0
            out[i] = _f32_value(chunk[w:])
        return out
    if n == "randk":
        for j, i in enumerate(randk_indices(d, q.k, seed, t, stream)):
            out[i] = _f32_value(bits[32 * j:32 * j + 32])
        return out
    lw = _ceil_log2_py(q.s + 1)
    r = _f32_value(bits[:32])
    for j in range(d):
        chunk = bits[32 + j * (1 + lw): 32 + (j + 1) * (1 + lw)]
        val = r * int(chunk[1:], 2) / q.s
        out[j] = -val if chunk[0] == "1" else val
    return out


def _ceil_log2_py(n: int) -> int:
    return max(0, (int(n) - 1).bit_length())


def randk_indices(d: int, k: int, seed: int, t: int, stream: int) -> list[int]:
    """The index set of rand-k (partial Fisher-Yates on the shared counter-based uniforms)."""
    idx = list(range(d))
    out = []
    for j in range(min(k, d)):
        r = j + int(kernel("shared_uniform", np.int64(seed), np.int64(t), np.int64(stream + j))
                    * (d - j))
        idx[j], idx[r] = idx[r], idx[j]
        out.append(idx[j])
    return out


@njit(cache=CACHE)
def shared_uniform(seed, t, k):
    """The counter-based uniform number k of step t under ``seed`` (shared randomness)."""
    return uniform(np.int64(seed), np.int64(t), np.int64(k))


@njit(cache=CACHE)
def qsgd_radius(x):
    """QSGD's scale r for a float64 array (see :func:`qsgd_scale`)."""
    n2, mx = 0.0, 0.0
    for j in range(x.shape[0]):
        n2 += x[j] * x[j]
        mx = max(mx, abs(x[j]))
    return max(fl32_up(math.sqrt(n2)), fl32_up(mx))


def qsgd_scale(x) -> float:
    """QSGD's transmitted scale r (a float32 ≥ max(||x||, ||x||_∞))."""
    return float(kernel("qsgd_radius", np.ascontiguousarray(x, dtype=np.float64)))
