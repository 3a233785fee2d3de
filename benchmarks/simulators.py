"""Throughput of the distributed and federated simulators against baselines in the same run.

    python benchmarks/simulators.py [--configs N] [--steps T] [--json]
    python benchmarks/simulators.py --latency [--json]

* distributed (:func:`adamtheory.distributed.simulator.simulate`, server-adam, identity64, no
  error feedback) on nonconvex-separable (d = 10, σ = 0.1), N configurations (seeds) × T steps,
  for 1 and 16 workers. Baseline: the single-machine engine (:func:`adamtheory.engine.run_batch`,
  per-step metrics off) on the same configurations, which is the same computation when there is
  one worker. Rates are stochastic gradients per second (configurations × steps × workers).
* federated (:func:`adamtheory.federated.simulator.run_many`): the six algorithms on heterogeneous
  least squares (M = 20, S = 5, K = 10, batch 16) for 4 seeds × R rounds. Baseline: the readable
  numpy loops of :mod:`adamtheory.federated.reference` on the same settings (one algorithm, one
  seed, R/10 rounds, scaled per local step). Rates are client local steps per second.

Compile time is excluded from every rate (a warm-up call first) and printed separately.

``--latency``: wall time of new processes, each run twice with the same fresh
``ADAMTHEORY_CACHE_DIR`` (*cold*: the kernels compile; *warm*: they load from the kernel cache,
:mod:`adamtheory.engine.cache`): ``python -c`` running
``adamtheory.figures.run_group(group, out, quick=True)`` for the groups ``distributed`` and
``federated`` (``seconds`` is the whole process, ``group_seconds`` the call alone), and the CLI
commands ``adamtheory distributed --steps 2000`` and ``adamtheory federated --problem lsq
--rounds 20``. ``compiled`` says whether the process printed "compiling kernels".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _best(fn, repeat: int = 2) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def distributed(n: int, steps: int) -> dict:
    import counterexamples
    from adamtheory.distributed.simulator import family_tables, simulate
    from adamtheory.engine import run_batch

    prob = counterexamples.get("nonconvex-separable", d=10, sigma=0.1)
    seeds = np.arange(n)
    A, B, TH = family_tables(steps, lr=0.1, s=0.5, beta=0.9, theta=0.1, r=1.0)  # one shared row
    t0 = time.perf_counter()
    simulate(prob, 10, seeds=seeds[:2], workers=1, alpha=A[:, :10], beta=B[:, :10],
             theta=TH[:, :10])
    compile_s = time.perf_counter() - t0
    out = {"configs": n, "steps": steps, "compile_seconds": round(compile_s, 1)}
    for w in (1, 16):
        secs = _best(lambda: simulate(prob, steps, seeds=seeds, workers=w, alpha=A, beta=B,
                                      theta=TH))
        out[f"workers_{w}_grads_per_s"] = n * steps * w / secs
    t = np.arange(1, steps + 1, dtype=float)
    alpha, beta, theta = 0.1 / np.sqrt(t), np.full(steps, 0.9), 1 - 0.1 / t
    run_batch(prob, alpha[:10], beta[:10], theta[:10], n=2, seeds=seeds[:2], grad_metrics=False)
    secs = _best(lambda: run_batch(prob, alpha, beta, theta, n=n, seeds=seeds,
                                   grad_metrics=False))
    out["engine_grads_per_s"] = n * steps / secs
    out["ratio_1_worker_to_engine"] = out["workers_1_grads_per_s"] / out["engine_grads_per_s"]
    out["ratio_16_workers_to_engine"] = out["workers_16_grads_per_s"] / out["engine_grads_per_s"]
    return out


def federated(rounds: int) -> dict:
    from adamtheory.federated.data import heterogeneous_lsq
    from adamtheory.federated.reference import reference_run
    from adamtheory.federated.simulator import run_many

    algos = ["fedavg", "fedadam", "local-adam", "fedcm", "scaffold", "fedlada"]
    common = dict(problem="lsq", M=20, S=5, K=10, batch=16, lr_local=0.01)
    configs = [dict(common, algorithm=a) for a in algos]
    seeds = (0, 1, 2, 3)
    t0 = time.perf_counter()
    run_many(configs, 2, seeds=seeds)
    compile_s = time.perf_counter() - t0
    secs = _best(lambda: run_many(configs, rounds, seeds=seeds))
    local_steps = len(configs) * len(seeds) * rounds * common["S"] * common["K"]
    kernel = local_steps / secs
    P = heterogeneous_lsq(20, 25, 20, 1.0, 0.1, seed=0)
    offsets = [25 * i for i in range(21)]
    r_ref = max(2, rounds // 10)
    secs_ref = _best(lambda: reference_run("fedlada", P["A"], P["b"], offsets, "lsq", S=5, K=10,
                                           B=16, lr_local=0.01, rounds=r_ref, seed=0), repeat=1)
    ref = r_ref * 5 * 10 / secs_ref
    return {"rounds": rounds, "configs": len(configs) * len(seeds),
            "compile_seconds": round(compile_s, 1), "kernel_local_steps_per_s": kernel,
            "reference_local_steps_per_s": ref, "ratio_kernel_to_reference": kernel / ref}


GROUP = """
import json, sys, tempfile, time
t0 = time.perf_counter()
from adamtheory.figures import run_group
with tempfile.TemporaryDirectory() as out:
    t1 = time.perf_counter()
    run_group(sys.argv[1], out, quick=True)
    t2 = time.perf_counter()
print(json.dumps({"import_seconds": t1 - t0, "group_seconds": t2 - t1}))
"""

COMMANDS = {
    "group distributed": [sys.executable, "-c", GROUP, "distributed"],
    "group federated": [sys.executable, "-c", GROUP, "federated"],
    "cli distributed": [sys.executable, "-m", "adamtheory", "distributed", "--steps", "2000",
                        "--workers", "1,8", "--compressor", "identity64,scaled_sign"],
    "cli federated": [sys.executable, "-m", "adamtheory", "federated", "--problem", "lsq",
                      "--rounds", "20"],
}


def _process(cmd, env) -> dict:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600,
                       cwd=Path(__file__).resolve().parent.parent)
    out = {"seconds": round(time.perf_counter() - t0, 2), "status": r.returncode,
           "compiled": "compiling kernels" in r.stderr}
    if r.returncode:
        out["error"] = (r.stderr.strip().splitlines() or [""])[-1][:200]
    elif cmd[1] == "-c":
        out.update({k: round(v, 2) for k, v in json.loads(r.stdout.splitlines()[-1]).items()})
    return out


def latency() -> dict:
    """Cold then warm wall time of each of :data:`COMMANDS` in new processes."""
    res = {}
    for name, cmd in COMMANDS.items():
        with tempfile.TemporaryDirectory(prefix="adamtheory-bench-cache-") as cdir:
            env = {**os.environ, "ADAMTHEORY_CACHE_DIR": cdir}
            res[name] = {"cold": _process(cmd, env), "warm": _process(cmd, env)}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", type=int, default=64, help="configurations (distributed)")
    ap.add_argument("--steps", type=int, default=5000, help="steps (distributed)")
    ap.add_argument("--rounds", type=int, default=200, help="rounds (federated)")
    ap.add_argument("--latency", action="store_true",
                    help="cold and warm wall time of new processes (figure groups, CLI)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.latency:
        res = latency()
    else:
        res = {"distributed": distributed(a.configs, a.steps), "federated": federated(a.rounds)}
    if a.json:
        print(json.dumps(res, indent=1))
        return
    for part, d in res.items():
        print(part)
        for k, v in d.items():
            print(f"  {k:<32} {v:.4g}" if isinstance(v, float) else f"  {k:<32} {v}")


if __name__ == "__main__":
    main()
