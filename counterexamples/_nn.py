r"""Small numba helpers shared by the data-based problems (numerically stable logistic pieces).

The exponential is :func:`vexp`, written out (Cody-Waite reduction, Taylor polynomial, 2^k from
the exponent bits) instead of libm's ``exp``: it is a straight-line function, so loops over many
iterates (the block oracles) vectorize, where a libm call would be made once per element. It
agrees with ``math.exp`` to within 1 ulp on [-708, 0] (tested), where it is used (always at
-|z|); below -708 it returns 0 (``math.exp`` gives a subnormal there, which 1 + e rounds away).
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@njit(cache=False, inline="always")
def vexp(x):
    """e^x for x <= 0 (see the module docstring): vectorizable, within 1 ulp of ``math.exp``.

    x = k ln 2 + r with k = round(x / ln 2), |r| <= ln2 / 2, e^r by its Taylor polynomial of
    degree 13 (remainder below 2^-60 relative), times 2^k built from the exponent bits.
    """
    kf = np.floor(x * _LOG2E + 0.5)
    kf = -1022.0 if kf < -1022.0 else kf
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    scale = _float_from_bits((np.int64(kf) + np.int64(1023)) << np.int64(52))
    out = p * scale
    return 0.0 if x < -708.0 else out


@njit(cache=False, inline="always")
def softplus(z):
    """log(1 + exp(z)) without overflow: ``max(z, 0) + log1p(e)``, e = exp(-|z|) (:func:`vexp`).

    Branch-free (a select), so loops over configurations vectorize.
    """
    return (z if z > 0.0 else 0.0) + math.log1p(vexp(-abs(z)))


@njit(cache=False, inline="always")
def sigmoid(z):
    """1 / (1 + exp(-z)) without overflow: ``(1 if z >= 0 else e) / (1 + e)``, e = exp(-|z|)
    (:func:`vexp`); branch-free."""
    e = vexp(-abs(z))
    return (1.0 if z >= 0.0 else e) / (1.0 + e)
