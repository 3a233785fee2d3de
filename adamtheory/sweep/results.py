"""Open the results of a sweep as an :class:`xarray.Dataset`."""

from __future__ import annotations

import json
from pathlib import Path

from .dataset import RESULTS, partial_dataset
from .errors import StoreError
from .store import read_store_meta


def open_results(path, partial: bool = False):
    """The dataset of a finished sweep (``OUT`` or ``OUT/results.zarr``), lazily loaded.

    Parameters
    ----------
    path : path
        The output directory given to ``adamtheory sweep -o`` or its ``results.zarr``.
    partial : bool
        For an unfinished sweep, assemble the finished chunks in memory (the others NaN, with
        label ``""``) instead of raising.

    Examples
    --------
    >>> # ds = open_results("out/sr")
    >>> # ds.label.sel(seed=0).to_pandas()          # an (s, r) table of labels
    >>> # ds.isel(step=-1).to_dataframe()            # one row per configuration
    """
    import xarray as xr

    p = Path(path)
    z = p / RESULTS if (p / RESULTS).is_dir() else p
    if (z / ".zgroup").exists() or (z / "zarr.json").exists():
        return xr.open_zarr(z, consolidated=True)
    meta = read_store_meta(p)
    if meta is None:
        raise StoreError(f"{str(p)!r} holds no sweep results; give the -o directory of a sweep")
    if not partial:
        n = len(list((p / "chunks").glob("c*.json")))
        raise StoreError(f"the sweep in {str(p)!r} is not finished ({n} of {meta['n_chunks']} "
                         "chunks); run it again with --resume, or open_results(path, "
                         "partial=True)")
    from .config import loads
    from .plan import make_plan

    sweep = loads((p / "sweep.toml").read_text(), source=str(p / "sweep.toml"))
    if sweep.fingerprint != meta["fingerprint"]:
        raise StoreError(f"{str(p)!r}: sweep.toml does not match the store (package version "
                         f"changed?): {json.dumps(meta.get('version'))}")
    plan = make_plan(sweep, chunk=tuple(meta["chunk"]), stream=True, memory_limit=1 << 62)
    return partial_dataset(p, sweep, plan)
