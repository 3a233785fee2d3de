"""Where chunks run (adamtheory.sweep.backends): in this process, in local worker processes, on a
local Dask cluster.

The promise checked: whoever computes a chunk writes the same chunk, bit for bit (a small real
engine sweep run by every backend); only the pending chunks run; records come back to the
calling thread once per chunk; the first failure is raised with its own type while finished
chunks stay valid in the store; a dead worker is one line; bad options are refused before
anything is written. Failures are planted with a tiny picklable stand-in sweep whose chunks are
plain numpy.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from adamtheory.errors import InputError
from adamtheory.sweep import backends as B
from adamtheory.sweep import loads, make_plan, run_sweep
from adamtheory.sweep.plan import Plan, cpu_count
from adamtheory.sweep.store import InvalidChunk, chunk_path, read_chunk

TEXT = """
[problem]
name = "reddi-sec5-online"

[optimizer]
alpha = "0.5 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"

[grid]
s = { start = 0.1, stop = 1.0, num = 4 }
r = { values = [0.0, 1.0] }

[run]
steps = 300
seeds = 2
"""


class Planted:
    """A stand-in sweep: chunk arrays from the configuration indices (plain numpy), with a
    planted exception or process death at one chunk. Module level, so workers can unpickle it.
    """

    def __init__(self, fingerprint="a" * 64, fail_at=None, die_at=None):
        self.fingerprint, self.fail_at, self.die_at = fingerprint, fail_at, die_at

    def compute_chunk(self, plan, cid):
        if cid == self.fail_at:
            raise ZeroDivisionError(f"planted failure in chunk {cid}")
        if cid == self.die_at:
            os._exit(3)
        flat = np.ravel_multi_index(tuple(plan.indices(cid)), plan.shape)
        x = np.cumsum(np.sin(0.1 * flat)) / (1 + flat)
        return {"x": x, "label": (flat % 4).astype(np.int8)}, {"config_steps": int(flat.size)}


def hand_plan(n=12, chunk=3) -> Plan:
    return Plan(shape=(n,), chunk=(chunk,), tables_mode="global", stream=False, memory_needed=0,
                memory_available=1 << 30, result_bytes=0, config_steps=n, processes=1)


def store(tmp_path, name) -> Path:
    out = tmp_path / name
    (out / "chunks").mkdir(parents=True)
    return out


class Collect:
    """``on_done``: records by chunk, and the threads they arrived in."""

    def __init__(self):
        self.records, self.threads = {}, set()

    def __call__(self, rec):
        assert rec["chunk"] not in self.records, "a chunk reported twice"
        self.records[rec["chunk"]] = rec
        self.threads.add(threading.get_ident())


def chunks(out, sweep, plan) -> dict:
    return {cid: read_chunk(out, cid, sweep.fingerprint, plan.chunk_configs(cid),
                            plan.box(cid))[0] for cid in range(plan.n_chunks)}


def bitwise(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[c].keys() == b[c].keys() and all(
            a[c][k].dtype == b[c][k].dtype and a[c][k].tobytes() == b[c][k].tobytes()
            for k in a[c]) for c in a)


# ---------------------------------------------------------------------- the same chunks
@pytest.fixture(scope="module")
def dask_conn():
    """One local Dask cluster (2 workers on 127.0.0.1) for the Dask tests of this module."""
    pytest.importorskip("distributed")  # the dask extra
    conn = B.connect_dask(local=2)
    yield conn
    conn.close()


def run_everywhere(sweep, plan, tmp_path, dask_conn=None) -> dict:
    """Every backend runs every chunk into its own store; returns {backend: chunks}."""
    out = {}
    for name in ("serial", "processes", "dask"):
        if name == "dask" and dask_conn is None:
            continue
        d = store(tmp_path, name)
        done = Collect()
        pending = range(plan.n_chunks)
        if name == "serial":
            B.run_local(sweep, plan, d, pending, done)
        elif name == "processes":
            B.run_processes(sweep, plan, d, pending, done, workers=2)
        else:
            info = B.run_dask(sweep, plan, d, pending, done, conn=dask_conn)
            assert info["scheduler"].startswith("tcp://127.0.0.1:") and info["dask_workers"] == 2
        assert sorted(done.records) == list(range(plan.n_chunks)), name
        assert done.threads == {threading.get_ident()}, name  # records in the calling thread
        if name != "serial":
            assert os.getpid() not in {r["pid"] for r in done.records.values()}, name
        out[name] = chunks(d, sweep, plan)
    return out


def test_every_backend_writes_the_same_chunks(tmp_path, request):
    conn = request.getfixturevalue("dask_conn") if _has("distributed") else None
    sw, plan = Planted(), hand_plan(n=10, chunk=3)
    got = run_everywhere(sw, plan, tmp_path, conn)
    assert all(bitwise(got["serial"], other) for other in got.values())
    if conn is None:
        pytest.skip("serial and processes agree; dask not installed (the dask extra)")


def test_engine_chunks_are_bitwise_the_same_in_worker_processes(tmp_path):
    """The real engine on a small sweep: a chunk computed in a spawned worker is the chunk
    computed in this process, bit for bit (Dask workers: tests/test_sweep.py end to end)."""
    sw = loads(TEXT)
    plan = make_plan(sw, chunk_size=4)
    assert plan.n_chunks == 4
    got = run_everywhere(sw, plan, tmp_path)
    assert bitwise(got["serial"], got["processes"])
    assert all(np.isfinite(c["fgap"]).any() for c in got["serial"].values())  # real numbers


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------- pending, failures
def test_only_pending_chunks_run(tmp_path):
    sw, plan = Planted(), hand_plan()
    out = store(tmp_path, "o")
    done = Collect()
    B.run_local(sw, plan, out, [1, 3], done)
    assert sorted(done.records) == [1, 3]
    assert [cid for cid in range(plan.n_chunks) if chunk_path(out, cid).exists()] == [1, 3]


def test_serial_failure_keeps_the_finished_chunks(tmp_path):
    sw, plan = Planted(fail_at=2), hand_plan()
    out = store(tmp_path, "o")
    done = Collect()
    with pytest.raises(ZeroDivisionError, match="planted failure in chunk 2"):
        B.run_local(sw, plan, out, range(plan.n_chunks), done)
    assert sorted(done.records) == [0, 1]
    for cid in (0, 1):
        read_chunk(out, cid, sw.fingerprint, 3, plan.box(cid))  # valid, kept
    for cid in (2, 3):
        with pytest.raises(InvalidChunk):
            read_chunk(out, cid, sw.fingerprint, 3, plan.box(cid))


def test_worker_failure_is_raised_with_its_type_and_finished_chunks_stay(tmp_path):
    sw, plan = Planted(fail_at=0), hand_plan(n=4, chunk=1)
    out = store(tmp_path, "o")
    done = Collect()
    with pytest.raises(ZeroDivisionError, match="planted failure in chunk 0"):
        B.run_processes(sw, plan, out, range(plan.n_chunks), done, workers=2)
    assert 0 not in done.records and not chunk_path(out, 0).exists()
    for cid in done.records:  # whatever finished was reported and is valid
        read_chunk(out, cid, sw.fingerprint, 1, plan.box(cid))
    for cid in range(1, plan.n_chunks):
        if cid not in done.records:
            assert not chunk_path(out, cid).exists() or read_chunk(
                out, cid, sw.fingerprint, 1, plan.box(cid))


def test_a_dead_worker_is_one_line_and_the_pool_is_replaced(tmp_path):
    plan = hand_plan(n=4, chunk=2)
    with pytest.raises(RuntimeError) as exc:
        B.run_processes(Planted(die_at=1), plan, store(tmp_path, "a"), range(plan.n_chunks),
                        Collect(), workers=2)
    msg = str(exc.value)
    assert "\n" not in msg and "worker process died" in msg and "run again" in msg
    done = Collect()  # the next run gets a working pool
    B.run_processes(Planted(), plan, store(tmp_path, "b"), range(plan.n_chunks), done, workers=2)
    assert sorted(done.records) == [0, 1]


def test_dask_failure_is_raised_with_its_type(tmp_path, dask_conn):
    sw, plan = Planted(fail_at=1), hand_plan(n=6, chunk=2)
    out = store(tmp_path, "o")
    done = Collect()
    with pytest.raises(ZeroDivisionError, match="planted failure in chunk 1"):
        B.run_dask(sw, plan, out, range(plan.n_chunks), done, conn=dask_conn)
    assert 1 not in done.records and not chunk_path(out, 1).exists()
    for cid in done.records:
        read_chunk(out, cid, sw.fingerprint, 2, plan.box(cid))


# ---------------------------------------------------------------------- options
@pytest.mark.parametrize("kw, needle", [
    ({"workers": 0}, "workers must be an integer >= 1"),
    ({"workers": 2.0}, "workers must be an integer >= 1"),
    ({"workers": "2"}, "workers must be an integer >= 1"),
    ({"dask_local": 0}, "dask_local must be an integer >= 1"),
    ({"dask_local": 2, "scheduler": "tcp://127.0.0.1:8786"}, "not both"),
    ({"dask_local": 2, "workers": 2}, "workers is for local processes"),
    ({"chunk_size": 0}, "chunk_size must be an integer >= 1"),
])
def test_bad_options_are_refused_before_anything_is_written(tmp_path, kw, needle):
    out = tmp_path / "out"
    with pytest.raises(InputError) as exc:
        run_sweep(loads(TEXT), out, quiet=True, **kw)
    assert needle in str(exc.value) and "\n" not in str(exc.value)
    assert "--" not in str(exc.value)  # a library error names parameters, not CLI flags
    assert not out.exists()


def test_dask_options_without_dask_name_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    out = tmp_path / "out"
    with pytest.raises(InputError) as exc:
        run_sweep(loads(TEXT), out, dask_local=2, quiet=True)
    assert "adamtheory[dask]" in str(exc.value) and "\n" not in str(exc.value)
    assert not out.exists()
    with pytest.raises(InputError) as exc:
        B.connect_dask(local=2)
    assert "adamtheory[dask]" in str(exc.value) and "\n" not in str(exc.value)


def test_cores_for():
    assert B.cores_for(1, None) == B.cores_for(4, None) == cpu_count()
    assert B.cores_for(1, 1) == 1 and B.cores_for(1, 10**6) == cpu_count()
