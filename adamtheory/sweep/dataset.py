"""Assemble the finished chunks into a labelled dataset (xarray) and open it again.

The dataset has dimensions ``(*grid axes, seed)`` plus ``step`` for the metrics (the checkpoint
steps) and ``coord`` for the final iterate; coordinates hold the axis values. Variables:

* metrics ``x dist fgap gnorm pgnorm regret grad43 gradmin2`` (float64, ``(..., seed, step)``),
  defined in :mod:`adamtheory.engine.batch`;
* ``label`` (``converged`` / ``stuck`` / ``diverged`` / ``undecided``, see
  :mod:`adamtheory.engine.classify`), ``flag`` (``ok`` / ``nan`` / ``overflow``), ``stop_step``;
* ``x_final`` (``(..., seed, coord)``).

Attributes hold the sweep file (``sweep_toml``), the package version, the fingerprint and the
canonical description it is the sha256 of (``canonical``), the timings and, for an engine sweep,
what the plots need as data: the problem's metadata per problem-parameter row (``problems``) and
the checker's verdict on every cell (``theory``, see :mod:`.theory`).

Integrity: the root attribute ``checksums`` holds the sha256 of every array (its values read
back chunk by chunk in the order of its chunk grid, C order inside a chunk) and of the
consolidated metadata (everything but ``checksums`` itself); :func:`verify_store` (called by
:func:`~.results.open_results` unless ``verify=False``) recomputes them and checks that the
attributes agree with the fingerprint. A flipped byte, a deleted array chunk or an edited
attribute is refused, never read as data. Stored as zarr (format 2: its fixed-width strings have
a stable specification, unlike zarr 3's) with one zarr chunk per sweep chunk;
:func:`open_results` or a plain ``xarray.open_zarr(OUT / "results.zarr")`` reads it,
``ds.to_dataframe()`` makes a pandas table.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import FLAG_NAMES, LABELS
from ..engine.metrics import DESCRIPTIONS as METRIC_DESCRIPTIONS
from ..engine.metrics import NAMES as METRICS
from .errors import StoreError
from .store import InvalidChunk, oserror, read_chunk

RESULTS = "results.zarr"
_LABELS = np.array(list(LABELS) + [""], dtype="<U9")  # "" = not computed (partial datasets)
_FLAGS = np.array([FLAG_NAMES[k] for k in sorted(FLAG_NAMES)], dtype="<U8")
DESCRIPTIONS = {
    **METRIC_DESCRIPTIONS,
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


def base_attrs(sweep, theory: dict | None = None) -> dict:
    """The dataset's attributes (``theory``: the stored verdicts of :func:`.theory.compute`)."""
    from .. import __version__

    out = {"title": sweep.title, "sweep_toml": sweep.text, "sweep_file": sweep.source,
           "fingerprint": sweep.fingerprint, "adamtheory_version": __version__,
           **sweep.dataset_attrs(),
           "steps": sweep.steps, "n_configs": sweep.n_configs,
           "canonical": json.dumps(sweep.canonical(), sort_keys=True)}
    if theory is not None:
        out["theory"] = json.dumps(theory, sort_keys=True, allow_nan=False)
    return out


def assemble(out, sweep, plan, attrs: dict, theory: dict | None = None) -> Path:
    """Write ``OUT/results.zarr`` from the verified chunks (atomically: temp dir + rename),
    sealed with its checksums (:func:`seal`)."""
    out = Path(out)
    final, tmp = out / RESULTS, out / f".{RESULTS}.tmp"
    fp = sweep.fingerprint
    attrs = {**base_attrs(sweep, theory), **attrs, "chunk_shape": list(plan.chunk),
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
        seal(tmp)
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
        raise oserror(exc, f"the assembled dataset {str(final)!r}") from None
    except BaseException:
        # an invalid chunk met while streaming (StoreError) or an interrupt: nothing half-written
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _verified(out, cid, fp, plan) -> dict:
    try:
        arrays, _ = read_chunk(out, cid, fp, plan.chunk_configs(cid), plan.box(cid))
    except InvalidChunk as exc:
        raise StoreError(f"chunk {cid} in {str(out)!r} is invalid ({exc}); run the sweep again "
                         "resuming the store to recompute it") from None
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
            arrays, _ = read_chunk(out, cid, sweep.fingerprint, plan.chunk_configs(cid),
                                   plan.box(cid))
        except InvalidChunk:
            continue
        done += 1
        for k, v in _decode(sweep, arrays, plan.box_shape(cid)).items():
            arrs[k][plan.slices(cid)] = v
    attrs = {**base_attrs(sweep), "partial": 1, "chunks_done": done, "n_chunks": plan.n_chunks}
    return _dataset(sweep, arrs, attrs)


# ---------------------------------------------------------------------- integrity
CHECKSUMS = "checksums"


def _array_digest(arr) -> str:
    """sha256 of a zarr array's values: dtype, shape, then chunk by chunk in the order of its
    chunk grid (C order inside a chunk), each block's bytes in C order."""
    h = hashlib.sha256(f"{arr.dtype.str}{tuple(arr.shape)}".encode())
    shape, chunks = tuple(arr.shape), tuple(arr.chunks)
    grid = [range(0, s, c) for s, c in zip(shape, chunks)]
    for start in itertools.product(*grid):
        sl = tuple(slice(a, min(a + c, s)) for a, c, s in zip(start, chunks, shape))
        h.update(np.ascontiguousarray(arr[sl]).tobytes())
    return h.hexdigest()


def _metadata(z: Path) -> dict:
    return json.loads((z / ".zmetadata").read_text())["metadata"]


def _metadata_digest(meta: dict) -> str:
    meta = json.loads(json.dumps(meta))  # a copy
    meta.get(".zattrs", {}).pop(CHECKSUMS, None)
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()


def _digests(z: Path) -> dict:
    import zarr

    g = zarr.open_group(str(z), mode="r", zarr_format=2, use_consolidated=False)
    return {name: _array_digest(arr) for name, arr in sorted(g.arrays())}


def seal(z) -> None:
    """Add the ``checksums`` attribute to the zarr store ``z`` (and consolidate again)."""
    import zarr

    z = Path(z)
    sums = {"algorithm": "sha256", "arrays": _digests(z),
            "metadata": _metadata_digest(_metadata(z))}
    g = zarr.open_group(str(z), mode="r+", zarr_format=2, use_consolidated=False)
    g.attrs[CHECKSUMS] = json.dumps(sums, sort_keys=True)
    zarr.consolidate_metadata(str(z), zarr_format=2)


def verify_store(z, fingerprint: str | None = None) -> None:
    """Check the results store ``z`` against its checksums and fingerprint (StoreError if not).

    Checked: the consolidated metadata equals the metadata files it consolidates; its sha256
    (without ``checksums``) is the stored one; every array's values hash to the stored digest
    and no array is missing or extra; ``canonical`` hashes to ``fingerprint``, the sweep file
    to the sha256 in ``canonical``; and the fingerprint is ``fingerprint`` (the store's) if
    given. Reads every array once (``open_results(..., verify=False)`` skips this).
    """
    z = Path(z)
    where = str(z)
    fix = "the results were altered or damaged: run the sweep again (or open with verify=False)"

    def refuse(what):
        return StoreError(f"{where}: {what}; {fix}")

    try:
        meta = _metadata(z)
    except (OSError, ValueError, KeyError, TypeError):
        raise refuse("unreadable consolidated metadata (.zmetadata)") from None
    if not isinstance(meta, dict) or not isinstance(meta.get(".zattrs"), dict):
        raise refuse("unreadable consolidated metadata (.zmetadata)")
    for key, value in meta.items():
        try:
            on_disk = json.loads((z / key).read_text())
        except (OSError, ValueError):
            raise refuse(f"metadata file {key} missing or unreadable") from None
        if on_disk != value:
            raise refuse(f"metadata file {key} differs from the consolidated metadata")
    attrs = meta[".zattrs"]
    try:
        sums = json.loads(attrs[CHECKSUMS])
    except (KeyError, TypeError, ValueError):
        raise refuse("no checksums (attribute 'checksums')") from None
    fp = attrs.get("fingerprint")
    try:
        canonical = json.loads(attrs.get("canonical"))
        ok = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest() == fp
    except (TypeError, ValueError):
        canonical, ok = {}, False
    if not ok or not isinstance(canonical, dict):
        raise refuse("the attribute 'canonical' does not match the fingerprint")
    want = canonical.get("sweep_sha256")
    if hashlib.sha256(str(attrs.get("sweep_toml", "")).encode()).hexdigest() != want:
        raise refuse("the attribute 'sweep_toml' does not match the fingerprint")
    if _metadata_digest(meta) != sums.get("metadata"):
        raise refuse("attributes or array metadata do not match their checksum")
    if fingerprint is not None and fp != fingerprint:
        raise refuse("the dataset's fingerprint is not the store's (store.json)")
    try:
        got = _digests(z)
    except Exception as exc:  # noqa: BLE001 - an undecodable chunk is damage, not a bug
        raise refuse(f"an array cannot be read ({type(exc).__name__})") from None
    stored = sums.get("arrays") or {}
    if set(got) != set(stored):
        raise refuse("arrays missing or added")
    bad = sorted(k for k in got if got[k] != stored[k])
    if bad:
        raise refuse(f"array {bad[0]!r} does not match its checksum (flipped bytes or a deleted "
                     "chunk)")
