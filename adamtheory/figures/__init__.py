"""Every figure of the project from one command: ``adamtheory figures [--quick] [-o DIR]``.

One module per figure, each declaring one :class:`~adamtheory.figures.shape.Figure`; the
registry (:data:`FIGURES`, in :mod:`.registry`) lists them and the driver
(:func:`make_figures`) runs them, knowing no letter.

=====  ===================  ===============================================  ================
key    module               what                                             worker group
=====  ===================  ===============================================  ================
(a)    ``a_reddi``          Reddi et al. Section 5 replays (engine runs)     online, stochastic
(b)    ``b_theta_r``        θ_t = 1 - 0.01 t^{-r} on Section 5               online, stochastic
(c)    ``c_phase_sr``       (s, r) phase diagram with the checker's overlay  online
(c2)   ``c2_phase_sr_...``  (s, r) on nonconvex-separable (theorem applies)  stochastic
(d)    ``d_phase_beta``     (β_1, β_2) diagram of constant-θ Adam            online
(e)    ``e_rates``          measured rates against the predicted slopes      stochastic
(f)    ``f_speedup``        distributed Adam's speedup, proved end N_b*      distributed
(g)    ``g_bits``           loss against transmitted bits (compressors, EF)  distributed
(h)    ``h_ef``             error-feedback counterexamples                   distributed
(i)    ``i_fed_curves``     FedLADA against the federated baselines          federated
(j)    ``j_fed_drift``      client drift (draws (i)'s runs)                  federated
(k)    ``k_fed_speedup``    rounds to target against sampled clients S       federated
(l)    ``l_torch_...``      CNN on digits: Adam, Generic Adam, AMSGrad       torch
(m)    ``m_torch_...``      data-parallel CNN: iterations against N          torch
(n)    ``n_torch_bits``     Efficient-Adam on a CNN: loss against bits       torch
=====  ===================  ===============================================  ================

The sweep files are package data in ``adamtheory/figures/sweeps/`` (:func:`sweeps_dir`), so
the command runs from any directory. Sweeps run through :func:`adamtheory.sweep.run_sweep` and
:func:`adamtheory.sweep.open_results`; (a) runs three named optimizers with the engine directly
and (i)-(k) call :mod:`adamtheory.federated.experiments` (each algorithm at its own tuned rates,
which one sweep grid cannot express).

Adding a figure
---------------
Write ``adamtheory/figures/x_name.py`` declaring::

    FIGURE = Figure(
        key="x", files=("x_name.png",), summary="what it shows, in one line",
        compute=compute,          # compute(job) -> data, in a worker process (picklable)
        draw=draw,                # draw(job, parts) -> manifest entry; parts = {group: data}
        sweeps={"main": ("x_full.toml", "x_quick.toml")},   # files in sweeps/, job.sweep("main")
        groups=("x",),            # worker group(s); share one with figures of the same problems
    )

put its sweep files in ``sweeps/`` and add the module to :mod:`.registry`. ``job`` is a
:class:`~adamtheory.figures.shape.Job` (``out``, ``tmp``, ``quick``, ``group``, ``sweep(part)``,
``path()``). :func:`~adamtheory.figures.common.sweep_dataset` runs a sweep file and opens its
results. The manifest entry must hold the numbers the figure shows and ``sweep`` (the sweep
file label, or None) and ``command`` or ``python``. Nothing else changes: the driver, the CLI and
the test of every figure (``tests/test_figures.py``) pick it up from the registry.

``DIR/manifest.json`` records, for each figure, the command, the sweep files (or the Python
call), the package version and what the figure shows in numbers (label counts, the mismatch
count, fitted slopes). The worker groups run in a pool of processes (two by default): numba
compiles each problem family's kernels once per process.

>>> from adamtheory.figures import FIGURES
>>> list(FIGURES)[:3]
['a', 'b', 'c']
"""

from __future__ import annotations

import gc
import heapq
import itertools
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..sweep.plan import cpu_count
from ..sweep.progress import FigureProgress
from ..usercache import read_entry, write_entry
from .common import to_json
from .registry import FIGURES
from .shape import Figure, Job, sweep_label, sweeps_dir

__all__ = ["FIGURES", "Figure", "Job", "all_files", "groups", "make_figures", "pool_makespan",
           "pool_order", "run_group", "sweep_label", "sweeps_dir"]


def all_files() -> dict:
    """Every figure's key and (first) file name, in registry order."""
    return {k: f.files[0] for k, f in FIGURES.items()}


def groups() -> list[str]:
    """The worker groups, in order of first appearance in the registry."""
    out = []
    for f in FIGURES.values():
        out += [g for g in f.groups if g not in out]
    return out


def run_group(group: str, out, quick: bool, tmp=None, report=None) -> dict:
    """Run every ``compute`` of ``group`` (registry order), then draw the figures that belong to
    this group alone.

    Parameters
    ----------
    report : callable, optional
        ``report(kind, key, group, seconds)`` before (``"compute"``, ``"draw"``; seconds None)
        and after (``"computed"``, ``"drawn"``) each compute and draw (see
        :class:`adamtheory.sweep.progress.FigureProgress`).

    Returns
    -------
    dict
        ``{"entries": {key: manifest entry}, "parts": {key: data}, "seconds": {key: s}}``:
        ``parts`` holds the data of multi-group figures, drawn by :func:`make_figures` once all
        groups are done; ``seconds`` the wall time of each figure's compute and draw here.
        Called alone (e.g. ``run_group("distributed", out, quick=True)``), it makes that
        group's single-group figures.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    own_tmp = tmp is None
    tmp = Path(tempfile.mkdtemp(prefix="adamtheory-figures-")) if own_tmp else Path(tmp)
    note = report or (lambda *a: None)
    seconds: dict = {}

    def timed(kind, key, fn, *args):
        note(kind, key, group, None)
        t0 = time.perf_counter()
        value = fn(*args)
        secs = time.perf_counter() - t0
        seconds[key] = seconds.get(key, 0.0) + secs
        note({"compute": "computed", "draw": "drawn"}[kind], key, group, secs)
        return value

    try:
        data, entries = {}, {}
        for key, fig in FIGURES.items():
            if group in fig.groups and fig.compute is not None:
                data[key] = timed("compute", key, fig.compute, Job(fig, out, tmp, quick, group))
        for key, fig in FIGURES.items():
            if fig.groups == (group,):
                src = fig.data_of or key
                entries[key] = timed("draw", key, fig.draw, Job(fig, out, tmp, quick, group),
                                     {group: data[src]})
        parts = {k: v for k, v in data.items() if len(FIGURES[k].groups) > 1}
        return {"entries": entries, "parts": parts, "seconds": seconds}
    finally:
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)


_QUEUE = []  # in a pool worker: the queue its events go to the parent by
#: The pool workers' :func:`gc.set_threshold` (Python's default is (700, 10, 10)).
GC_THRESHOLDS = (50_000, 20, 20)


def _pool_init(queue, environ: dict, threads: int) -> None:
    _QUEUE[:] = [queue]
    # a forked worker starts with the fork server's environment: take the caller's, as a
    # spawned one would (the cache directory, for one, is read from it at each call)
    os.environ.clear()
    os.environ.update(environ)
    # The workers share the machine's cores. An OpenMP thread (numba's parallel kernels, torch)
    # that spins after its parallel region keeps a core from the other worker: on two cores,
    # two workers with spinning threads took 33 s for `figures --quick` and 23-24 s with
    # passive waits. Set before the OpenMP runtime of this process starts (its first parallel
    # kernel or `import torch`); a user's own setting is kept.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # A worker's heap holds the imported modules (sympy, numba, matplotlib, torch: about a
    # million objects); the cyclic collector's default thresholds scan it often while figures
    # are drawn and torch trains. Fewer collections: about 1 s less of a 2-core `figures
    # --quick` (medians of three, 20.6 -> 19.4 s); memory stays bounded (50 000 allocations).
    gc.set_threshold(*GC_THRESHOLDS)
    # Each worker's numba kernels take its share of the cores (``threads``): two workers whose
    # kernels each ran on every core switched between four threads on two cores (2-core
    # `figures --quick`: 21.2 -> 19.5 s with one thread each). A user's NUMBA_NUM_THREADS is
    # kept.
    if "NUMBA_NUM_THREADS" not in environ:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def _queue_report(*event) -> None:
    _QUEUE[0].put(event)


def _pool_group(group: str, out, quick: bool, tmp) -> dict:
    """:func:`run_group` in a pool worker, its events sent to the parent's queue."""
    return run_group(group, out, quick, tmp, report=_queue_report)


def draw_joined(key: str, out, quick: bool, tmp, parts: dict, report=None) -> dict:
    """Draw figure ``key`` whose data come from several groups (``parts``: group -> data);
    returns its manifest entry."""
    fig = FIGURES[key]
    report = report or (lambda *event: None)
    report("draw", key)
    t0 = time.perf_counter()
    entry = fig.draw(Job(fig, Path(out), Path(tmp), quick, "parent"), parts)
    report("drawn", key, "", time.perf_counter() - t0)
    return entry


def _pool_draw(key: str, out, quick: bool, tmp, parts: dict) -> dict:
    return draw_joined(key, out, quick, tmp, parts, report=_queue_report)


#: Where the seconds of the pool's tasks in the last run are kept (:mod:`adamtheory.usercache`):
#: ``{"groups": {group: s}, "joined": {figure: s}}``, for ordering the next run's groups when
#: its output directory holds no manifest.
TIMES_KIND = "pool-seconds"
#: Up to this many groups, :func:`pool_order` tries every order; beyond, longest first.
EXHAUSTIVE = 8
#: An order other than longest first must end sooner by this much (seconds, fraction) to be
#: taken by :func:`pool_order`.
MARGIN = (0.5, 0.03)


def _times_key(quick: bool) -> str:
    return "figures --quick" if quick else "figures"


def pool_makespan(order, groups: dict, joined: dict, processes: int) -> float:
    """The seconds until the pool is done, simulated: ``processes`` workers take the groups in
    ``order`` (``groups``: group -> seconds) first come first served, and each figure drawn
    from several groups (``joined``: figure -> (its groups, seconds)) joins the end of the
    queue once its groups are done, as :func:`make_figures` submits it.

    >>> pool_makespan(["x", "y"], {"x": 2.0, "y": 1.0}, {"j": (("x", "y"), 1.0)}, 2)
    3.0
    """
    queue = [(g, groups[g]) for g in order]
    waiting = {k: (gs, s) for k, (gs, s) in joined.items() if set(gs) <= set(order)}
    running, done, now, n = [], set(), 0.0, 0
    while queue or running:
        while queue and len(running) < processes:
            task, secs = queue.pop(0)
            heapq.heappush(running, (now + secs, n, task))
            n += 1
        now, _, task = heapq.heappop(running)
        done.add(task)
        for key, (gs, secs) in list(waiting.items()):
            if done >= set(gs):
                queue.append((key, secs))
                del waiting[key]
    return now


def pool_order(names: list, out, quick: bool, processes: int = 2) -> list:
    """The order in which the pool should take the groups, from the seconds of the last run's
    tasks: longest first, or an order whose :func:`pool_makespan` is shorter by more than
    :data:`MARGIN` (the best such; longest first alone beyond :data:`EXHAUSTIVE` groups). A
    longest-first order can leave the figures drawn from several groups to the end, after
    every group, when their groups are short.

    The seconds are the manifest's in ``out`` (``pool_seconds``), else those the last run on
    this machine left in the user cache (:data:`TIMES_KIND`); without them, or with a damaged
    record, registry order.
    """
    try:
        last = json.loads((Path(out) / "manifest.json").read_text())["pool_seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        last = read_entry(TIMES_KIND, __version__, _times_key(quick))
    try:
        groups = {g: float(last["groups"].get(g) or 0) for g in names}
        joined = {k: (fig.groups, float(last["joined"].get(k) or 0))
                  for k, fig in FIGURES.items() if len(fig.groups) > 1}
    except (ValueError, TypeError, AttributeError, KeyError):
        return list(names)
    longest = sorted(names, key=lambda g: -groups[g])
    if len(names) > EXHAUSTIVE:
        return longest
    # Longest first unless another order ends clearly sooner: the simulation knows neither
    # the workers' contention nor the seconds' spread from run to run (5-10 %).
    best, best_t = longest, pool_makespan(longest, groups, joined, processes)
    for order in itertools.permutations(longest):
        t = pool_makespan(order, groups, joined, processes)
        if t < best_t - max(MARGIN[0], MARGIN[1] * best_t):
            best, best_t = list(order), t
    return best


def _forward(queue, progress) -> None:
    """Hand the workers' events to ``progress`` until the ``None`` that ends them."""
    while (event := queue.get()) is not None:
        progress.event(*event)


#: What the pool's fork server imports before it forks the workers.
PRELOAD = ("adamtheory.figures", "numba", "matplotlib.pyplot", "xarray", "zarr")


def _in_pool(names, out, quick, tmp, processes, progress) -> dict:
    """Every group's :func:`run_group` in a pool of ``processes`` processes; their
    events reach ``progress`` through a queue read by a thread of this process."""
    import multiprocessing as mp
    import threading
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Where the platform has it, the workers are forked from a server that imported the
    # heavy modules once (no thread runs in it, so forking is safe), instead of each spawned
    # worker importing them again: about 2 s less of a 2-core `figures --quick` (25.7 -> 23.5 s).
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
    else:
        ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    reader = threading.Thread(target=_forward, args=(queue, progress), daemon=True)
    reader.start()
    try:
        with ProcessPoolExecutor(processes, mp_context=ctx, initializer=_pool_init,
                                 initargs=(queue, dict(os.environ),
                                           max(1, cpu_count() // processes))) as ex:
            futs = {ex.submit(_pool_group, g, str(out), quick, str(tmp)): g
                    for g in pool_order(names, out, quick, processes)}
            results, drawn = {}, {}
            # a figure of several groups is drawn in the pool as soon as its groups are done
            for fut in as_completed(list(futs)):
                results[futs[fut]] = fut.result()
                for key, fig in FIGURES.items():
                    if (len(fig.groups) > 1 and key not in drawn
                            and all(g in results for g in fig.groups)):
                        parts = {g: results[g]["parts"][key] for g in fig.groups}
                        drawn[key] = ex.submit(_pool_draw, key, str(out), quick, str(tmp), parts)
            for key, fut in drawn.items():
                results[FIGURES[key].groups[0]]["entries"][key] = fut.result()
            return results
    finally:
        queue.put(None)
        reader.join(timeout=10)
        queue.close()


def make_figures(out="figures", quick: bool = False, echo=print, processes: int = 2,
                 live: bool = False) -> dict:
    """Regenerate every registered figure into ``out`` and write ``out/manifest.json``.

    Parameters
    ----------
    out : path
        Output directory (created).
    quick : bool
        Small grids and fewer steps (about a minute on 2 cores).
    echo : callable
        Progress messages: one line per figure computed and drawn (``[done/total, elapsed]``),
        then the seconds of every figure (also stored as ``seconds`` in its manifest entry).
    processes : int
        1: compute in this process; N > 1: a pool of N processes over the worker groups (their
        progress reaches this process through a queue).
    live : bool
        Show the progress as a rich bar on stderr (a terminal) instead of lines through ``echo``.

    Returns
    -------
    dict
        The manifest.
    """
    if not isinstance(processes, int) or processes < 1:
        raise InputError(f"processes must be an integer >= 1, got {processes!r}")
    out = Path(out).expanduser().absolute()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"output directory {out}: cannot create it ({exc.strerror})") from None
    missing = [f"{k}: {n}" for k, fig in FIGURES.items() for full, q in fig.sweeps.values()
               for n in (full, q) if n is not None and not (sweeps_dir() / n).is_file()]
    if missing:
        raise InputError(f"figure sweep files missing from the installed package: {missing[0]} "
                         f"(in {sweeps_dir()}); reinstall adamtheory")
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="adamtheory-figures-"))
    names = groups()
    progress = FigureProgress(list(FIGURES), echo=echo, live=live)
    try:
        echo(f"adamtheory figures{' --quick' if quick else ''}: {len(FIGURES)} figures in "
             f"{processes} process(es) (numba compiles each problem family once; later runs "
             "load the kernels from the cache) ...")
        with progress:
            if processes > 1:
                results = _in_pool(names, out, quick, tmp, processes, progress)
            else:
                results = {g: run_group(g, out, quick, tmp, report=progress.event)
                           for g in names}
            entries = {k: v for r in results.values() for k, v in r["entries"].items()}
            for key, fig in FIGURES.items():
                if len(fig.groups) > 1 and key not in entries:
                    parts = {g: results[g]["parts"][key] for g in fig.groups}
                    entries[key] = draw_joined(key, out, quick, tmp, parts, progress.event)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    command = "adamtheory figures" + (" --quick" if quick else "")
    manifest = {"package": "adamtheory", "version": __version__, "command": command,
                "quick": quick, "figures": {}}
    for key, fig in FIGURES.items():
        manifest["figures"][key] = {"file": fig.files[0], **entries[key],
                                    "version": __version__, "made_by": command,
                                    "seconds": round(progress.seconds[key], 1)}
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    # what each task of the pool took: a group's computes and single-group draws in its
    # worker, the draw of a figure of several groups (what pool_order plans the next run by)
    manifest["pool_seconds"] = {
        "groups": {g: round(sum(r["seconds"].values()), 2) for g, r in results.items()},
        "joined": {k: round(progress.seconds[k] - sum(r["seconds"].get(k, 0.0)
                                                      for r in results.values()), 2)
                   for k, fig in FIGURES.items() if len(fig.groups) > 1}}
    tmpf = out / "manifest.json.tmp"
    tmpf.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=to_json))
    tmpf.replace(out / "manifest.json")
    write_entry(TIMES_KIND, __version__, _times_key(quick), manifest["pool_seconds"])
    c = manifest["figures"].get("c")
    if c is not None:
        echo(f"  (c) (s, r): guaranteed {c['guaranteed']} cells, mismatch {c['mismatch']}")
    for k, f in manifest["figures"].items():
        echo(f"  ({k}) {out / f['file']}")
    echo(progress.summary())
    echo(f"wrote {len(manifest['figures'])} figures and manifest.json to {out} in "
         f"{manifest['seconds']} s")
    return manifest
