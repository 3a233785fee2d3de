"""The result store (adamtheory.sweep.store) on its own: chunk files, records, checksums, the
writer's lock, store metadata.

No engine run: chunks are synthetic arrays written with :func:`write_chunk` into a plan laid out
by hand, so every test is about the store's promises — a chunk reads back bit for bit, and a
truncated, corrupted, swapped, foreign or half-written chunk is refused (never read as data).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

from adamtheory.sweep import StoreError
from adamtheory.sweep import store as S
from adamtheory.sweep.plan import Plan

FP = "f" * 64
OTHER_FP = "0" * 64


def plan(shape=(5, 3), chunk=(2, 3)) -> Plan:
    n = int(np.prod(shape))
    return Plan(shape=shape, chunk=chunk, tables_mode="global", stream=False, memory_needed=0,
                memory_available=1 << 30, result_bytes=0, config_steps=n * 10, processes=1)


def arrays(n: int, seed: int) -> dict:
    """One chunk's arrays: floats with NaN, ±inf and -0.0, small ints, 2-d rows."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    x[0, 0], x[-1, 1], x[-1, 2], x[0, 3] = np.nan, np.inf, -0.0, -np.inf
    return {"x": x, "label": rng.integers(0, 4, n).astype(np.int8),
            "stop_step": rng.integers(0, 10**12, n), "x_final": rng.standard_normal((n, 2))}


def write(out, p: Plan, cid: int, fp: str = FP, seed: int | None = None) -> dict:
    a = arrays(p.chunk_configs(cid), cid if seed is None else seed)
    S.write_chunk(out, fp, cid, a, {"configs": p.chunk_configs(cid)}, p.box(cid))
    return a


def read(out, p: Plan, cid: int, fp: str = FP):
    return S.read_chunk(out, cid, fp, p.chunk_configs(cid), p.box(cid))


def bitwise_equal(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        and a[k].tobytes() == b[k].tobytes() for k in a)


@pytest.fixture
def out(tmp_path):
    (tmp_path / "chunks").mkdir()
    return tmp_path


# ---------------------------------------------------------------------- round trip
def test_chunk_round_trip_is_bitwise(out):
    p = plan()
    for cid in range(p.n_chunks):
        written = write(out, p, cid)
        got, rec = read(out, p, cid)
        assert bitwise_equal(written, got)
        assert rec["chunk"] == cid and rec["box"] == [list(b) for b in p.box(cid)]
        assert rec["keys"] == sorted(written) and rec["fingerprint"] == FP
        assert rec["configs"] == p.chunk_configs(cid)  # the caller's meta is kept


def test_record_holds_the_sha256_and_size_of_the_data_file(out):
    p = plan()
    write(out, p, 1)
    data = S.chunk_path(out, 1).read_bytes()
    rec = json.loads(S.record_path(out, 1).read_text())
    assert rec["sha256"] == hashlib.sha256(data).hexdigest() and rec["bytes"] == len(data)
    assert S.read_record(out, 1, FP, p.box(1)) == rec


# ---------------------------------------------------------------------- refused chunks
def refused(out, p, cid, fp=FP, match=None):
    with pytest.raises(S.InvalidChunk, match=match):
        read(out, p, cid, fp)


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_flipped_byte_is_refused(out, where):
    p = plan()
    write(out, p, 0)
    path = S.chunk_path(out, 0)
    data = bytearray(path.read_bytes())
    i = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[where]
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
    refused(out, p, 0, match="checksum")


def test_a_truncated_data_file_is_refused(out):
    p = plan()
    write(out, p, 0)
    path = S.chunk_path(out, 0)
    path.write_bytes(path.read_bytes()[:-7])
    refused(out, p, 0, match="checksum")


def test_missing_or_unreadable_files_are_refused(out):
    p = plan()
    write(out, p, 0)
    write(out, p, 1)
    S.chunk_path(out, 0).unlink()
    refused(out, p, 0, match="missing")
    S.record_path(out, 1).write_text("{not json")
    refused(out, p, 1, match="unreadable record")
    refused(out, p, 2, match="no record")


def test_a_chunk_of_another_sweep_is_refused(out):
    p = plan()
    write(out, p, 0, fp=OTHER_FP)
    refused(out, p, 0, match="another sweep")


def test_swapped_chunk_files_are_refused(out):
    p = plan()
    write(out, p, 0)
    write(out, p, 1)
    for suffix in (S.chunk_path, S.record_path):  # swap both files of chunks 0 and 1
        a, b = suffix(out, 0), suffix(out, 1)
        da, db = a.read_bytes(), b.read_bytes()
        a.write_bytes(db)
        b.write_bytes(da)
    refused(out, p, 0, match="chunk 1, not of chunk 0")
    refused(out, p, 1, match="chunk 0, not of chunk 1")


def test_a_record_rewritten_to_match_a_copied_data_file_is_refused(out):
    """Defence in depth: chunk 1's data under chunk 2's name with a forged record (right id,
    box and checksum) is still refused by the id and box embedded in the data file."""
    p = plan(shape=(6, 3), chunk=(2, 3))
    write(out, p, 1)
    S.chunk_path(out, 1).replace(S.chunk_path(out, 2))
    rec = json.loads(S.record_path(out, 1).read_text())
    rec.update(chunk=2, box=[list(b) for b in p.box(2)])
    S.record_path(out, 2).write_text(json.dumps(rec))
    refused(out, p, 2, match="not this chunk")


def test_a_record_of_another_grid_position_is_refused(out):
    p = plan()
    write(out, p, 1)
    other = plan(shape=(5, 3), chunk=(1, 3))  # same id, another box
    with pytest.raises(S.InvalidChunk, match="grid position"):
        S.read_chunk(out, 1, FP, None, other.box(1))


def test_a_chunk_with_the_wrong_number_of_configurations_is_refused(out):
    p = plan()
    write(out, p, 0)
    with pytest.raises(S.InvalidChunk, match="wrong contents"):
        S.read_chunk(out, 0, FP, p.chunk_configs(0) + 1, p.box(0))


# ---------------------------------------------------------------------- half-written files
def test_atomic_write_leaves_the_old_file_or_none(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    S.atomic_write(path, b"old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        S.atomic_write(path, b"new, never complete")
    with pytest.raises(OSError):
        S.atomic_write(tmp_path / "g.bin", b"never")
    assert path.read_bytes() == b"old"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["f.bin"]  # no temporary left


@pytest.mark.parametrize("dies_at", [".npz", ".json"])
def test_a_writer_killed_mid_chunk_leaves_no_chunk(out, monkeypatch, dies_at):
    """Killed while writing either file of a chunk (the other written or not): the chunk is not
    read, and a scan removes what is left so that it is recomputed."""
    p = plan()
    real = S.atomic_write

    def die(path, data):
        if path.suffix == dies_at:
            path.with_name(f".{path.name}.1.dead.tmp").write_bytes(data[: len(data) // 2])
            raise KeyboardInterrupt  # the writer stops here
        real(path, data)

    monkeypatch.setattr(S, "atomic_write", die)
    with pytest.raises(KeyboardInterrupt):
        write(out, p, 0)
    monkeypatch.setattr(S, "atomic_write", real)
    with pytest.raises(S.InvalidChunk):
        read(out, p, 0)
    done, bad = S.scan(out, p, FP)
    assert done == {} and [c for c, _ in bad] in ([0], [])
    assert list((out / "chunks").iterdir()) == []  # nothing left: recomputed next time


def test_scan_keeps_verified_chunks_and_removes_the_rest(out):
    p = plan()
    for cid in range(p.n_chunks):
        write(out, p, cid)
    S.chunk_path(out, 1).write_bytes(b"garbage")           # corrupted
    write(out, p, 2, fp=OTHER_FP)                          # foreign
    (out / "chunks" / ".c000000.npz.123.abcd.tmp").write_bytes(b"half")  # a killed writer's
    S.atomic_write(S.chunk_path(out, 99), b"beyond the plan")  # not a chunk of this plan
    done, bad = S.scan(out, p, FP)
    assert sorted(done) == [0] and sorted(c for c, _ in bad) == [1, 2]
    assert all(isinstance(reason, str) and reason for _, reason in bad)
    assert done[0] == json.loads(S.record_path(out, 0).read_text())
    left = sorted(q.name for q in (out / "chunks").iterdir())
    assert left == ["c000000.json", "c000000.npz", "c000099.npz"]


def test_scan_of_a_store_without_chunks(tmp_path):
    assert S.scan(tmp_path, plan(), FP) == ({}, [])


# ---------------------------------------------------------------------- errors are one line
def test_write_failure_is_one_line_naming_the_fix(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError) as exc:
        S.write_chunk(blocker, FP, 0, arrays(2, 0), {}, ((0, 2),))
    msg = str(exc.value)
    assert "\n" not in msg and "chunk 0" in msg and "run again" in msg


# ---------------------------------------------------------------------- store metadata
def fake_sweep(text="[grid]\n", version="9.9"):
    canon = {"version": version, "sweep_sha256": hashlib.sha256(text.encode()).hexdigest()}
    return SimpleNamespace(text=text, fingerprint=FP, canonical=lambda: canon,
                           store_info=lambda: {"dim": 2})


def test_init_store_and_read_back(tmp_path):
    p = plan()
    S.init_store(tmp_path / "o", fake_sweep(), p)
    meta = S.read_store_meta(tmp_path / "o")
    assert meta["format"] == S.FORMAT and meta["fingerprint"] == FP
    assert meta["shape"] == list(p.shape) and meta["chunk"] == list(p.chunk)
    assert meta["n_chunks"] == p.n_chunks and meta["canonical"] == fake_sweep().canonical()
    assert meta["problem_info"] == {"dim": 2}  # what reading it back needs
    assert (tmp_path / "o" / "sweep.toml").read_text() == "[grid]\n"
    assert (tmp_path / "o" / "chunks").is_dir()
    assert S.read_store_meta(tmp_path / "empty") is None


@pytest.mark.parametrize("content, needle", [
    ("{oops", "unreadable"),
    (json.dumps({"format": "adamtheory-sweep/1"}), "older adamtheory"),
    (json.dumps({"format": "something-else"}), "not an adamtheory sweep store"),
    (json.dumps([1, 2]), "not an adamtheory sweep store"),
])
def test_bad_store_meta_is_one_line(tmp_path, content, needle):
    (tmp_path / "store.json").write_text(content)
    with pytest.raises(StoreError) as exc:
        S.read_store_meta(tmp_path)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_differences_name_the_changed_parts():
    old = {"version": "1", "sweep_sha256": "a", "problem_identity": {"x": 1}, "steps": 10}
    new = {"version": "2", "sweep_sha256": "a", "problem_identity": {"x": 2}, "steps": 10,
           "seeds": [0]}
    assert S.differences(old, new) == ["problem (name or file content)", "seeds",
                                       "package version"]
    assert S.differences(old, dict(old)) == []


def test_manifest_lists_records_in_chunk_order(tmp_path):
    recs = {3: {"chunk": 3}, 0: {"chunk": 0}, 1: {"chunk": 1}}
    S.write_manifest(tmp_path, recs, {"fingerprint": FP})
    body = json.loads((tmp_path / "manifest.json").read_text())
    assert [r["chunk"] for r in body["chunks"]] == [0, 1, 3] and body["fingerprint"] == FP


# ---------------------------------------------------------------------- the writer's lock
def test_lock_is_exclusive_and_released(tmp_path):
    first = S.Lock(tmp_path).acquire()
    with pytest.raises(StoreError) as exc:
        S.Lock(tmp_path).acquire()
    msg = str(exc.value)
    assert "in use by another sweep" in msg and f"pid {os.getpid()}" in msg and "\n" not in msg
    first.release()
    S.Lock(tmp_path).acquire().release()


def test_lock_of_a_killed_writer_is_free_again(tmp_path):
    code = ("import sys, time; from adamtheory.sweep.store import Lock; "
            "Lock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match=f"pid {proc.pid}"):
            S.Lock(tmp_path).acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:  # the kernel drops the lock with its holder
        try:
            S.Lock(tmp_path).acquire().release()
            break
        except StoreError:
            assert time.monotonic() < deadline, "the lock outlived its holder"
            time.sleep(0.05)
    assert (tmp_path / S.LOCK).exists()  # the file stays, unlocked


def test_code_digest_follows_the_code_that_computes(monkeypatch):
    """A changed byte in the engine, the simulators or the catalog (data included) changes the
    digest a resume is checked against; a changed figure or CLI module does not."""
    from pathlib import Path

    import adamtheory
    import counterexamples
    from adamtheory.sweep import identity

    pkg, cat = Path(adamtheory.__file__).parent, Path(counterexamples.__file__).parent
    real = Path.read_bytes
    identity.code_digest.cache_clear()
    try:
        base = identity.code_digest()
        for target, counts in ((pkg / "engine" / "kernels.py", True), (pkg / "schedules.py", True),
                               (cat / "rng.py", True), (cat / "data" / "breast_cancer.csv.gz", True),
                               (pkg / "cli" / "figures.py", False),
                               (pkg / "figures" / "a_reddi.py", False),
                               (pkg / "plotting" / "phase.py", False)):
            assert target.is_file()
            monkeypatch.setattr(Path, "read_bytes",
                                lambda self, t=target: real(self) + (b"#" if self == t else b""))
            identity.code_digest.cache_clear()
            assert (identity.code_digest() != base) == counts, target
    finally:
        monkeypatch.undo()
        identity.code_digest.cache_clear()
