"""Overhead of ``adamtheory sweep`` over the bare engine on an N×N (s, r) grid.

    python benchmarks/sweep.py [--grid N] [--steps T] [--workers W] [--json]

Problem reddi-sec5-online; α_t = 0.5 t^{-s} (s in [0.05, 1]), β = 0.9, θ_t = 1 - 0.01 t^{-r}
(r in [0, 1]), ε = 1e-8, generic form, one seed, default checkpoints, per-step metrics on and
regret on (the sweep's defaults for this online problem), so both sides do the same work:

* engine: numpy tables (one row per s, one per r) and one :func:`run_batch` call over the whole
  grid, plus the labels;
* sweep: :func:`adamtheory.sweep.run_sweep` from the sweep text, in this process (or with
  ``--workers``): validation and evaluation of every schedule on t = 1..T, chunking, writing every
  chunk with its checksum, and assembling ``results.zarr``.

The engine is compiled before either is timed. Prints both times and ``overhead_ratio`` =
sweep / engine (the target is at most 1.10 at N = 128, T = 10^5).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import counterexamples as cx
from adamtheory.engine import run_batch
from adamtheory.sweep import loads, open_results, run_sweep

TEXT = """
[problem]
name = "reddi-sec5-online"
[optimizer]
alpha = "0.5 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"
eps = 1e-8
[grid]
s = {{ start = 0.05, stop = 1.0, num = {n} }}
r = {{ start = 0.0,  stop = 1.0, num = {n} }}
[run]
steps = {steps}
seeds = 1
grad_metrics = true
"""


def bare_engine(n: int, steps: int):
    prob = cx.get("reddi-sec5-online")
    t = np.arange(1, steps + 1, dtype=np.float64)[:, None]
    s, r = np.linspace(0.05, 1.0, n), np.linspace(0.0, 1.0, n)
    A = np.ascontiguousarray(0.5 * t ** -s)
    TH = np.ascontiguousarray(1.0 - 0.01 * t ** -r)
    B = np.full((steps, 1), 0.9)
    res = run_batch(prob, A, B, TH, alpha_row=np.repeat(np.arange(n), n),
                    theta_row=np.tile(np.arange(n), n), eps=1e-8, seeds=0, grad_metrics=True)
    return res, res.labels()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=128)
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="adamtheory-bench-"))
    t0 = time.perf_counter()
    bare_engine(2, 300)  # compile
    compile_s = time.perf_counter() - t0
    # warm-up of the sweep's own imports (xarray, zarr, dask.array) on a tiny grid
    run_sweep(loads(TEXT.format(n=2, steps=300)), tmp / "warm", workers=a.workers, quiet=True)

    t0 = time.perf_counter()
    res, labels = bare_engine(a.grid, a.steps)
    engine_s = time.perf_counter() - t0

    try:
        sweep = loads(TEXT.format(n=a.grid, steps=a.steps), source="benchmark")
        t0 = time.perf_counter()
        run_sweep(sweep, tmp / "out", workers=a.workers, quiet=True)
        sweep_s = time.perf_counter() - t0
        ds = open_results(tmp / "out")
        n_chunks = int(ds.attrs["n_chunks"])
        same_labels = float(np.mean(ds.label.isel(seed=0).values.reshape(-1) == labels))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cs = a.grid * a.grid * a.steps
    out = {"grid": a.grid, "steps": a.steps, "workers": a.workers, "config_steps": cs,
           "compile_seconds": round(compile_s, 2), "engine_seconds": round(engine_s, 3),
           "sweep_seconds": round(sweep_s, 3), "overhead_ratio": round(sweep_s / engine_s, 4),
           "engine_config_steps_per_s": cs / engine_s, "sweep_config_steps_per_s": cs / sweep_s,
           "n_chunks": n_chunks, "label_agreement": same_labels}
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"grid {a.grid}x{a.grid}, {a.steps} steps ({cs:.3g} config-steps), "
              f"{n_chunks} chunks")
        print(f"  bare engine     {engine_s:8.2f} s  ({cs / engine_s:.3g} config-steps/s)")
        print(f"  adamtheory sweep {sweep_s:7.2f} s  ({cs / sweep_s:.3g} config-steps/s)")
        print(f"  overhead_ratio  {sweep_s / engine_s:.3f}   (labels agree on "
              f"{100 * same_labels:.1f}% of cells; the engine side uses numpy tables)")
    return out


if __name__ == "__main__":
    main()
