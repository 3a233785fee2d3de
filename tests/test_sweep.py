"""Tests of the sweep runner (adamtheory.sweep): files, chunks, resume, store, Dask, CLI.

Every run uses the periodic-linear family (reddi-sec5-online, reddi-thm1), so the engine compiles
once in this process; the process-pool, Dask and subprocess tests pay one compilation each.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from adamtheory.cli import main
from adamtheory.sweep import StoreError, load, loads, make_plan, open_results
from adamtheory.sweep import store as store_mod
from adamtheory.sweep.tables import validate

ROOT = Path(__file__).resolve().parents[1]

SMALL = """
[problem]
name = "reddi-sec5-online"

[optimizer]
alpha = "0.5 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"

[grid]
s = { start = 0.1, stop = 1.0, num = 4 }
r = { values = [0.0, 0.5, 1.0] }

[run]
steps = 3000
seeds = 2
"""


def sweep(argv) -> int:
    """The CLI path (switch to adamtheory.cli.main once 'sweep' is wired there)."""
    return main(["sweep", *map(str, argv)])


def write(tmp_path, text, name="s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def assert_bitwise(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for k in a.data_vars:
        x, y = np.asarray(a[k].values), np.asarray(b[k].values)
        assert x.shape == y.shape, k
        if x.dtype.kind == "f":
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), k
        else:
            assert np.array_equal(x, y), k
    for c in a.coords:
        assert np.array_equal(a[c].values, b[c].values), c


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """SMALL run in this process as one chunk."""
    d = tmp_path_factory.mktemp("ref")
    f = write(d, SMALL)
    assert sweep([f, "-o", d / "one", "--chunk-size", 10**6, "--quiet"]) == 0
    return f, open_results(d / "one").load()


# ---------------------------------------------------------------------- files and validation
#: every shipped sweep file: the examples and the figures' sweep files (package data)
SWEEP_FILES = sorted([*(ROOT / "examples").glob("*.toml"),
                      *(ROOT / "adamtheory" / "figures" / "sweeps").glob("*.toml")])


@pytest.mark.parametrize("path", SWEEP_FILES, ids=lambda p: p.name)
def test_examples_are_valid(path):
    sw = load(path)
    plan = make_plan(sw)
    validate(sw, keep=False)
    assert plan.n_chunks >= 1 and sw.n_configs >= 1


def test_factorized_dependencies():
    sw = loads(SMALL)
    assert sw.depends["alpha"] == (0,) and sw.depends["theta"] == (1,)
    assert sw.depends["beta"] == () and sw.n_rows("alpha") == 4 and sw.n_rows("theta") == 3
    named = SMALL.replace('alpha = "0.5 * t**(-s)"\nbeta  = "0.9"\ntheta = "1 - 0.01 * t**(-r)"',
                          'name = "adam"\nlr = 0.1').replace("s = {", "beta1 = {") \
        .replace("stop = 1.0, num = 4", "stop = 0.9, num = 4").replace("r = {", "beta2 = {") \
        .replace("[0.0, 0.5, 1.0]", "[0.5, 0.9, 0.99]")
    sw = loads(named)
    assert sw.depends == {"alpha": (), "beta": (0,), "theta": (1,), "problem": ()}


BAD = {
    "unknown problem": (("reddi-sec5-online", "reddi-sec5-onlin"), "did you mean 'reddi-sec5-online'"),
    "typo in a field": (("theta =", "tehta ="), "did you mean 'theta'"),
    "typo in run": (("steps =", "stpes ="), "did you mean 'steps'"),
    "empty range": (("num = 4", "num = 0"), "empty range"),
    "reversed range": (("start = 0.1, stop = 1.0", "start = 1.0, stop = 0.1"), "reversed range"),
    "theta >= 1 on the grid": (("1 - 0.01 * t**(-r)", "1 - 0.01 * t**(-r) + r/100"),
                               "θ_t must lie in [0, 1)"),
    "grid too large": (("num = 4", "num = 300000"), "of memory"),
    "unknown grid name": (("r = {", "q = { values = [1] }\nr = {"), "[grid] q"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_sweep_files_one_line_exit_2(tmp_path, capsys, case):
    (old, new), needle = BAD[case]
    text = SMALL.replace(old, new)
    if case == "grid too large":
        text = text.replace("[0.0, 0.5, 1.0]", "{ start = 0, stop = 1, num = 300000 }") \
            .replace("r = { values = { start", "r = { start").replace("300000 } }", "300000 }")
    assert text != SMALL
    out = tmp_path / "out"
    rc = sweep([write(tmp_path, text), "-o", out, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("adamtheory: error: "), err
    assert needle in err, err
    assert not out.exists()


def test_memory_refusal_and_existing_output(tmp_path, capsys):
    f = write(tmp_path, SMALL.replace("num = 4", "num = 400").replace(
        "[0.0, 0.5, 1.0]", "{ start = 0, stop = 1, num = 400 }").replace(
        "r = { values = { start", "r = { start").replace("400 } }", "400 }"))
    rc = sweep([f, "-o", tmp_path / "o", "--memory-limit", "300M", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "stream = true" in err and not (tmp_path / "o").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert sweep([write(tmp_path, SMALL, "b.toml"), "-o", tmp_path / "full", "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err


# ---------------------------------------------------------------------- results
def test_dataset_layout_and_agrees_with_simulate(reference):
    import counterexamples as cx
    from adamtheory.simulate import simulate
    from adamtheory.specs import OptimizerSpec

    f, ds = reference
    assert ds.x.dims == ("s", "r", "seed", "step") and ds.label.dims == ("s", "r", "seed")
    assert ds.attrs["sweep_toml"] == f.read_text() and ds.attrs["adamtheory_version"]
    assert set(np.unique(ds.label.values)) <= {"converged", "stuck", "diverged", "undecided"}
    assert "wall_seconds" in ds.attrs and ds.attrs["chunks_computed"] == 1
    df = ds.isel(step=-1).to_dataframe()
    assert len(df) == 4 * 3 * 2
    raw = xr.open_dataset(f.parent / "one" / "results.zarr")  # plain xarray reads it
    assert raw.sizes["step"] == ds.sizes["step"] and raw.attrs["sweep_toml"] == f.read_text()
    s, r = float(ds.s[2]), float(ds.r[1])
    spec = OptimizerSpec.from_text("0.5 * t**(-s)", "0.9", "1 - 0.01 * t**(-r)",
                                   params={"s": s, "r": r})
    run = simulate(spec, cx.get("reddi-sec5-online"), 3000, seed=1)
    for m, trace in run.traces.items():
        got = ds[m].isel(s=2, r=1, seed=1).values
        assert np.array_equal(trace.view(np.int64), got.view(np.int64)), m
    assert run.label == str(ds.label.isel(s=2, r=1, seed=1).values)


def test_named_optimizer_and_problem_axes(tmp_path):
    import counterexamples as cx
    from adamtheory.simulate import simulate
    from adamtheory.specs import named

    text = """
[problem]
name = "reddi-thm1"
[optimizer]
name = "adam"
lr = 0.1
[grid]
C = { values = [3, 5] }
beta1 = { values = [0.0, 0.9] }
beta2 = { start = 0.5, stop = 0.99, num = 3 }
[run]
steps = 2000
"""
    f = write(tmp_path, text)
    assert sweep([f, "-o", tmp_path / "o", "--chunk-size", 5, "--quiet"]) == 0
    ds = open_results(tmp_path / "o")
    assert ds.x.dims == ("C", "beta1", "beta2", "seed", "step")
    run = simulate(named("adam", lr=0.1, beta1=0.9, beta2=float(ds.beta2[2])),
                   cx.get("reddi-thm1", C=5), 2000)
    got = ds.x.isel(C=1, beta1=1, beta2=2, seed=0).values
    assert np.array_equal(run.traces["x"].view(np.int64), got.view(np.int64))


# ---------------------------------------------------------------------- determinism
def _bitwise_runs(tmp_path, reference, runs):
    f, ref = reference
    for name, extra in runs.items():
        out = tmp_path / name.replace(" ", "_")
        assert sweep([f, "-o", out, "--quiet", *extra]) == 0, name
        ds = open_results(out).load()
        assert_bitwise(ref, ds)
        assert ds.attrs["n_chunks"] > 1


def test_bitwise_identical_over_chunks_and_workers(tmp_path, reference):
    _bitwise_runs(tmp_path, reference, {"many chunks": ["--chunk-size", 5],
                                        "workers 2": ["--workers", 2, "--chunk-size", 6]})


def test_bitwise_identical_streamed_and_on_dask(tmp_path, reference):
    pytest.importorskip("dask")  # the dask extra: stream = true and --dask-local
    pytest.importorskip("distributed")
    _bitwise_runs(tmp_path, reference, {"stream": ["--chunk-size", 3, "--stream"],
                                        "dask-local 2": ["--dask-local", 2, "--chunk-size", 4]})
    ds = open_results(tmp_path / "dask-local_2")
    assert ds.attrs["backend"] == "dask"
    assert ds.attrs["scheduler"].startswith("tcp://127.0.0.1:")


# ---------------------------------------------------------------------- failures and resume
KILL = SMALL.replace("num = 4", "num = 16").replace("steps = 3000", "steps = 400000") \
    .replace("seeds = 2", "seeds = 1\nchunk_size = 6\ngrad_metrics = false")


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted(tmp_path, capsys):
    f = write(tmp_path, KILL)
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "adamtheory", "sweep", str(f), "-o",
                             str(out), "--quiet"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    n_chunks = make_plan(load(f)).n_chunks
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list((out / "chunks").glob("c*.json"))) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sorted((out / "chunks").glob("c*.json"))
    assert 2 <= len(finished) < n_chunks and not (out / "results.zarr").exists()
    mtimes = {p.name: p.stat().st_mtime_ns for p in finished}

    assert sweep([f, "-o", out, "--resume"]) == 0
    err = capsys.readouterr().err
    assert f"resuming: {len(finished)} of {n_chunks} chunks" in err
    for p in finished:  # skipped, not rewritten
        assert (out / "chunks" / p.name).stat().st_mtime_ns == mtimes[p.name]
    ds = open_results(out).load()
    assert ds.attrs["chunks_resumed"] == len(finished)
    assert ds.attrs["chunks_computed"] == n_chunks - len(finished)
    assert sweep([f, "-o", tmp_path / "whole", "--quiet"]) == 0
    assert_bitwise(open_results(tmp_path / "whole").load(), ds)


def test_corrupted_chunks_are_recomputed(tmp_path, capsys, reference):
    f, ref = reference
    out = tmp_path / "o"
    assert sweep([f, "-o", out, "--chunk-size", 4, "--quiet"]) == 0
    c0, c1, c2 = (store_mod.chunk_path(out, k) for k in (0, 1, 2))
    data = c0.read_bytes()
    c0.write_bytes(data[: len(data) // 2])  # truncated
    data = bytearray(c1.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte
    c1.write_bytes(bytes(data))
    store_mod.record_path(out, 2).unlink()  # killed between data and record
    with pytest.raises(store_mod.InvalidChunk):
        store_mod.read_chunk(out, 0, load(f).fingerprint)
    assert sweep([f, "-o", out, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "chunk 0: checksum mismatch" in err and "chunk 1: checksum mismatch" in err
    assert "chunk 2: no record" in err
    ds = open_results(out).load()
    assert ds.attrs["chunks_computed"] == 3
    assert_bitwise(ref, ds)


def test_failed_write_one_line_and_chunks_kept(tmp_path, capsys, monkeypatch, reference):
    f, ref = reference
    out = tmp_path / "o"
    real, calls = store_mod.atomic_write, {"n": 0}

    def flaky(path, data):
        if path.suffix == ".npz":
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data)

    monkeypatch.setattr(store_mod, "atomic_write", flaky)
    rc = sweep([f, "-o", out, "--chunk-size", 4, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "No space left on device" in err, err
    fp = load(f).fingerprint
    for k in (0, 1):
        store_mod.read_chunk(out, k, fp)  # intact
    assert not store_mod.chunk_path(out, 2).exists()
    assert not list((out / "chunks").glob(".*.tmp"))
    with pytest.raises(StoreError, match="not finished"):
        open_results(out)
    part = open_results(out, partial=True)
    assert part.attrs["chunks_done"] == 2
    monkeypatch.setattr(store_mod, "atomic_write", real)
    assert sweep([f, "-o", out, "--resume", "--quiet"]) == 0
    assert_bitwise(ref, open_results(out).load())
    # an output path that cannot be created: one line, exit 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert sweep([f, "-o", blocker / "sub", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("adamtheory: error:")


# ---------------------------------------------------------------------- honest estimates
def test_estimate_counts_compilation_and_verdicts_only_when_cold(tmp_path, monkeypatch):
    """An empty cache directory: the estimate adds the kernels' compile time and the verdicts
    of every cell, and says so; after a run (same cache directory) it adds neither."""
    from adamtheory.sweep import plan as plan_mod
    from adamtheory.sweep import run_sweep

    sw = loads(SMALL.replace("steps = 3000", "steps = 300"))
    session = os.environ["ADAMTHEORY_CACHE_DIR"]  # kernels other tests compiled: not asked
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "empty"))
    plan = make_plan(sw, 1)
    cold = plan_mod.estimate(sw, plan, 2)
    compile_s = plan_mod.ENGINE_COMPILE_SECONDS
    assert cold.compile == compile_s and cold.n_verdicts == 12
    assert cold.total >= cold.simulate + compile_s + 12 * plan_mod.VERDICT_SECONDS
    line = plan.describe(sw, 2)
    assert "compiling kernels" in line and "checking 12 cells" in line
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", session)
    run_sweep(sw, tmp_path / "out", quiet=True)
    warm = plan_mod.estimate(sw, plan, 2)
    assert warm.compile == 0 and warm.n_verdicts == 0 and warm.verdicts == 0
    assert warm.total < cold.total and "compiling kernels" not in plan.describe(sw, 2)


def test_distributed_estimate_counts_its_kernels_only_when_cold(tmp_path, monkeypatch):
    """The distributed simulator's kernels (run + schedule family) are counted while the kernel
    cache does not hold them, and not after a run has compiled them into it."""
    from adamtheory.sweep import plan as plan_mod
    from adamtheory.sweep import run_sweep

    text = ('simulator = "distributed"\n[settings]\nproblem = "nonconvex-separable"\nd = 3\n'
            '[grid]\nworkers = [1, 2]\n[run]\nsteps = 50\n')
    sw = loads(text)
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "cache"))
    plan = make_plan(sw, 1)
    cold = plan_mod.estimate(sw, plan, 2)
    assert cold.compile == 2 * plan_mod.DIST_COMPILE_SECONDS and cold.simulate > 0
    run_sweep(sw, tmp_path / "out", quiet=True)
    assert plan_mod.estimate(sw, plan, 2).compile == 0
