"""Wall time of whole ``adamtheory`` commands, cold and warm kernel cache.

    python benchmarks/latency.py [--json] [--steps T] [--skip-figures] [--only NAME ...]

Each command runs as a new process (``python -m adamtheory ...``) twice with the same fresh
``ADAMTHEORY_CACHE_DIR``: *cold* (empty cache: the kernels compile) then *warm* (they load from
the cache). Commands:

* ``run`` of a catalog problem (logreg-nonconvex, Adam, T = 10^4 by default);
* ``run`` of a user problem file (``examples/my_problem.py``);
* a small sweep (6 x 6 grid of (s, r) on nonconvex-separable, 2000 steps, one seed), the same
  grid on the user problem file and a small distributed sweep (workers x compressor); for each,
  the sweep's own estimate (the seconds of its estimate line, stored as the dataset attribute
  ``estimated_seconds``) beside the measured wall time and their ratio, cold and warm (issue 15:
  within a factor of 2);
* ``prove --quick`` and ``prove --mutants --quick`` (the executable proof and its mutation suite:
  76 s and 69 s as test fixtures on a loaded 2-core machine);
* ``figures --quick`` (skipped with ``--skip-figures``).

A command that fails is reported with its exit status and the last line of its stderr.
The targets of issue 15: warm ``run`` <= 2 s, warm ``figures --quick`` <= 20 s.
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

ROOT = Path(__file__).resolve().parent.parent

SWEEP = """
[problem]
name = "nonconvex-separable"
[optimizer]
alpha = "0.05 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"
[grid]
s = { start = 0.1, stop = 1.0, num = 6 }
r = { start = 0.0, stop = 1.0, num = 6 }
[run]
steps = 2000
seeds = 1
"""

SWEEP_USER = SWEEP.replace('name = "nonconvex-separable"',
                           'name = "{root}/examples/my_problem.py:make"')

SWEEP_DIST = """
simulator = "distributed"
[settings]
problem = "nonconvex-separable"
sigma = 1.0
[grid]
workers = [1, 2, 4, 8]
compressor = ["identity64", "scaled_sign"]
[run]
steps = 2000
seeds = 2
"""


def timed(cmd, env, cwd, out=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - t0
    last = (r.stderr.strip().splitlines() or [""])[-1]
    row = {"seconds": round(wall, 3), "status": r.returncode,
           "compiled": "compiling kernels" in r.stderr,
           **({"error": last[:200]} if r.returncode else {})}
    if out is not None and r.returncode == 0:
        est = estimated(out)
        if est is not None:
            row["estimated_seconds"] = est
            row["ratio_estimate_to_measured"] = round(est / wall, 3)
    return row


def estimated(out: Path):
    """The ``estimated_seconds`` attribute of a sweep's results (None if absent)."""
    import zarr

    try:
        return zarr.open_group(str(out / "results.zarr"), mode="r").attrs.get("estimated_seconds")
    except Exception:  # noqa: BLE001 - a missing store is reported by the status
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--skip-figures", action="store_true")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="run only these commands (run_catalog, run_user_file, sweep_small, "
                    "sweep_user_file, sweep_distributed, prove_quick, prove_mutants, figures_quick)")
    a = ap.parse_args(argv)
    py = [sys.executable, "-m", "adamtheory"]
    with tempfile.TemporaryDirectory(prefix="adamtheory-latency-") as tmp:
        tmp = Path(tmp)
        (tmp / "sweep.toml").write_text(SWEEP)
        (tmp / "sweep_user.toml").write_text(SWEEP_USER.replace("{root}", str(ROOT)))
        (tmp / "sweep_dist.toml").write_text(SWEEP_DIST)
        cmds = {
            "run_catalog": py + ["run", "--problem", "logreg-nonconvex", "--optimizer", "adam",
                                 "--steps", str(a.steps)],
            "run_user_file": py + ["run", "--problem", f"{ROOT / 'examples' / 'my_problem.py'}"
                                   ":make", "--optimizer", "adam", "--steps", str(a.steps)],
            "sweep_small": py + ["sweep", str(tmp / "sweep.toml"), "-o", "{out}"],
            "sweep_user_file": py + ["sweep", str(tmp / "sweep_user.toml"), "-o", "{out}"],
            "sweep_distributed": py + ["sweep", str(tmp / "sweep_dist.toml"), "-o", "{out}"],
            # the executable proof and its mutation suite (their wall time was once asserted in
            # the tests; it is measured here)
            "prove_quick": py + ["prove", "--quick"],
            "prove_mutants": py + ["prove", "--mutants", "--quick"],
        }
        if not a.skip_figures:
            cmds["figures_quick"] = py + ["figures", "--quick", "-o", "{out}"]
        if a.only:
            cmds = {k: v for k, v in cmds.items() if k in a.only}
        out = {"steps": a.steps}
        for name, cmd in cmds.items():
            env = {**os.environ, "ADAMTHEORY_CACHE_DIR": str(tmp / f"cache-{name}")}
            row = {}
            for phase in ("cold", "warm"):
                dest = tmp / f"out-{name}-{phase}"
                row[phase] = timed([c.replace("{out}", str(dest)) for c in cmd], env, ROOT,
                                   dest if name.startswith("sweep") else None)
            out[name] = row
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        for name, row in out.items():
            if name == "steps":
                continue
            cells = "  ".join(f"{ph} {row[ph]['seconds']:7.2f} s"
                              + (f" (estimate {row[ph]['estimated_seconds']:6.2f} s, ratio "
                                 f"{row[ph]['ratio_estimate_to_measured']:.2f})"
                                 if "estimated_seconds" in row[ph] else "")
                              + ("" if row[ph]["status"] == 0 else
                                 f" (exit {row[ph]['status']}: {row[ph].get('error', '')})")
                              for ph in ("cold", "warm"))
            print(f"{name:<15} {cells}")
    return out


if __name__ == "__main__":
    main()
