"""Open the results of a sweep as an :class:`xarray.Dataset`.

Opening results is reading data: nothing named in them (a problem file, a simulator) is imported
or run, and the store is checked against its checksums first (see :func:`.dataset.verify_store`).
"""

from __future__ import annotations

from pathlib import Path

from .dataset import RESULTS, partial_dataset, verify_store
from .errors import StoreError
from .store import differences, read_store_meta


def open_results(path, partial: bool = False, verify: bool = True, chunks="auto"):
    """The dataset of a finished sweep (``OUT`` or ``OUT/results.zarr``), lazily loaded.

    Parameters
    ----------
    path : path
        The output directory given to ``adamtheory sweep -o`` or its ``results.zarr``.
    partial : bool
        For an unfinished sweep, assemble the finished (verified) chunks in memory (the others
        NaN, with label ``""``) instead of raising.
    verify : bool
        Check the store before returning it: every array against its sha256, the attributes and
        array metadata against theirs, the attributes against the fingerprint (and against
        ``OUT/store.json`` when there is one). This reads the whole dataset once; for results
        too large to read twice, ``verify=False`` skips it (then flipped bytes, a deleted array
        chunk or an edited attribute go undetected; nothing is ever executed either way).
    chunks : "auto", dict or None
        Passed to :func:`xarray.open_zarr`: ``"auto"`` gives dask arrays (computations run chunk
        by chunk); ``None`` opens without dask, each array read whole when first used (for
        results read into memory at once, e.g. ``open_results(out, chunks=None).load()``,
        this spares importing and scheduling dask).

    Raises
    ------
    StoreError
        One line: not a sweep, an unfinished sweep, or altered or damaged results.

    Examples
    --------
    >>> # ds = open_results("out/sr")
    >>> # ds.label.sel(seed=0).to_pandas()          # an (s, r) table of labels
    >>> # ds.isel(step=-1).to_dataframe()            # one row per configuration
    """
    import xarray as xr

    p = Path(path)
    z = p / RESULTS if (p / RESULTS).is_dir() else p
    if (z / ".zgroup").exists() or (z / "zarr.json").exists() or (z / ".zmetadata").exists():
        store_fp = None
        if z != p:  # OUT given: the dataset must be the store's
            meta = read_store_meta(p)
            store_fp = meta.get("fingerprint") if meta else None
        if verify:
            verify_store(z, store_fp)
        try:
            return xr.open_zarr(z, consolidated=True, chunks=chunks)
        except Exception as exc:  # noqa: BLE001 - damaged metadata is the user's data, not a bug
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise StoreError(f"{str(z)!r} cannot be opened as results ({type(exc).__name__}: "
                             f"{first}); run the sweep again") from None
    meta = read_store_meta(p)
    if meta is None:
        raise StoreError(f"{str(p)!r} holds no sweep results; give the output directory of a sweep")
    if not partial:
        n = len(list((p / "chunks").glob("c*.json")))
        raise StoreError(f"the sweep in {str(p)!r} is not finished ({n} of {meta['n_chunks']} "
                         "chunks); run it again resuming the store, or open_results(path, "
                         "partial=True)")
    from .config import loads
    from .plan import make_plan

    try:
        text = (p / "sweep.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise StoreError(f"{str(p / 'sweep.toml')!r} is missing or unreadable; the store is "
                         "damaged") from None
    # the stored problem identity replaces importing the problem: reading is never running
    info = meta.get("problem_info")
    if not isinstance(info, dict) and not _is_plugin(text):
        raise StoreError(f"{str(p / 'store.json')!r} lacks the problem's stored identity; the "
                         "store is damaged or from another version")
    sweep = loads(text, source=str(p / "sweep.toml"), problem_info=info)
    if sweep.fingerprint != meta.get("fingerprint"):
        what = ", ".join(differences(meta.get("canonical") or {}, sweep.canonical())) or "?"
        raise StoreError(f"{str(p)!r}: sweep.toml does not match the store's fingerprint "
                         f"(differs: {what}); the store is damaged or from another version")
    plan = make_plan(sweep, chunk=tuple(meta["chunk"]), stream=True, memory_limit=1 << 62)
    return partial_dataset(p, sweep, plan)


def _is_plugin(text: str) -> bool:
    import tomllib

    try:
        return "simulator" in tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
