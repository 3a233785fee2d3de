"""Run a sweep: validate everything, lay out chunks, compute the missing ones, assemble.

>>> # path = run_sweep("examples/phase_sr_sec5_online_quick.toml", "out/sr", workers=2)
>>> # ds = open_results("out/sr")

Order of work (nothing is written before every check has passed):

1. the sweep file (:func:`.config.load`): fields, names, ranges, problem parameters;
2. the output directory: a fresh one, or with ``resume`` a store of the same sweep (same
   fingerprint: sweep file, problem identity and content, package version); an existing store
   is locked first (``OUT/.lock``), so a second writer is refused at once;
3. memory (:func:`.plan.make_plan`) and the estimate line;
4. every distinct schedule on the grid, t = 1..T (:func:`.tables.validate`);
5. free disk space for the chunk files and the dataset;
6. the Dask scheduler, if any, is connected (an unreachable one leaves nothing behind);
7. the checker's verdict on every cell (:func:`.theory.compute`), stored with the results;
8. then: create and lock the store, drop invalid chunks, compute the missing ones, write the
   manifest, assemble ``results.zarr`` with its checksums. A fresh store in which no chunk was
   finished is removed again if the run fails.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError
from . import backends, config, tables, theory
from .dataset import assemble
from .errors import StoreError
from .frame import SweepBase
from .identity import code_digest
from .plan import cpu_count, duration, estimate, human, make_plan
from .progress import SweepProgress
from .store import LOCK, Lock, differences, init_store, read_store_meta, scan, write_manifest

MANIFEST_EVERY = 2.0  # seconds between manifest rewrites while running


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_options(workers, scheduler, dask_local, chunk_size):
    if not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be an integer >= 1, got {workers!r}")
    if scheduler and dask_local:
        raise InputError("give either scheduler (an address) or dask_local (a count), not both")
    if dask_local is not None and (not isinstance(dask_local, int) or dask_local < 1):
        raise InputError(f"dask_local must be an integer >= 1, got {dask_local!r}")
    if (scheduler or dask_local) and workers != 1:
        raise InputError("workers is for local processes; with Dask the cluster's workers run "
                         "the chunks")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise InputError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    if scheduler or dask_local:
        _need("distributed", "scheduler and dask_local")


def _need(module: str, what: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise InputError(f"{what} need Dask: pip install 'adamtheory[dask]' (dask[distributed])")


def _existing_store(out: Path, sweep, resume: bool):
    """The chunk shape of a store to resume, or None for a fresh directory."""
    if out.exists() and not out.is_dir():
        raise StoreError(f"the output {str(out)!r} is a file; give a directory for the results")
    if not out.exists() or not any(q.name != LOCK for q in out.iterdir()):
        return None
    meta = read_store_meta(out)
    if not resume:
        raise StoreError(f"{str(out)!r} already exists; resume the sweep in it (resume), or "
                         "choose another output directory")
    if meta is None:
        raise StoreError(f"{str(out)!r} is not empty and holds no sweep; choose another -o")
    if meta.get("fingerprint") != sweep.fingerprint:
        what = differences(meta.get("canonical") or {}, sweep.canonical())
        raise StoreError(f"{str(out)!r} holds a different sweep (changed: "
                         f"{', '.join(what) or 'fingerprint'}); its finished chunks would mix "
                         "with new ones: resume it with its own sweep file and unchanged "
                         "problem, or choose another -o")
    if meta.get("code") != code_digest():
        raise StoreError(f"{str(out)!r} was written by other adamtheory code (an edited or "
                         "reinstalled package; package source differs): its finished chunks "
                         "would mix with this code's: run the sweep into another -o")
    return tuple(meta["chunk"])


def _check_disk(out: Path, plan) -> None:
    probe = out
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    need = 2 * plan.result_bytes
    if need > free:
        raise StoreError(f"the results need about {human(need)} on disk but {str(probe)!r} has "
                         f"{human(free)} free; free space or choose another -o")


def run_sweep(sweep, out, *, resume: bool = False, workers: int = 1, scheduler: str | None = None,
              dask_local: int | None = None, chunk_size: int | None = None, stream=None,
              memory_limit: int | None = None, quiet: bool = False) -> Path:
    """Run ``sweep`` (any sweep :func:`.config.load` returns, or a path) into the store ``out``.

    Parameters
    ----------
    sweep : Sweep, SettingsSweep or path
    out : path
        Output directory (created); ``out/results.zarr`` is the dataset.
    resume : bool
        Finish the sweep already in ``out`` (same sweep file), skipping verified chunks.
    workers : int
        Local processes (1: compute in this process).
    scheduler : str, optional
        Address of a Dask scheduler; chunks run as tasks there and workers write them to ``out``.
    dask_local : int, optional
        Start a Dask cluster of this many worker processes on 127.0.0.1 for this sweep.
    chunk_size : int, optional
        Target configurations per chunk (a resumed store keeps its own layout).
    stream : bool, optional
        Assemble the dataset chunk by chunk on disk (for results larger than memory).
    memory_limit : int, optional
        Bytes the sweep may use (default: 80 % of the available memory).
    quiet : bool
        No estimate line, progress bar or messages.

    Returns
    -------
    pathlib.Path
        The path of ``results.zarr``.
    """
    say = (lambda *a: None) if quiet else (lambda msg: print(f"adamtheory sweep: {msg}",
                                                             file=sys.stderr))
    _check_options(workers, scheduler, dask_local, chunk_size)
    if not isinstance(sweep, SweepBase):  # a path
        sweep = config.load(sweep)
    out = Path(out).expanduser().absolute()
    lock = conn = None
    keep_dir = False
    created = None  # the directory this run created (removed again if no chunk got finished)
    records: dict = {}
    try:
        if (out / "store.json").is_file():  # an existing store: one writer at a time
            lock = Lock(out).acquire()
        chunk = _existing_store(out, sweep, resume)
        dask = bool(scheduler or dask_local)
        in_process = workers == 1 and not dask
        processes = 1 if dask else workers
        plan = make_plan(sweep, processes, chunk_size, stream, memory_limit, chunk)
        if plan.stream:
            _need("dask", "stream = true")
        cores = backends.cores_for(workers, dask_local)
        est = estimate(sweep, plan, cores) if not quiet else None
        say(plan.describe(sweep, cores, est))
        keep = in_process and plan.tables_mode == "global"
        tabs = tables.validate(sweep, keep=keep)
        if keep:
            tables.seed_cache(sweep, tabs)
        _check_disk(out, plan)
        if dask:
            conn = backends.connect_dask(scheduler, dask_local)
        theory_data = None
        if est is not None and est.n_verdicts:
            say(f"checking the theory of {est.n_verdicts} cells (≈ {duration(est.verdicts)}, "
                "first run only: the verdicts are cached) ...")
        if sweep.has_theory():
            theory_data = theory.compute(sweep, workers=max(workers, dask_local or 1))
        if lock is None:
            created = _create(out)
            lock = Lock(out).acquire()
            chunk = _existing_store(out, sweep, resume)  # again, under the lock
            if chunk is not None:
                created = None
                plan = make_plan(sweep, processes, chunk_size, stream, memory_limit, chunk)
            elif created is None:
                created = out  # an empty directory given: empty it again on failure
                keep_dir = True
        if chunk is None:
            init_store(out, sweep, plan)
        done, bad = scan(out, plan, sweep.fingerprint)
        for cid, reason in bad:
            say(f"chunk {cid}: {reason}; recomputing it")
        if done:
            say(f"resuming: {len(done)} of {plan.n_chunks} chunks already finished")
        pending = [c for c in range(plan.n_chunks) if c not in done]
        records.update(done)
        started, t0 = _now(), time.perf_counter()
        last = [time.perf_counter()]
        backend = "dask" if dask else ("processes" if workers > 1 else "in-process")
        info = {"backend": backend, "workers": workers if not dask else (dask_local or 0)}

        compiling = ""
        if est is not None and est.compile and pending:
            compiling = f"compiling kernels for {_label(sweep)} (≈ {duration(est.compile)})"
        with SweepProgress(plan.n_chunks, plan.config_steps, len(done),
                           sum(r["config_steps"] for r in done.values()), quiet,
                           compiling) as bar:
            def on_done(rec):
                records[rec["chunk"]] = rec
                bar.advance(rec["config_steps"])
                if time.perf_counter() - last[0] > MANIFEST_EVERY:
                    write_manifest(out, records, {"fingerprint": sweep.fingerprint})
                    last[0] = time.perf_counter()

            try:
                if dask:
                    info.update(backends.run_dask(sweep, plan, out, pending, on_done, conn=conn))
                elif workers > 1:
                    backends.run_processes(sweep, plan, out, pending, on_done, workers)
                else:
                    backends.run_local(sweep, plan, out, pending, on_done)
            finally:
                if records:
                    try:
                        write_manifest(out, records, {"fingerprint": sweep.fingerprint})
                    except StoreError:
                        pass
        wall = time.perf_counter() - t0
        attrs = {**{k: v for k, v in info.items() if v is not None},
                 "started": started, "finished": _now(), "wall_seconds": wall,
                 "compute_seconds": sum(r["seconds"] for r in records.values()),
                 "engine_seconds": sum(r["engine_seconds"] for r in records.values()),
                 "chunks_resumed": len(done), "chunks_computed": len(pending),
                 "estimated_memory_bytes": plan.memory_needed, "cpu_count": cpu_count()}
        if est is not None:  # the estimate line's seconds, to compare with the measured ones
            attrs["estimated_seconds"] = round(est.total, 3)
        path = assemble(out, sweep, plan, attrs, theory_data)
    except BaseException:
        if created is not None and not records:  # nothing finished: leave nothing behind
            if keep_dir:
                for q in created.iterdir():
                    if q.name != LOCK:
                        shutil.rmtree(q, ignore_errors=True) if q.is_dir() else q.unlink()
            else:
                shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        if conn is not None:
            conn.close()
        if lock is not None:
            lock.release()
    say(f"wrote {path} ({len(pending)} chunks computed, {len(done)} reused, {wall:.1f} s)")
    return path


def _label(sweep) -> str:
    """The problem (engine) or simulator a sweep's kernels are compiled for."""
    name = getattr(sweep, "problem_name", None)
    return str(name) if name else f"the {sweep.simulator.name} simulator"


def _create(out: Path) -> Path | None:
    """Create ``out`` (and missing parents); returns the top directory created, or None."""
    top = None
    probe = out
    while not probe.exists():
        top = probe
        probe = probe.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from .store import oserror

        raise oserror(exc, f"the result store {str(out)!r}") from None
    return top
