"""Assemble the finished chunks into a labelled dataset (xarray) and open it again.

The dataset has dimensions ``(*grid axes, seed)`` plus ``step`` for the metrics (the checkpoint
steps) and ``coord`` for the final iterate; coordinates hold the axis values. Variables:

* metrics ``x dist fgap gnorm pgnorm regret grad43 gradmin2`` (float64, ``(..., seed, step)``),
  defined in :mod:`adamtheory.engine.batch`;
* ``label`` (``converged`` / ``stuck`` / ``diverged`` / ``undecided``, see
  :mod:`adamtheory.engine.classify`), ``flag`` (``ok`` / ``nan`` / ``overflow``), ``stop_step``;
* ``x_final`` (``(..., seed, coord)``).

Attributes hold the sweep file (``sweep_toml``), the package version, the fingerprint and the
timings. Stored as zarr (format 2: its fixed-width strings have a stable specification, unlike
zarr 3's) with one zarr chunk per sweep chunk; :func:`open_results` or a plain
``xarray.open_zarr(OUT / "results.zarr")`` reads it, ``ds.to_dataframe()`` makes a pandas table.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import FLAG_NAMES, LABELS
from .compute import METRICS
from .errors import StoreError
from .store import InvalidChunk, _oserror, read_chunk

RESULTS = "results.zarr"
_LABELS = np.array(list(LABELS) + [""], dtype="<U9")  # "" = not computed (partial datasets)
_FLAGS = np.array([FLAG_NAMES[k] for k in sorted(FLAG_NAMES)], dtype="<U8")
DESCRIPTIONS = {
    "x": "iterate (d = 1) or its Euclidean norm", "dist": "||x - x*||",
    "fgap": "f(x) - f* (f(x) when f* is unknown)", "gnorm": "||grad f(x)||",
    "pgnorm": "projected-gradient norm", "regret": "average regret R_t / t",
    "grad43": "(1/t) sum_k ||grad f(x_k)||^(4/3)", "gradmin2": "min_k ||grad f(x_k)||^2",
    "label": "converged / stuck / diverged / undecided", "flag": "engine flag: ok / nan / overflow",
    "stop_step": "step at which a flagged run stopped (0: ran to the end)",
    "x_final": "final iterate",
}


@dataclass(frozen=True)
class Var:
    """One variable of a sweep's dataset: its description, the dimensions after the grid's
    (names and sizes), the fill value of configurations not computed, its stored dtype and, for
    coded text, the table that decodes the stored integers."""

    description: str
    extra: tuple = ()
    sizes: tuple = ()
    fill: object = np.nan
    dtype: object = np.float64
    codes: np.ndarray | None = None


def engine_variables(sweep) -> dict:
    """The variables of a Generic Adam sweep (the engine's metrics, labels and final iterate)."""
    n_ck = int(sweep.checkpoints.size)
    out = {m: Var(DESCRIPTIONS[m], ("step",), (n_ck,)) for m in METRICS}
    out["label"] = Var(DESCRIPTIONS["label"], fill="", dtype="<U9", codes=_LABELS)
    out["flag"] = Var(DESCRIPTIONS["flag"], fill="", dtype="<U8", codes=_FLAGS)
    out["stop_step"] = Var(DESCRIPTIONS["stop_step"], fill=0, dtype=np.int64)
    out["x_final"] = (Var(DESCRIPTIONS["x_final"], ("coord",), (sweep.dim,)) if sweep.dim > 1
                      else Var(DESCRIPTIONS["x_final"]))
    return out


def _coords(sweep) -> dict:
    c = {a.name: (a.name, a.values, {"sets": a.kind, "grid": a.spec}) for a in sweep.axes}
    c["seed"] = ("seed", sweep.seeds)
    c["step"] = ("step", sweep.checkpoints)
    if sweep.dim > 1:
        c["coord"] = ("coord", np.arange(sweep.dim))
    return c


def _empty(sweep) -> dict:
    return {k: np.full(sweep.shape + v.sizes, v.fill, dtype=v.dtype)
            for k, v in sweep.variables().items()}


def _decode(sweep, arrays: dict, box: tuple) -> dict:
    """Chunk arrays (flat) -> arrays of the chunk's box shape, coded text decoded."""
    out = {}
    variables = sweep.variables()
    for k, v in arrays.items():
        if variables[k].codes is not None:
            v = variables[k].codes[v]
        if k == "x_final" and not variables[k].extra:
            v = v[:, 0] if v.ndim == 2 else v
        out[k] = v.reshape(box + v.shape[1:])
    return out


def _dataset(sweep, arrs: dict, attrs: dict, coords: bool = True):
    import xarray as xr

    dims = sweep.dims
    variables = sweep.variables()
    var = {k: (dims + variables[k].extra, v, {"description": variables[k].description})
           for k, v in arrs.items()}
    return xr.Dataset(var, coords=_coords(sweep) if coords else None, attrs=attrs)


def _encoding(sweep, plan) -> dict:
    ch = tuple(plan.chunk)
    return {k: {"chunks": ch + v.sizes} for k, v in sweep.variables().items()}


def base_attrs(sweep) -> dict:
    from .. import __version__

    return {"title": sweep.title, "sweep_toml": sweep.text, "sweep_file": sweep.source,
            "fingerprint": sweep.fingerprint, "adamtheory_version": __version__,
            **({"problem": sweep.problem_name, "optimizer": sweep.optimizer.describe()}
               if hasattr(sweep, "optimizer") else {"simulator": sweep.simulator}),
            "steps": sweep.steps, "n_configs": sweep.n_configs,
            "canonical": json.dumps(sweep.canonical(), sort_keys=True)}


def assemble(out, sweep, plan, attrs: dict) -> Path:
    """Write ``OUT/results.zarr`` from the verified chunks (atomically: temp dir + rename)."""
    out = Path(out)
    final, tmp = out / RESULTS, out / f".{RESULTS}.tmp"
    fp = sweep.fingerprint
    attrs = {**base_attrs(sweep), **attrs, "chunk_shape": list(plan.chunk),
             "n_chunks": plan.n_chunks}
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        if plan.stream:
            _assemble_stream(out, tmp, sweep, plan, attrs)
        else:
            arrs = _empty(sweep)
            for cid in range(plan.n_chunks):
                box = plan.box_shape(cid)
                for k, v in _decode(sweep, _verified(out, cid, fp, plan), box).items():
                    arrs[k][plan.slices(cid)] = v
            _dataset(sweep, arrs, attrs).to_zarr(
                tmp, mode="w", zarr_format=2, consolidated=True, encoding=_encoding(sweep, plan))
        if final.exists():
            old = out / f".{RESULTS}.old"
            if old.exists():
                shutil.rmtree(old)
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _oserror(exc, f"the assembled dataset {str(final)!r}") from None
    return final


def _verified(out, cid, fp, plan) -> dict:
    try:
        arrays, _ = read_chunk(out, cid, fp, plan.chunk_configs(cid))
    except InvalidChunk as exc:
        raise StoreError(f"chunk {cid} in {str(out)!r} is invalid ({exc}); run the sweep again "
                         "with --resume to recompute it") from None
    return arrays


def _assemble_stream(out, tmp, sweep, plan, attrs) -> None:
    """Write the dataset chunk by chunk (never the whole of it in memory)."""
    try:
        import dask.array as da
    except ImportError:
        raise StoreError("stream = true needs dask: pip install 'adamtheory[dask]'") from None
    ch = tuple(plan.chunk)
    lazy = {k: da.full(sweep.shape + v.sizes, v.fill, dtype=v.dtype, chunks=ch + v.sizes)
            for k, v in sweep.variables().items()}
    _dataset(sweep, lazy, attrs).to_zarr(tmp, mode="w", zarr_format=2, compute=False,
                                         consolidated=True, encoding=_encoding(sweep, plan))
    for cid in range(plan.n_chunks):
        box = plan.box_shape(cid)
        arrs = _decode(sweep, _verified(out, cid, sweep.fingerprint, plan), box)
        ds = _dataset(sweep, arrs, {}, coords=False)
        region = {d: s for d, s in zip(sweep.dims, plan.slices(cid))}
        ds.to_zarr(tmp, region=region, zarr_format=2, consolidated=False)
    import zarr

    zarr.consolidate_metadata(str(tmp), zarr_format=2)


def partial_dataset(out, sweep, plan):
    """An in-memory dataset of the finished chunks (missing ones NaN, label "")."""
    arrs = _empty(sweep)
    done = 0
    for cid in range(plan.n_chunks):
        try:
            arrays, _ = read_chunk(out, cid, sweep.fingerprint, plan.chunk_configs(cid))
        except InvalidChunk:
            continue
        done += 1
        for k, v in _decode(sweep, arrays, plan.box_shape(cid)).items():
            arrs[k][plan.slices(cid)] = v
    attrs = {**base_attrs(sweep), "partial": 1, "chunks_done": done, "n_chunks": plan.n_chunks}
    return _dataset(sweep, arrs, attrs)
