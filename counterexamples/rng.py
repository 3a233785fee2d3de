"""Counter-based random numbers for the stochastic problems (public: users' oracles use it).

A sample is a pure function of (seed, t, k): the k-th random number drawn at step t of the run
with seed ``seed``. Configurations with the same seed therefore see the same samples (common
random numbers), and results do not depend on how a batch is split or on the thread count.
The generator is SplitMix64's finalizer applied to a mix of the three counters; its output
passes the usual avalanche tests and is more than good enough for simulation.
"""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_K_T = np.uint64(0xD1B54A32D192ED03)
_K_K = np.uint64(0x8CB92BA72F3D8DD7)


@njit(inline="always")
def mix(z):
    """SplitMix64's finalizer: a bijective avalanche mix of the 64-bit word ``z``."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def random_bits(seed, t, k):
    """64 random bits for counters (seed, t, k)."""
    z = mix(np.uint64(seed) * _GOLDEN + _GOLDEN)
    z = mix(z ^ (np.uint64(t) * _K_T))
    return mix(z ^ (np.uint64(k) * _K_K + _GOLDEN))


@njit(inline="always")
def uniform(seed, t, k):
    """A float64 uniform on [0, 1) for counters (seed, t, k)."""
    return np.float64(random_bits(seed, t, k) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(inline="always")
def normal(seed, t, k):
    """A standard normal for counters (seed, t, k) (Box-Muller on two uniforms)."""
    u1 = 1.0 - uniform(seed, t, 2 * k)
    u2 = uniform(seed, t, 2 * k + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
