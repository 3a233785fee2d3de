"""Deprecated alias of :mod:`counterexamples.rng` (kept for problem files written before the
module became public); import from ``counterexamples.rng``."""

from .rng import mix as _mix  # noqa: F401
from .rng import normal, random_bits, uniform  # noqa: F401
