"""Grid axes of a sweep file: ``{start, stop, num}``, log-spaced ranges and explicit values.

Accepted forms in ``[grid]`` (``name`` is a free schedule parameter, a problem parameter, a named
optimizer's field or a numeric field such as ``eps``)::

    s   = { start = 0.05, stop = 1.0, num = 32 }              # linear, both ends included
    lr  = { start = 1e-4, stop = 1e-1, num = 7, log = true }   # geometric, both ends included
    C   = { values = [3, 5, 10] }                              # explicit (also: C = [3, 5, 10])

>>> parse_axis("s", {"start": 0.0, "stop": 1.0, "num": 3}).values
array([0. , 0.5, 1. ])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import SweepFileError, unknown_key

#: The most values one axis may have (a larger grid is refused by the memory estimate anyway).
MAX_AXIS = 10**7
_RANGE_KEYS = {"start", "stop", "num", "log"}


@dataclass(frozen=True, eq=False)
class Axis:
    """One grid axis: its name, its float64 values and what it sets (``kind``).

    ``kind`` is ``"schedule"`` (a free name in the schedule texts), ``"problem"`` (a parameter of
    the problem), ``"named"`` (a field of a named optimizer such as ``beta1``) or ``"field"``
    (a per-configuration number: ``eps``, ``eps_root``, ``x0``).
    """

    name: str
    values: np.ndarray
    kind: str = ""
    spec: str = ""

    @property
    def size(self) -> int:
        return int(self.values.size)


class Grid:
    """The grid of a sweep: its ``axes``, then one axis of ``seeds``, in C order (a base of the
    sweep classes, which hold those two attributes)."""

    @property
    def shape(self) -> tuple:
        return tuple(a.size for a in self.axes) + (int(self.seeds.size),)

    @property
    def dims(self) -> tuple:
        return tuple(a.name for a in self.axes) + ("seed",)

    @property
    def n_configs(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def axis(self, name: str) -> Axis:
        return next(a for a in self.axes if a.name == name)


def _number(where: str, key: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SweepFileError(f"{where}: {key} must be a number, got {v!r}")
    try:
        f = float(v)
    except OverflowError:  # a TOML integer beyond float64 (10^400)
        f = math.inf
    if not math.isfinite(f):
        raise SweepFileError(f"{where}: {key} must be a finite float64 number, got "
                             f"{str(v)[:30]}{'...' if len(str(v)) > 30 else ''}")
    return f


def parse_axis(name: str, raw) -> Axis:
    """Validate one ``[grid]`` entry and return its :class:`Axis` (kind not yet known)."""
    where = f"[grid] {name}"
    if isinstance(raw, list):
        raw = {"values": raw}
    if not isinstance(raw, dict):
        raise SweepFileError(
            f"{where}: write {{ start = A, stop = B, num = N }} (add log = true for a "
            f"geometric range) or {{ values = [...] }}, got {raw!r}")
    if "values" in raw:
        extra = [k for k in raw if k != "values"]
        if extra:
            raise SweepFileError(f"{where}: {extra[0]!r} cannot be combined with values; give "
                                 "either values = [...] or start, stop, num")
        vals = raw["values"]
        if not isinstance(vals, list) or not vals:
            raise SweepFileError(f"{where}: values must be a non-empty list of numbers")
        arr = np.array([_number(where, f"values[{i}]", v) for i, v in enumerate(vals)])
        if np.unique(arr).size != arr.size:
            dup = next(v for i, v in enumerate(arr) if v in arr[:i])
            raise SweepFileError(f"{where}: value {dup:g} appears twice; values must be distinct")
        return Axis(name, arr, spec=f"values {list(arr)}")
    for key in raw:
        if key not in _RANGE_KEYS:
            raise unknown_key(where, key, _RANGE_KEYS | {"values"})
    missing = [k for k in ("start", "stop", "num") if k not in raw]
    if missing:
        raise SweepFileError(f"{where}: missing {missing[0]}; a range needs start, stop and num "
                             "(or give values = [...])")
    start, stop = _number(where, "start", raw["start"]), _number(where, "stop", raw["stop"])
    num = raw["num"]
    if isinstance(num, bool) or not isinstance(num, int):
        raise SweepFileError(f"{where}: num must be an integer >= 1, got {num!r}")
    if num < 1:
        raise SweepFileError(f"{where}: empty range (num = {num}); num must be >= 1")
    if num > MAX_AXIS:
        raise SweepFileError(f"{where}: num = {num} is too large; at most {MAX_AXIS} per axis")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise SweepFileError(f"{where}: log must be true or false, got {log!r}")
    if start > stop:
        raise SweepFileError(f"{where}: reversed range (start {start:g} > stop {stop:g}); "
                             "swap start and stop, or list the values = [...] explicitly")
    if start == stop and num > 1:
        raise SweepFileError(f"{where}: empty range (start = stop = {start:g} with num = {num}); "
                             "widen the range or use num = 1")
    if log:
        if start <= 0:
            raise SweepFileError(f"{where}: a log range needs start > 0, got {start:g}")
        vals = np.geomspace(start, stop, num) if num > 1 else np.array([start])
        return Axis(name, _clean(vals), spec=f"geomspace({start:g}, {stop:g}, {num})")
    return Axis(name, _clean(np.linspace(start, stop, num)),
                spec=f"linspace({start:g}, {stop:g}, {num})")


def _clean(values: np.ndarray) -> np.ndarray:
    """Range values rounded to 12 significant digits, so that a grid meant to hold s = 1 holds
    1.0 and not linspace's 0.9999999999999999 (which the checker would rightly call s < 1)."""
    out = np.array([float(f"{v:.12g}") for v in values])
    if np.unique(out).size != out.size:  # a range finer than 12 digits keeps its exact values
        return values
    return out
