"""The shared frame of every sweep file, and the base of the sweep classes.

Every sweep file, whatever its simulator, has the same frame::

    simulator = "engine"       # optional, default "engine" (see adamtheory.simulators)
    title = "..."              # optional
    description = "..."        # optional
    [grid]                     # one axis per swept name (see .axes)
    [run]                      # steps, seeds, checkpoints, chunk_size, stream (+ the simulator's)

plus the tables its simulator reads (the engine: ``[problem]`` and ``[optimizer]``; the others:
``[settings]`` and, for a simulator with schedules, ``[optimizer]``). :func:`parse_frame` reads
the frame; :mod:`.config` dispatches on the simulator. Every sweep class derives from
:class:`SweepBase`: one fingerprint (the sha256 of its canonical description), one way of
factorizing the schedule rows over the axes they depend on, and the hooks the runner, the
store, the dataset and the checker's verdicts call (no behaviour is chosen by the class).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..engine.metrics import default_checkpoints
from .axes import Grid
from .errors import SweepFileError, unknown_key

#: The top-level keys every sweep file may have.
FRAME_KEYS = ("simulator", "title", "description", "grid", "run")
#: The ``[run]`` keys every sweep file may have (a simulator adds its own).
RUN_KEYS = ("steps", "seeds", "checkpoints", "chunk_size", "stream")
MAX_STEPS = 10**9


@dataclass(frozen=True)
class Frame:
    """The frame of a sweep file: the raw TOML, the simulator's name and the frame's tables."""

    raw: dict
    text: str
    source: str
    simulator: str
    title: str
    grid: dict
    run: dict

    def tables(self, names, required=()) -> dict:
        """The simulator's own tables (``{name: dict or None}``): unknown top-level keys are
        refused, then missing ``required`` tables (``"grid"`` is always required)."""
        allowed = tuple(names) + tuple(FRAME_KEYS)
        for key in self.raw:
            if key not in allowed:
                raise unknown_key(self.source, key, allowed)
        for key in tuple(required) + ("grid",):
            if key not in self.raw:
                raise SweepFileError(f"{self.source}: missing [{key}] table")
        out = {}
        for key in names:
            if key in self.raw and not isinstance(self.raw[key], dict):
                raise SweepFileError(f"{self.source}: {key} must be a table, written [{key}]")
            out[key] = self.raw.get(key)
        return out


def read_text(path) -> str:
    """The text of the sweep file at ``path`` (at most 16 MB, UTF-8)."""
    from ..limits import MAX_INPUT_BYTES

    p = Path(path)
    try:
        with open(p, "rb") as f:  # size cap: never read /dev/zero past 16 MB
            data = f.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise SweepFileError(f"sweep file {str(p)!r} is larger than "
                                 f"{MAX_INPUT_BYTES >> 20} MB; is it the right file?")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise SweepFileError(f"sweep file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepFileError(f"cannot read sweep file {str(p)!r}: {exc}") from None


def parse_frame(text: str, source: str = "<string>", default: str = "engine") -> Frame:
    """Parse ``text`` (TOML) and check its frame (not yet the simulator's tables)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepFileError(f"{source}: not valid TOML: {exc}") from None
    sim = raw.get("simulator", default)
    if not isinstance(sim, str):
        raise SweepFileError(f"{source}: simulator must be a name such as \"distributed\", "
                             f"got {sim!r}")
    for key in ("grid", "run"):
        if key in raw and not isinstance(raw[key], dict):
            raise SweepFileError(f"{source}: {key} must be a table, written [{key}]")
    return Frame(raw, text, source, sim, str(raw.get("title", "")), raw.get("grid"),
                 dict(raw.get("run", {})))


def parse_run(raw: dict, extra: tuple = ()) -> dict:
    """The shared ``[run]`` keys of ``raw`` (``extra``: the simulator's own keys, left for it
    to read): ``steps``, ``seeds`` (an array), ``checkpoints`` (an array ending at steps),
    ``stream``, ``chunk_size``."""
    where = "[run]"
    keys = RUN_KEYS + tuple(extra)
    for k in raw:
        if k not in keys:
            raise unknown_key(where, k, keys)
    out = {}
    steps = raw.get("steps")
    if steps is None:
        raise SweepFileError(f"{where}: missing steps (the horizon T), e.g. steps = 10000")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise SweepFileError(f"{where}: steps must be an integer in [1, 10^9], got {steps!r}")
    out["steps"] = steps
    seeds = raw.get("seeds", 1)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if not 1 <= seeds <= 10**6:
            raise SweepFileError(f"{where}: seeds = {seeds}: give a count >= 1 (seeds 0..n-1) "
                                 "or a list of distinct integers")
        out["seeds"] = np.arange(seeds, dtype=np.int64)
    elif isinstance(seeds, list) and seeds and all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        if len(set(seeds)) != len(seeds):
            raise SweepFileError(f"{where}: seeds must be distinct, got {seeds}")
        out["seeds"] = np.array(seeds, dtype=np.int64)
    else:
        raise SweepFileError(f"{where}: seeds must be a count >= 1 or a non-empty list of "
                             f"integers, got {seeds!r}")
    out["checkpoints"] = _checkpoints(raw.get("checkpoints"), steps)
    out["stream"] = flag(where, "stream", raw.get("stream", False))
    if "chunk_size" in raw:
        out["chunk_size"] = count(where, "chunk_size", raw["chunk_size"])
    return out


def flag(where: str, key: str, v) -> bool:
    if not isinstance(v, bool):
        raise SweepFileError(f"{where}: {key} must be true or false, got {v!r}")
    return v


def count(where: str, key: str, v, lo: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise SweepFileError(f"{where}: {key} must be an integer >= {lo}, got {v!r}")
    return v


def _checkpoints(raw, steps: int) -> np.ndarray:
    if raw is None:
        ck = default_checkpoints(steps)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        if not 1 <= raw <= 10**4:
            raise SweepFileError(f"[run]: checkpoints = {raw}: give a count in [1, 10^4] "
                                 "(log-spaced) or a list of steps")
        ck = default_checkpoints(steps, raw)
    elif isinstance(raw, list) and raw and all(isinstance(c, int) and not isinstance(c, bool)
                                               for c in raw):
        bad = [c for c in raw if not 1 <= c <= steps]
        if bad:
            raise SweepFileError(f"[run]: checkpoint {bad[0]} is outside [1, steps = {steps}]")
        ck = np.array(raw, dtype=np.int64)
    else:
        raise SweepFileError(f"[run]: checkpoints must be a count or a list of steps, got {raw!r}")
    return np.union1d(ck, [steps]).astype(np.int64)


class SweepBase(Grid):
    """The base of every sweep class: the grid (``axes``, ``seeds``), the schedule rows
    factorized over the axes each role depends on (``depends``: key -> axis positions; a role
    absent from ``depends`` has no rows), the one fingerprint, and the hooks below (each class
    answers them; the callers never test the class)."""

    # ------------------------------------------------------------------ grid rows
    def values_at(self, positions, idx) -> dict:
        """``{axis name: value}`` for the axes at ``positions`` and their indices ``idx``."""
        return {self.axes[p].name: float(self.axes[p].values[i]) for p, i in zip(positions, idx)}

    def n_rows(self, key: str) -> int:
        """Distinct values of the axes ``key`` (a role or "problem") depends on (0: no rows)."""
        if key not in self.depends:
            return 0
        return int(np.prod([self.axes[p].size for p in self.depends[key]], dtype=np.int64))

    def row_index(self, key: str, idx) -> int:
        """The row of ``key`` for the multi-index of the axes it depends on."""
        dep = self.depends[key]
        return int(np.ravel_multi_index(tuple(idx), [self.axes[p].size for p in dep])) if dep else 0

    def row_values(self, key: str, row: int) -> dict:
        dep = self.depends[key]
        idx = np.unravel_index(row, [self.axes[p].size for p in dep]) if dep else ()
        return self.values_at(dep, idx)

    def rows(self, key: str, idx) -> np.ndarray:
        """The row of ``key`` of every configuration of the grid indices ``idx``."""
        dep = self.depends[key]
        if not dep:
            return np.zeros(idx[0].size, dtype=np.int64)
        return np.ravel_multi_index(tuple(idx[p] for p in dep),
                                    [self.axes[p].size for p in dep]).astype(np.int64)

    # ------------------------------------------------------------------ identity
    def canonical(self) -> dict:  # pragma: no cover - every class defines it
        raise NotImplementedError

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of :meth:`canonical` (JSON, sorted keys): everything the results depend on."""
        blob = json.dumps(self.canonical(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    # ------------------------------------------------------------------ hooks
    def spec_axes(self) -> list:
        """Positions of the grid axes that change the optimizer spec ([] without verdicts)."""
        return []

    def cell_spec(self, values: dict):
        """The :class:`~adamtheory.specs.OptimizerSpec` of the cell ``{axis: value}`` of the
        spec axes, or None when the simulator's runs are not Generic Adam."""
        return None

    def has_theory(self) -> bool:
        """Whether the runner stores the checker's verdicts with the results."""
        return False

    def verdicts(self, cells, workers: int = 1) -> list:
        """The checker's verdict on each cell ``{axis: value}``, checked now (see
        :func:`.theory.check_cells`; the results' stored ones: :class:`.theory.StoredTheory`)."""
        from .theory import check_cells

        return check_cells(self, cells, workers)

    def in_family(self, cell: dict) -> bool:
        """Whether the cell's spec is Generic Adam (False for AMSGrad or no spec)."""
        names = {self.axes[p].name for p in self.spec_axes()}
        spec = self.cell_spec({k: float(v) for k, v in cell.items() if k in names})
        return spec is not None and spec.in_family

    def dataset_attrs(self) -> dict:
        """What the dataset's attributes say about the sweep besides the frame."""
        return {}

    def store_info(self) -> dict | None:
        """What reading the store back needs besides the sweep file (``store.json``)."""
        return None

    def estimate(self, plan, cores: int) -> str:
        """A rough time for the estimate line ("" when the costs are unmeasured)."""
        return ""
