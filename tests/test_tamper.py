"""Tampered result directories: refused (one line, exit 2) or recomputed; never mixed results,
never code execution.

One small sweep of a *user* problem file (reddi-thm1 with C = 3, returned by a factory in a .py
file; 2 x 2 cells, one seed, T = 2000, one configuration per chunk) is run once; every test
tampers with a copy of its output directory.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from adamtheory.cli import main
from adamtheory.sweep import StoreError, open_results, run_sweep
from adamtheory.sweep import store as store_mod

PROBLEM = '''
import counterexamples


def make():
    return counterexamples.get("reddi-thm1", C={C})
'''

SWEEP = """
title = "tamper test"
[problem]
name = "prob.py:make"
[optimizer]
alpha = "0.5 * t**(-s)"
beta  = 0.9
theta = "1 - 0.01 * t**(-r)"
[grid]
s = { values = [0.5, 1.0] }
r = { values = [0.0, 1.0] }
[run]
steps = 2000
seeds = 1
chunk_size = 1
"""

PAYLOAD = '''
from pathlib import Path
Path({marker!r}).write_text("ran")


def make(**kw):
    Path({marker!r}).write_text("ran")
    raise SystemExit(0)
'''


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("tamper")
    (d / "prob.py").write_text(PROBLEM.format(C=3.0))
    (d / "s.toml").write_text(SWEEP)
    mp = pytest.MonkeyPatch()
    mp.chdir(d)
    try:
        run_sweep(d / "s.toml", d / "out", quiet=True)
    finally:
        mp.undo()
    return d


@pytest.fixture
def work(base, tmp_path, monkeypatch):
    """A copy of the base directory (problem file, sweep file, results) as the cwd."""
    d = tmp_path / "w"
    shutil.copytree(base, d)
    monkeypatch.chdir(d)
    return d


def values(ds) -> dict:
    return {k: np.asarray(ds[k].values) for k in ds.data_vars}


def same(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)


def one_line_exit_2(capsys, argv, needle=""):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and needle in err, err
    return err


def plots(d: Path) -> list:
    r = str(d / "out")
    return [["plot", "phase", r, "--x", "s", "--y", "r", "--overlay", "theory", "-o",
             str(d / "p.png")],
            ["plot", "trajectories", r, "--along", "s", "--slice", "r=1", "-o",
             str(d / "t.png")]]


def edit_attrs(z: Path, change) -> None:
    """Apply ``change(attrs)`` to the root attributes in .zattrs and in .zmetadata."""
    za = json.loads((z / ".zattrs").read_text())
    change(za)
    (z / ".zattrs").write_text(json.dumps(za))
    zm = json.loads((z / ".zmetadata").read_text())
    change(zm["metadata"][".zattrs"])
    (z / ".zmetadata").write_text(json.dumps(zm))


# ---------------------------------------------------------------------- attributes: no code runs
def test_edited_problem_name_never_runs_the_payload(work, capsys):
    marker = work / "MARKER"
    payload = PAYLOAD.format(marker=str(marker))
    (work / "payload.py").write_text(payload)
    (work / "out" / "payload.py").write_text(payload)
    (work / "prob.py").unlink()

    def change(a):
        a["sweep_toml"] = a["sweep_toml"].replace("prob.py:make", "payload.py:make")
        a["problem"] = "payload.py:make"

    edit_attrs(work / "out" / "results.zarr", change)
    for argv in plots(work):
        one_line_exit_2(capsys, argv, "sweep_toml' does not match the fingerprint")
    with pytest.raises(StoreError, match="sweep_toml"):
        open_results(work / "out")
    # even unverified, the plots read the stored verdicts and problem data: nothing runs
    from adamtheory.plotting import phase_diagram, trajectory_plot

    ds = open_results(work / "out", verify=False).load()
    res = phase_diagram(ds, "s", "r", work / "p.png", overlay="theory")
    assert res.mask is not None and res.mask.shape == (1, 2, 2)
    trajectory_plot(ds, "s", work / "t.png", slices={"r": 1.0})
    assert not marker.exists()


def test_plots_after_the_problem_file_is_gone(work, capsys):
    (work / "prob.py").unlink()
    for argv in plots(work):
        capsys.readouterr()
        assert main(argv) == 0, capsys.readouterr().err
    ds = open_results(work / "out").load()
    meta = json.loads(ds.attrs["problems"])[0]
    assert meta["name"] == "reddi-thm1" and meta["x_star"] == [-1.0]
    theory = json.loads(ds.attrs["theory"])
    assert len(theory["cells"]) == 4
    assert all(c["verdict"]["converges"] in (True, False, None) for c in theory["cells"].values())


@pytest.mark.parametrize("edit", ["title", "theory", "fingerprint", "array metadata"])
def test_edited_attributes_are_refused(work, capsys, edit):
    z = work / "out" / "results.zarr"
    if edit == "title":
        edit_attrs(z, lambda a: a.update(title="something else"))
    elif edit == "theory":
        def flip(a):
            t = json.loads(a["theory"])
            for c in t["cells"].values():
                c["verdict"]["converges"] = True
            a["theory"] = json.dumps(t)
        edit_attrs(z, flip)
    elif edit == "fingerprint":
        edit_attrs(z, lambda a: a.update(fingerprint="0" * 64))
    else:  # the label array's dims renamed in its own .zattrs only
        za = json.loads((z / "label" / ".zattrs").read_text())
        za["description"] = "edited"
        (z / "label" / ".zattrs").write_text(json.dumps(za))
    with pytest.raises(StoreError):
        open_results(work / "out")
    one_line_exit_2(capsys, plots(work)[0])


# ---------------------------------------------------------------------- the assembled arrays
def _data_chunk(z: Path, var: str) -> Path:
    files = sorted(p for p in (z / var).iterdir() if not p.name.startswith("."))
    assert files
    return files[0]


@pytest.mark.parametrize("var", ["x", "label", "s"])
def test_flipped_byte_in_results_zarr_is_detected(work, capsys, var):
    p = _data_chunk(work / "out" / "results.zarr", var)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="results were altered or damaged"):
        open_results(work / "out")
    one_line_exit_2(capsys, plots(work)[1])


def test_deleted_array_chunk_is_detected(work, capsys):
    _data_chunk(work / "out" / "results.zarr", "label").unlink()
    with pytest.raises(StoreError, match="label"):
        open_results(work / "out")
    one_line_exit_2(capsys, plots(work)[0], "label")


# ---------------------------------------------------------------------- chunks and resume
def _resume(work) -> int:
    return main(["sweep", "s.toml", "-o", "out", "--resume", "--quiet"])


def test_swapped_chunks_are_recomputed_not_read(work, base):
    ref = values(open_results(base / "out").load())
    ch = work / "out" / "chunks"
    fp = json.loads((work / "out" / "store.json").read_text())["fingerprint"]
    for ext in ("npz", "json"):
        shutil.copy(ch / f"c000001.{ext}", ch / f"c000000.{ext}")
    with pytest.raises(store_mod.InvalidChunk, match="chunk 1"):
        store_mod.read_chunk(work / "out", 0, fp)
    # a forged record (id and box of chunk 0, the data of chunk 1) is caught by the .npz's own id
    rec = json.loads((ch / "c000000.json").read_text())
    rec0 = json.loads((base / "out" / "chunks" / "c000000.json").read_text())
    rec.update(chunk=0, box=rec0["box"])
    (ch / "c000000.json").write_text(json.dumps(rec))
    with pytest.raises(store_mod.InvalidChunk, match="not this chunk"):
        store_mod.read_chunk(work / "out", 0, fp, box=[tuple(b) for b in rec0["box"]])
    assert _resume(work) == 0
    assert same(values(open_results(work / "out").load()), ref)


def test_flipped_byte_in_a_chunk_file_is_recomputed(work, base):
    ref = values(open_results(base / "out").load())
    p = work / "out" / "chunks" / "c000002.npz"
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    assert _resume(work) == 0
    assert same(values(open_results(work / "out").load()), ref)


def test_problem_file_edited_before_resume_is_refused(work, capsys):
    before = sorted((work / "out" / "chunks").iterdir())
    (work / "out" / "chunks" / "c000003.npz").unlink()
    (work / "out" / "chunks" / "c000003.json").unlink()
    (work / "prob.py").write_text(PROBLEM.format(C=5.0))  # another gradient
    err = one_line_exit_2(capsys, ["sweep", "s.toml", "-o", "out", "--resume", "--quiet"],
                          "different sweep")
    assert "problem" in err
    assert len(sorted((work / "out" / "chunks").iterdir())) == len(before) - 2
    # the same edit with a fresh directory is a new sweep on the new problem: no mixing
    assert main(["sweep", "s.toml", "-o", "out5", "--quiet"]) == 0
    a, b = open_results(work / "out5").load(), open_results(work / "out", verify=True).load()
    assert a.attrs["fingerprint"] != b.attrs["fingerprint"]


def test_a_store_of_other_code_is_not_resumed_but_still_read(work, capsys, monkeypatch):
    """Chunks computed by other code (an edited checkout, the same version string) never mix
    with this code's: the resume is refused with one line and nothing is written; the results
    stay readable. A store.json without the digest (an older store) is refused the same way."""
    from adamtheory.sweep import identity

    ref = values(open_results(work / "out").load())
    (work / "out" / "chunks" / "c000003.npz").unlink()
    (work / "out" / "chunks" / "c000003.json").unlink()
    before = sorted(p.name for p in (work / "out").rglob("*"))
    meta = json.loads((work / "out" / "store.json").read_text())
    assert meta["code"] == identity.code_digest()
    with monkeypatch.context() as mp:
        mp.setattr("adamtheory.sweep.runner.code_digest", lambda: "0" * 64)
        one_line_exit_2(capsys, ["sweep", "s.toml", "-o", "out", "--resume", "--quiet"],
                        "other adamtheory code")
    assert sorted(p.name for p in (work / "out").rglob("*")) == before
    del meta["code"]
    (work / "out" / "store.json").write_text(json.dumps(meta))
    one_line_exit_2(capsys, ["sweep", "s.toml", "-o", "out", "--resume", "--quiet"],
                    "package source differs")
    assert set(values(open_results(work / "out").load())) == set(ref)


def test_second_writer_refused_at_the_start(work, capsys):
    lock = store_mod.Lock(work / "out").acquire()
    try:
        one_line_exit_2(capsys, ["sweep", "s.toml", "-o", "out", "--resume", "--quiet"],
                        "in use by another sweep")
    finally:
        lock.release()
    assert _resume(work) == 0  # free again


def test_unreachable_scheduler_leaves_nothing(work, capsys):
    pytest.importorskip("distributed")
    one_line_exit_2(capsys, ["sweep", "s.toml", "-o", "new", "--scheduler",
                             "tcp://127.0.0.1:9", "--quiet"],
                    "scheduler tcp://127.0.0.1:9: cannot connect")
    assert not (work / "new").exists()
