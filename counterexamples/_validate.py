"""Parameter validation shared by the catalog modules (one-line errors, no silent coercion)."""

from __future__ import annotations

import math
import numbers

from .errors import ProblemParameterError


def real(value, name: str, problem: str) -> float:
    """``value`` as a finite float, or a :class:`ProblemParameterError` naming ``problem``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ProblemParameterError(
            f"{name} must be a real number for {problem}, got {value!r} ({type(value).__name__})"
        )
    v = float(value)
    if not math.isfinite(v):
        raise ProblemParameterError(f"{name} must be finite for {problem}, got {v}")
    return v


def integer(value, name: str, problem: str, what: str = "an integer") -> int:
    """``value`` as an int; floats are accepted only when integral (``50.0`` but not ``50.5``).

    ``what`` describes the expected value in the message, e.g. ``"an integer period >= 2"``.
    """
    v = real(value, name, problem)
    if v != int(v):
        raise ProblemParameterError(f"{name} must be {what} for {problem}, got {value!r}")
    return int(v)


def require(ok: bool, message: str) -> None:
    """Raise :class:`ProblemParameterError` with ``message`` unless ``ok``."""
    if not ok:
        raise ProblemParameterError(message)
