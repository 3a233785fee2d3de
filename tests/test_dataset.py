"""The assembled dataset of a sweep (adamtheory.sweep.dataset) from synthetic chunks.

No engine run: every chunk is written with values that encode the configuration's flat index
(C order of ``(*axes, seed)``) and the checkpoint, so the assembled arrays show where each
number landed. Checked: dimensions, coordinates and dtypes, the metric variables (one per entry
of :mod:`adamtheory.engine.metrics`) with their descriptions, decoded labels and flags, the
attributes, the memory estimate against the real arrays, partial and streamed assembly, and that
damaged chunks or results are refused.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import xarray as xr

from adamtheory.engine import FLAG_NAMES, LABELS
from adamtheory.engine.metrics import METRICS, NAMES
from adamtheory.sweep import StoreError, loads, make_plan, open_results
from adamtheory.sweep.dataset import RESULTS, assemble
from adamtheory.sweep.store import chunk_path, init_store, write_chunk

TEXT = """
title = "synthetic"

[problem]
name = "reddi-sec5-online"

[optimizer]
alpha = "0.5 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"

[grid]
s = { start = 0.25, stop = 1.0, num = 4 }
r = { values = [0.0, 0.5, 1.0] }

[run]
steps = 500
seeds = [3, 7]
checkpoints = [1, 10, 100]
"""

# a problem-parameter axis over the dimension: x_final gets a coord dimension
TEXT_D = """
[problem]
name = "nonconvex-separable"

[optimizer]
alpha = "0.1"
beta  = "0.9"
theta = "0.999"

[grid]
d = { values = [1, 3] }

[run]
steps = 50
seeds = 2
"""

FLAG_CODES = np.array(sorted(FLAG_NAMES), dtype=np.int8)
EXTRA = ("label", "flag", "stop_step", "x_final")


def metric_value(flat, j, k):
    """Metric k at checkpoint j of configuration ``flat``: exactly representable, distinct."""
    return flat * 1000.0 + j + k / 16.0


def chunk_arrays(sweep, flat) -> dict:
    n_ck = sweep.checkpoints.size
    out = {m: metric_value(flat[:, None], np.arange(n_ck)[None, :], k)
           for k, m in enumerate(NAMES)}
    out["x"][flat % 5 == 0, 0] = np.nan  # NaN survives the trip
    out["label"] = (flat % len(LABELS)).astype(np.int8)
    out["flag"] = FLAG_CODES[flat % FLAG_CODES.size]
    out["stop_step"] = flat * 7
    out["x_final"] = flat[:, None] + np.arange(sweep.dim)[None, :] / 8.0
    return out


def write_store(out, sweep, plan, skip=()):
    """A store whose chunks hold :func:`chunk_arrays` (chunks in ``skip`` left out)."""
    init_store(out, sweep, plan)
    for cid in range(plan.n_chunks):
        if cid in skip:
            continue
        flat = np.ravel_multi_index(tuple(plan.indices(cid)), sweep.shape)
        write_chunk(out, sweep.fingerprint, cid, chunk_arrays(sweep, flat),
                    {"config_steps": flat.size * sweep.steps}, plan.box(cid))


def expected(sweep) -> dict:
    flat = np.arange(sweep.n_configs)
    arrs = chunk_arrays(sweep, flat)
    shape = sweep.shape
    out = {k: v.reshape(shape + v.shape[1:]) for k, v in arrs.items()}
    out["label"] = np.array(LABELS)[out["label"]]
    out["flag"] = np.array([FLAG_NAMES[int(c)] for c in arrs["flag"]]).reshape(shape)
    if sweep.dim == 1:
        out["x_final"] = out["x_final"][..., 0]
    return out


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f":
        return a.shape == b.shape and a.tobytes() == b.astype(a.dtype).tobytes()
    return a.shape == b.shape and bool((a == b).all())


@pytest.fixture(scope="module")
def sweep():
    return loads(TEXT)


@pytest.fixture(scope="module")
def assembled(sweep, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "out"
    plan = make_plan(sweep, chunk_size=5)
    write_store(out, sweep, plan)
    assemble(out, sweep, plan, {"backend": "synthetic"})
    return out, plan, open_results(out).load()


# ---------------------------------------------------------------------- structure
def test_variables_dims_and_dtypes(sweep, assembled):
    _, _, ds = assembled
    assert set(ds.data_vars) == {*NAMES, *EXTRA}
    grid = ("s", "r", "seed")
    for m in NAMES:
        assert ds[m].dims == grid + ("step",) and ds[m].dtype == np.float64
        assert ds[m].attrs["description"] == METRICS[m].description
    assert ds.label.dims == grid and ds.label.dtype.kind == "U"
    assert ds.flag.dims == grid and ds.flag.dtype.kind == "U"
    assert ds.stop_step.dims == grid and ds.stop_step.dtype == np.int64
    assert ds.x_final.dims == grid and ds.x_final.dtype == np.float64
    assert dict(ds.sizes) == {"s": 4, "r": 3, "seed": 2, "step": 4}


def test_coordinates(sweep, assembled):
    _, _, ds = assembled
    assert same(ds.s.values, np.linspace(0.25, 1.0, 4)) and same(ds.r.values, [0.0, 0.5, 1.0])
    assert list(ds.seed.values) == [3, 7]
    assert list(ds.step.values) == [1, 10, 100, 500]  # the horizon is always a checkpoint
    for a in sweep.axes:
        assert ds[a.name].attrs["sets"] == a.kind == "schedule"
        assert ds[a.name].attrs["grid"] == a.spec


def test_every_value_lands_at_its_configuration(sweep, assembled):
    _, _, ds = assembled
    want = expected(sweep)
    for k in (*NAMES, *EXTRA):
        assert same(ds[k].values, want[k]), k
    assert set(np.unique(ds.label.values)) <= set(LABELS)
    assert set(np.unique(ds.flag.values)) <= set(FLAG_NAMES.values())
    # label-based selection: seed 7 of the cell (s = 0.5, r = 1.0) is flat index 2·(1·3+2)+1
    cell = ds.sel(s=0.5, r=1.0, seed=7)
    assert float(cell.fgap.sel(step=10)) == metric_value(11, 1, NAMES.index("fgap"))
    assert str(cell.label.values) == LABELS[11 % len(LABELS)]


def test_layout_does_not_change_the_dataset(sweep, assembled, tmp_path):
    _, _, ref = assembled
    for size in (1, 7, 10**6):
        out = tmp_path / f"c{size}"
        plan = make_plan(sweep, chunk_size=size)
        write_store(out, sweep, plan)
        assemble(out, sweep, plan, {"backend": "synthetic"})
        ds = open_results(out).load()
        assert ds.attrs["n_chunks"] == plan.n_chunks
        for k in ref.data_vars:
            assert same(ds[k].values, ref[k].values), (size, k)


def test_attributes(sweep, assembled):
    out, plan, ds = assembled
    a = ds.attrs
    assert a["title"] == "synthetic" and a["sweep_toml"] == TEXT
    assert a["fingerprint"] == sweep.fingerprint
    canon = json.loads(a["canonical"])
    assert hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest() \
        == a["fingerprint"]
    assert a["steps"] == 500 and a["n_configs"] == 24 and a["dim"] == 1
    assert a["problem"] == "reddi-sec5-online" and a["backend"] == "synthetic"
    assert a["chunk_shape"] == list(plan.chunk) and a["n_chunks"] == plan.n_chunks
    assert len(json.loads(a["problems"])) == sweep.n_rows("problem")


def test_memory_estimate_is_the_size_of_the_results(assembled):
    _, plan, ds = assembled
    assert plan.result_bytes == sum(v.nbytes for v in ds.data_vars.values())


def test_plain_xarray_reads_it(assembled):
    out, _, ds = assembled
    plain = xr.open_zarr(out / RESULTS, consolidated=True)
    assert same(plain.regret.values, ds.regret.values)
    table = ds.isel(step=-1).to_dataframe()
    assert len(table) == 24 and {"fgap", "label"} <= set(table.columns)


def test_opened_without_dask_is_the_same_dataset(assembled):
    out, _, ds = assembled
    lazy = open_results(out)
    plain = open_results(out, chunks=None)
    assert all(v.chunks is not None for v in lazy.data_vars.values())
    assert all(v.chunks is None for v in plain.data_vars.values())
    xr.testing.assert_identical(plain.load(), ds)


def test_dimension_axis_gives_a_coord_dimension(tmp_path):
    sw = loads(TEXT_D)
    assert sw.dim == 3
    plan = make_plan(sw, chunk_size=2)
    write_store(tmp_path, sw, plan)
    assemble(tmp_path, sw, plan, {})
    ds = open_results(tmp_path).load()
    assert ds.x_final.dims == ("d", "seed", "coord") and list(ds.coord.values) == [0, 1, 2]
    assert ds.fgap.dims == ("d", "seed", "step")
    assert same(ds.x_final.values, expected(sw)["x_final"])
    assert ds.attrs["dim"] == 3 and len(json.loads(ds.attrs["problems"])) == 2
    assert ds.d.attrs["sets"] == "problem"


# ---------------------------------------------------------------------- partial, streamed
def test_partial_dataset_of_an_unfinished_sweep(sweep, tmp_path):
    plan = make_plan(sweep, chunk_size=5)
    write_store(tmp_path, sweep, plan, skip={1, 3})
    with pytest.raises(StoreError) as exc:
        open_results(tmp_path)
    assert "not finished" in str(exc.value) and "\n" not in str(exc.value)
    ds = open_results(tmp_path, partial=True)
    assert ds.attrs["partial"] == 1 and ds.attrs["chunks_done"] == plan.n_chunks - 2
    want = expected(sweep)
    missing = np.zeros(sweep.shape, bool)
    for cid in (1, 3):
        missing[plan.slices(cid)] = True
    assert (ds.label.values[missing] == "").all() and np.isnan(ds.dist.values[missing]).all()
    assert same(ds.label.values[~missing], want["label"][~missing])
    assert same(ds.dist.values[~missing], want["dist"][~missing])


def test_streamed_assembly_is_the_same_dataset(sweep, assembled, tmp_path):
    pytest.importorskip("dask")  # stream = true assembles with dask arrays
    _, _, ref = assembled
    plan = make_plan(sweep, chunk_size=5, stream=True)
    write_store(tmp_path, sweep, plan)
    assemble(tmp_path, sweep, plan, {"backend": "synthetic"})
    ds = open_results(tmp_path).load()
    assert set(ds.data_vars) == set(ref.data_vars)
    for k in ref.data_vars:
        assert ds[k].dims == ref[k].dims and ds[k].dtype == ref[k].dtype, k
        assert same(ds[k].values, ref[k].values), k


# ---------------------------------------------------------------------- refusals
def test_an_invalid_chunk_is_not_assembled(sweep, tmp_path):
    plan = make_plan(sweep, chunk_size=5)
    write_store(tmp_path, sweep, plan)
    p = chunk_path(tmp_path, 2)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(StoreError) as exc:
        assemble(tmp_path, sweep, plan, {})
    msg = str(exc.value)
    assert "chunk 2" in msg and "recompute it" in msg and "\n" not in msg
    assert not (tmp_path / RESULTS).exists()


def test_an_invalid_chunk_met_while_streaming_leaves_nothing(sweep, tmp_path):
    """Streamed assembly stops at a damaged chunk and removes its half-written dataset."""
    pytest.importorskip("dask")
    plan = make_plan(sweep, chunk_size=5, stream=True)
    write_store(tmp_path, sweep, plan)
    p = chunk_path(tmp_path, plan.n_chunks - 1)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        assemble(tmp_path, sweep, plan, {})
    assert not (tmp_path / RESULTS).exists()
    assert not [q.name for q in tmp_path.iterdir() if q.name.startswith(f".{RESULTS}")]


def test_altered_results_are_refused(sweep, tmp_path):
    plan = make_plan(sweep, chunk_size=5)
    write_store(tmp_path, sweep, plan)
    z = assemble(tmp_path, sweep, plan, {})
    target = next(q for q in sorted((z / "fgap").iterdir()) if not q.name.startswith("."))
    data = bytearray(target.read_bytes())
    data[-1] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(StoreError) as exc:
        open_results(tmp_path)
    assert "\n" not in str(exc.value)
    assert "fgap" in open_results(tmp_path, verify=False).data_vars  # opt-out still opens
