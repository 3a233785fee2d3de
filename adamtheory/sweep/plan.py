"""Chunk layout and the memory / time estimates of a sweep.

The configurations form an array of shape ``(*axes, n_seeds)``. A chunk is a hyper-rectangle of
that array: trailing dimensions whole, one dimension split, leading dimensions one index at a
time (like a zarr or dask chunk grid), so each chunk is one chunk of the assembled zarr store too.
Chunks are numbered in C order over the chunk grid.

The estimates are deliberately simple: bytes of the tables, of the engine's per-chunk state and
outputs, and of the assembled results; time from a nominal engine rate per core (the progress bar
shows the measured rate).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ..limits import available_memory, human
from .errors import SweepFileError
from .tables import table_bytes

#: Nominal engine rates (configuration-steps per second per core) for the time estimate.
RATE_GRAD_METRICS = 6.5e6
RATE_PLAIN = 2.0e7
#: Target work per chunk (configuration-steps) when no chunk_size is given.
CHUNK_WORK = 2e8
CHUNK_MIN, CHUNK_MAX = 256, 16384
def duration(s: float) -> str:
    """Seconds as text: ``3 min 20 s``."""
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s // 60:.0f} min {s % 60:.0f} s"
    if s < 86400 * 3:
        return f"{s // 3600:.0f} h {(s % 3600) // 60:.0f} min"
    return f"{s / 86400:.1f} days"


def chunk_shape(shape: tuple, target: int) -> tuple:
    """A chunk shape with about ``target`` elements: trailing dims whole, one split."""
    out, room = [], max(1, int(target))
    for size in reversed(shape):
        take = min(size, room)
        out.append(take)
        room = max(1, room // size) if take == size else 1
    return tuple(reversed(out))


@dataclass
class Plan:
    """Chunk layout and estimates for one run of a sweep."""

    shape: tuple
    chunk: tuple
    tables_mode: str  # "global": full tables per process; "local": per-chunk rows
    stream: bool
    memory_needed: int
    memory_available: int
    result_bytes: int
    config_steps: int
    processes: int

    @property
    def grid(self) -> tuple:
        return tuple(math.ceil(s / c) for s, c in zip(self.shape, self.chunk))

    @property
    def n_chunks(self) -> int:
        return int(np.prod(self.grid, dtype=np.int64))

    def box(self, cid: int) -> tuple:
        """``((start, stop), ...)`` of chunk ``cid`` along each dimension."""
        pos = np.unravel_index(cid, self.grid)
        return tuple((int(p * c), int(min((p + 1) * c, s)))
                     for p, c, s in zip(pos, self.chunk, self.shape))

    def slices(self, cid: int) -> tuple:
        return tuple(slice(a, b) for a, b in self.box(cid))

    def box_shape(self, cid: int) -> tuple:
        return tuple(b - a for a, b in self.box(cid))

    def indices(self, cid: int) -> list:
        """Per dimension, the index of every configuration of the chunk (C order)."""
        ranges = [np.arange(a, b) for a, b in self.box(cid)]
        return [g.reshape(-1) for g in np.meshgrid(*ranges, indexing="ij")]

    def chunk_configs(self, cid: int) -> int:
        return int(np.prod(self.box_shape(cid)))

    def estimate_seconds(self, grad_metrics: bool, dim: int, cores: int) -> float:
        """A rough time for the engine's Generic Adam sweeps (measured rates per config-step)."""
        rate = (RATE_GRAD_METRICS if grad_metrics else RATE_PLAIN) / max(1, dim) ** 0.5
        return self.config_steps / (rate * max(1, cores))

    def describe(self, sweep, cores: int) -> str:
        text = (f"{sweep.n_configs} configurations × {sweep.steps} steps in {self.n_chunks} "
                f"chunks of ≤ {int(np.prod(self.chunk))}; memory ≈ {human(self.memory_needed)} "
                f"(available {human(self.memory_available)})")
        time = sweep.estimate(self, cores)  # "" for simulators with unmeasured costs
        compile_s = compile_seconds(sweep)
        if time and compile_s:
            time += f" + compiling kernels ≈ {duration(compile_s)} (first run only)"
        return f"{text}; {time}" if time else text


def compile_seconds(sweep) -> float:
    """Seconds of kernel compilation a run of ``sweep`` adds: 0 when the engine's kernels for
    its problem are in the kernel cache (:func:`adamtheory.engine.kernels_cached`) or the sweep
    is not the engine's, else the nominal :data:`adamtheory.engine.cache.COMPILE_SECONDS`."""
    build = getattr(sweep, "build_problem", None)
    if build is None:
        return 0.0
    from ..engine.cache import COMPILE_SECONDS, kernels_cached

    try:
        return 0.0 if kernels_cached(build(0)) else COMPILE_SECONDS
    except Exception:  # noqa: BLE001 - the estimate must never stop a sweep
        return 0.0


def result_bytes_per_config(sweep) -> int:
    """Bytes of one configuration's results in the assembled dataset."""
    return sum(np.dtype(v.dtype).itemsize * int(np.prod(v.sizes, dtype=np.int64))
               for v in sweep.variables().values())


def make_plan(sweep, processes: int = 1, chunk_size: int | None = None, stream=None,
              memory_limit: int | None = None, chunk: tuple | None = None) -> Plan:
    """Lay out the chunks and check the sweep fits in memory (raises SweepFileError if not).

    Parameters
    ----------
    processes : int
        Processes computing chunks at the same time on this machine (each holds its tables).
    chunk_size : int, optional
        Target configurations per chunk (default: ``sweep.chunk_size`` or about 2·10^8
        configuration-steps per chunk).
    stream : bool, optional
        Assemble the results chunk by chunk on disk (default ``sweep.stream``).
    memory_limit : int, optional
        Bytes the sweep may use (default: 80 % of the available memory).
    chunk : tuple, optional
        A fixed chunk shape (a resumed store keeps its own).
    """
    shape = sweep.shape
    n = sweep.n_configs
    T = sweep.steps
    stream = sweep.stream if stream is None else bool(stream)
    if memory_limit is not None and int(memory_limit) <= 0:
        raise SweepFileError(
            f"memory_limit must be a positive number of bytes, got {memory_limit!r}")
    avail = int(memory_limit) if memory_limit is not None else available_memory()
    P = max(1, int(processes))
    if chunk is None:
        target = chunk_size or sweep.chunk_size
        if not target:
            target = int(min(max(CHUNK_WORK / T, CHUNK_MIN), CHUNK_MAX))
            target = min(target, max(CHUNK_MIN, math.ceil(n / 8)))  # progress, resumability
            if P > 1:
                target = min(target, max(1, math.ceil(n / (2 * P))))
        chunk = chunk_shape(shape, target)
    c = int(np.prod(chunk))
    per_cfg = result_bytes_per_config(sweep)
    results = n * per_cfg
    chunk_mem = c * (3 * per_cfg + 10 * 8 * sweep.dim + 64)
    tab_global = table_bytes(sweep)
    tab_local = 8 * T * 3 * min(c, max(sweep.n_rows(r) for r in ("alpha", "beta", "theta")))
    mode = "global" if tab_global <= min(avail / (2 * P), 8 << 30) else "local"
    tab = tab_global if mode == "global" else tab_local
    base = P * (tab + chunk_mem)
    if mode == "local" and base > avail:
        raise SweepFileError(
            f"[run] steps = {T}: the schedule tables of one chunk need {human(base)} of memory "
            f"but {human(avail)} is available; reduce steps or chunk_size")
    need = base + (2 * results if not stream else 2 * c * per_cfg)
    if need > avail:
        hint = ("; set stream = true in [run] to assemble the results on disk"
                if not stream else "; reduce the grid, seeds or checkpoints")
        raise SweepFileError(
            f"[grid]: {n} configurations need about {human(need)} of memory (results "
            f"{human(results)}) but {human(avail)} is available{hint}")
    return Plan(shape=shape, chunk=tuple(chunk), tables_mode=mode, stream=stream,
                memory_needed=int(need), memory_available=avail, result_bytes=int(results),
                config_steps=n * T, processes=P)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
