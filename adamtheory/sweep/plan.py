"""Chunk layout and the memory / time estimates of a sweep.

The configurations form an array of shape ``(*axes, n_seeds)``. A chunk is a hyper-rectangle of
that array: trailing dimensions whole, one dimension split, leading dimensions one index at a
time (like a zarr or dask chunk grid), so each chunk is one chunk of the assembled zarr store too.
Chunks are numbered in C order over the chunk grid.

The estimates are deliberately simple: bytes of the tables, of the engine's per-chunk state and
outputs, and of the assembled results; time (:func:`estimate`) as the sum of

* the start of the command (Python, imports, the store and the assembly of the dataset),
  :data:`START_SECONDS`, per chunk :data:`CHUNK_SECONDS` and per cell of the checker's grid
  :data:`CELL_SECONDS`;
* the checker's verdicts not in the verdict cache (:func:`.theory.pending_verdicts` ×
  :data:`VERDICT_SECONDS`);
* kernel compilation when the kernel cache does not hold the sweep's kernels
  (:func:`compile_seconds`);
* the simulation: configuration-steps × a cost per configuration-step (a linear model in the
  problem's dimension and data size, :func:`step_cost`) over the cores the run keeps busy.

The constants were measured on the project's 2-core machine (``benchmarks/latency.py`` prints
the estimate beside the measured time, cold and warm; the progress bar shows the measured rate).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ..limits import available_memory, human
from .errors import SweepFileError
from .tables import table_bytes

# Calibration: measured on the project's 2-core machine in a quiet moment (load average < 2),
# by ``benchmarks/latency.py`` and per part (imports, verdicts, first chunk cold and warm,
# engine seconds of 7e4 - 5e6 configuration-steps); the compile and verdict seconds are set
# about 25 % above the quiet measurements, since the machine is rarely idle.
#: Seconds of one engine configuration-step on one core: ``STEP_COST[0] + STEP_COST[1] d``,
#: plus with the gradient metrics ``GRAD_METRIC_COST (d + data size)`` (a full gradient per
#: step for data problems; the data term over ``BATCHED_SPEEDUP`` for problems with block
#: oracles: one matrix product per block). Measured with the gradient metrics: 2.5e-7 -
#: 3e-7 s on reddi-sec5-online, 3e-7 s on nonconvex-separable (d = 10), 6e-6 - 1e-5 s on
#: logreg-nonconvex (d = 31, 569 samples), 2.5e-6 s on examples/my_problem.py (d = 5, 200).
STEP_COST = (2.8e-7, 1.0e-8)
GRAD_METRIC_COST = 2.0e-9
BATCHED_SPEEDUP = 4.0
#: Seconds of one distributed-simulator configuration-step: ``DIST_COST[0] + DIST_COST[1] N b
#: d`` (one core per process; measured 3e-7 s at N b d = 37.5).
DIST_COST = (1.0e-7, 5.0e-9)
#: Seconds of one federated configuration-round: ``FED_COST[0] + FED_COST[1] S K b d`` (d the
#: model size; measured 4.6e-5 s at S K b d = 2800).
FED_COST = (2.0e-6, 1.6e-8)
#: Fixed seconds of a sweep command (Python start, imports, store, assembly: 1.5-1.7 s) and of
#: each chunk a process runs (tables, loading the kernels: 0.25-0.6 s).
START_SECONDS = 2.0
CHUNK_SECONDS = 0.3
#: Seconds of one checker verdict that is not in the verdict cache (0.175 s measured), and of
#: building one cell's spec and reading its cached verdict (3-4 ms: 256 cells cost 1 s).
VERDICT_SECONDS = 0.22
CELL_SECONDS = 0.004
#: Compile seconds of the engine's kernels for one problem (measured 9.3 s for the batched loop,
#: 6.4 s for the general loop), of a distributed-simulator kernel (one per problem and
#: dimension, and the schedule-family kernel: 5 s for both) and of the federated kernel (3.3 s).
ENGINE_COMPILE_SECONDS = 11.0
DIST_COMPILE_SECONDS = 3.0
FED_COMPILE_SECONDS = 4.0
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

    def estimate_seconds(self, grad_metrics: bool, dim: int, cores: int,
                         data_size: int = 0, batched: bool = False) -> float:
        """Seconds of the engine's simulation alone: configuration-steps × :func:`step_cost`
        over ``cores`` (see :func:`estimate` for the whole run)."""
        cost = step_cost(dim, data_size, grad_metrics, batched)
        return self.config_steps * cost / max(1, cores)

    def describe(self, sweep, cores: int, est=False) -> str:
        """The estimate line: configurations, chunks, memory and :func:`estimate` (or ``est``,
        an :class:`Estimate` or None, when already computed)."""
        text = (f"{sweep.n_configs} configurations × {sweep.steps} steps in {self.n_chunks} "
                f"chunks of ≤ {int(np.prod(self.chunk))}; memory ≈ {human(self.memory_needed)} "
                f"(available {human(self.memory_available)})")
        if est is False:
            est = estimate(sweep, self, cores)
        if est is None:  # a simulator with unmeasured costs: its own text, if any
            time = sweep.estimate(self, cores)
            return f"{text}; {time}" if time else text
        return f"{text}; {est.text()}"


@dataclass
class Estimate:
    """The parts of a sweep's estimated wall time, in seconds (see the module docstring)."""

    simulate: float
    compile: float
    verdicts: float
    n_verdicts: int
    overhead: float
    cores: int

    @property
    def total(self) -> float:
        return self.simulate + self.compile + self.verdicts + self.overhead

    def text(self) -> str:
        parts = [f"simulation {duration(self.simulate)}"]
        if self.compile:
            parts.append(f"compiling kernels {duration(self.compile)} (first run only)")
        if self.verdicts:
            parts.append(f"checking {self.n_verdicts} cells {duration(self.verdicts)} "
                         "(first run only)")
        return (f"time ≈ {duration(self.total)} on {self.cores} "
                f"core{'s' if self.cores != 1 else ''} (rough: {', '.join(parts)})")


def step_cost(dim: int, data_size: int = 0, grad_metrics: bool = True,
              batched: bool = False) -> float:
    """Seconds of one engine configuration-step on one core: ``STEP_COST[0] + STEP_COST[1] d``
    (+ ``GRAD_METRIC_COST (d + data size)`` with the gradient metrics, the data term over
    :data:`BATCHED_SPEEDUP` for the batched loop: block oracles)."""
    d = max(1, int(dim))
    cost = STEP_COST[0] + STEP_COST[1] * d
    if grad_metrics:
        cost += GRAD_METRIC_COST * (d + int(data_size) / (BATCHED_SPEEDUP if batched else 1))
    return cost


def _setting(sweep, name: str) -> float:
    """The mean over the grid of a numeric parameter of a settings sweep (fixed or an axis)."""
    for a in sweep.axes:
        if a.name == name and a.values.dtype.kind in "fiub":
            return float(np.mean(a.values))
    v = sweep.fixed.get(name)
    if v is None:
        v = sweep.simulator.params[name].default
    return float(v) if isinstance(v, (int, float)) else 1.0


def _problem(sweep):
    build = getattr(sweep, "build_problem", None)
    if build is None:
        return None
    try:
        return build(0)
    except Exception:  # noqa: BLE001 - the estimate must never stop a sweep
        return None


def simulate_seconds(sweep, plan: Plan, cores: int) -> float | None:
    """Seconds of the simulation itself (None for a simulator with unmeasured costs)."""
    name = getattr(sweep.simulator, "name", "engine") if sweep.simulator is not None else "engine"
    n = max(1, sweep.n_configs)
    if hasattr(sweep, "build_problem"):  # the engine: blocks of configurations in parallel
        from ..engine.cache import block_loop

        prob = _problem(sweep)
        data = int(np.asarray(prob.data).size) if prob is not None else 0
        batched = prob is not None and block_loop(prob) == "_block_b"
        busy = min(max(1, cores), math.ceil(n / max(1, getattr(sweep, "block", 128))))
        return plan.estimate_seconds(sweep.grad_metrics, sweep.dim, busy, data, batched)
    busy = min(max(1, plan.processes), n)  # the simulators run on one core per process
    if name == "distributed":
        size = _setting(sweep, "workers") * _setting(sweep, "batch") * _setting(sweep, "d")
        return plan.config_steps * (DIST_COST[0] + DIST_COST[1] * size) / busy
    if name == "federated":
        model = (_setting(sweep, "dim") if set(_values(sweep, "problem")) == {"lsq"}
                 else 650.0)  # digits: 64 pixels + bias, 10 classes
        size = (_setting(sweep, "S") * _setting(sweep, "K") * _setting(sweep, "batch")
                * model)
        return plan.config_steps * (FED_COST[0] + FED_COST[1] * size) / busy
    return None


def estimate(sweep, plan: Plan, cores: int) -> Estimate | None:
    """The estimated wall time of running ``sweep`` with ``plan`` (see the module docstring),
    or None when its simulator's costs are not measured."""
    sim = simulate_seconds(sweep, plan, cores)
    if sim is None:
        return None
    n_verdicts = n_cells = 0
    if sweep.has_theory():
        from .theory import MAX_CELLS, pending_verdicts

        try:
            n_verdicts = pending_verdicts(sweep)
            n_cells = int(np.prod([sweep.axes[p].size for p in sweep.spec_axes()],
                                  dtype=np.int64))
            n_cells = n_cells if n_cells <= MAX_CELLS else 0
        except Exception:  # noqa: BLE001 - the estimate must never stop a sweep
            n_verdicts = n_cells = 0
    per_process = math.ceil(plan.n_chunks / max(1, plan.processes))
    return Estimate(simulate=sim, compile=compile_seconds(sweep),
                    verdicts=n_verdicts * VERDICT_SECONDS, n_verdicts=n_verdicts,
                    overhead=START_SECONDS + CHUNK_SECONDS * per_process
                    + CELL_SECONDS * n_cells, cores=cores)


def compile_seconds(sweep) -> float:
    """Seconds of kernel compilation a run of ``sweep`` adds: the nominal compile time of each
    kernel the run needs that the kernel cache does not hold (asked through
    :func:`adamtheory.engine.cache.is_cached`): for the engine its problem's kernels
    (:data:`ENGINE_COMPILE_SECONDS`), for the distributed simulator one
    kernel per problem family of the grid (+ the schedule-family kernel without an
    ``[optimizer]`` table), for the federated simulator its one kernel; 0 for other
    simulators."""
    from ..engine.cache import is_cached, kernels_cached

    try:
        if hasattr(sweep, "build_problem"):
            prob = _problem(sweep)
            return 0.0 if prob is None or kernels_cached(prob) else ENGINE_COMPILE_SECONDS
        name = getattr(sweep.simulator, "name", "")
        if name == "distributed":
            from ..distributed.simulator import KERNELS
            from ..distributed.sweep_plugin import problem_for

            kernels = set()
            for p in _values(sweep, "problem"):
                for d in (_values(sweep, "d") if p == "nonconvex-separable" else [10]):
                    prob, _ = problem_for(str(p), d=int(d), sigma=_setting(sweep, "sigma"),
                                          lam=_setting(sweep, "lam"),
                                          ef_eps=_setting(sweep, "ef_eps"))
                    kernels.add(((prob.grad, prob.objective), "run"))
            if sweep.optimizer is None:
                kernels.add(((None, None), "family"))
            missing = sum(not is_cached(KERNELS, b, f) for b, f in kernels)
            return missing * DIST_COMPILE_SECONDS
        if name == "federated":
            from ..federated.simulator import KERNELS

            return 0.0 if is_cached(KERNELS, (), "run_configs") else FED_COMPILE_SECONDS
    except Exception:  # noqa: BLE001 - the estimate must never stop a sweep
        return 0.0
    return 0.0


def _values(sweep, name: str) -> list:
    for a in sweep.axes:
        if a.name == name:
            return list(a.values)
    v = sweep.fixed.get(name)
    return [sweep.simulator.params[name].default if v is None else v]


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
