"""Helpers shared by the figure modules: run a figure's sweep file, summarise, JSON-proof.

Every sweep goes through :func:`adamtheory.sweep.run_sweep` and
:func:`adamtheory.sweep.open_results` (the same code path as ``adamtheory sweep``).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np

from .shape import Job, sweep_label


def sweep_dataset(job: Job, part: str):
    """Run the sweep file of ``part`` into ``job.tmp`` and return ``(dataset, path)``.

    The dataset is loaded into memory (the scratch directory is removed after the run), read
    without dask.
    """
    from ..sweep import open_results, run_sweep

    path = job.sweep(part)
    dest = job.tmp / f"{job.figure.key}-{part}"
    run_sweep(path, dest, quiet=True)
    return open_results(dest, chunks=None).load(), path


def sweep_entry(path: Path) -> dict:
    """The manifest's ``sweep`` and ``command`` of one sweep file."""
    label = sweep_label(path)
    return {"sweep": label, "command": f"adamtheory sweep {label} -o OUT"}


def distributed_arrays(job: Job, part: str) -> dict:
    """Run a ``simulator = "distributed"`` sweep file and return its arrays by grid axis.

    Returns
    -------
    dict
        ``{"axes": {name: values}, "seeds", "steps", "checkpoints", "out": {var: array of shape
        (*axes, seed[, step])}, "fixed": the settings with the simulator's defaults, "title",
        "path"}``.
    """
    from ..distributed.sweep_plugin import PARAMS

    ds, path = sweep_dataset(job, part)
    raw = tomllib.loads(Path(path).read_text())
    fixed = {k: raw.get("settings", {}).get(k, v[1]) for k, v in PARAMS.items()}
    names = list(raw["grid"])
    for k in names:
        fixed.pop(k)
    axes = {k: ds[k].values.tolist() for k in names}
    out = {}
    for var in ds.data_vars:
        da = ds[var]
        out[var] = da.transpose(*names, "seed", ...).values
    return {"axes": axes, "seeds": np.asarray(ds["seed"].values), "steps": int(raw["run"]["steps"]),
            "checkpoints": np.asarray(ds["step"].values, np.int64), "out": out, "fixed": fixed,
            "title": raw.get("title", ""), "path": path}


def gmean(a, axis=-1):
    """Geometric mean along ``axis`` (NaN propagates; 0 gives 0)."""
    a = np.asarray(a, float)
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(a), axis=axis))


def finite(obj):
    """NaN and infinities -> None (strict JSON), recursively."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(o):
    """``default=`` of json.dumps for numpy scalars and arrays."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
