"""The checker's verdicts on a sweep's cells, computed when the sweep runs and stored with it.

A *cell* is one combination of the grid axes that enter the optimizer spec (the schedule
parameters of a ``[optimizer]`` with schedules, the swept hyper-parameters of a named optimizer,
``eps`` and ``eps_root``); seeds and problem parameters do not change the spec. For every cell
the sweep stores, as JSON in the dataset attribute ``theory``:

* the axis values of the cell (as exact float hex strings, the key the plots look up);
* the spec as text (``alpha``, ``beta``, ``theta``, ``eps``, ...);
* the verdict of :func:`adamtheory.conditions.check` as ``Verdict.to_dict()`` (whatever the
  checker returns: its conditions, the rate, ``converges`` true/false/null).

Plots read these as data (:class:`StoredTheory`, :func:`stored_problems`): reading results never
rebuilds a spec from the stored sweep file and never builds the problem, so nothing named in a
results directory is ever imported or run.

Verdict cache
-------------
A verdict costs 0.1-1 s of sympy and a phase diagram checks a hundred cells, so the cells are
checked with the checker's cache (:func:`adamtheory.conditions.check` with ``cache=True``: the
per-user cache, salted by a hash of the checker's source): each cell is checked once per checker
version, and a stale or corrupt entry is checked again, never trusted.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np

from ..errors import InputError

#: At most this many distinct cells are checked when a sweep runs (about 60 ms each).
MAX_CELLS = 4096
#: The numeric range the verdicts use (as the overlay always has).
NUMERIC_RANGE = 10**5


def key_of(values) -> str:
    """The lookup key of a cell: its spec-axis values as float hex, in axis order."""
    return ",".join(float(v).hex() for v in values)


def _spec_text(spec) -> dict:
    return {"name": spec.name, "alpha": spec.alpha.describe(), "beta": spec.beta.describe(),
            "theta": spec.theta.describe(), "eps": float(spec.eps), "eps_mode": spec.eps_mode,
            "bias_correction": bool(spec.bias_correction), "amsgrad": spec.amsgrad,
            "eps_root": float(spec.eps_root), "in_family": bool(spec.in_family)}


def _jsonable(obj):
    """Replace non-finite floats by None / "inf" so the JSON is strict."""
    if isinstance(obj, float):
        if obj != obj:
            return None
        if obj in (float("inf"), float("-inf")):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    return obj


def _check_one(spec) -> dict:
    from ..conditions import check

    try:
        return _jsonable(check(spec, numeric_range=NUMERIC_RANGE, cache=True).to_dict())
    except InputError as exc:  # e.g. the schedule is outside what the checker decides
        return {"converges": None, "error": str(exc).splitlines()[0] if str(exc) else ""}


def check_specs(specs: list, workers: int = 1) -> list:
    """The stored verdict (``Verdict.to_dict()``, or ``{"converges": None, "error": ...}``) of
    every spec: from the checker's verdict cache where it holds them, else checked (in
    ``workers`` processes when many are missing) and cached."""
    if workers > 1 and sum(not _is_cached(s) for s in specs) >= 64:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(_check_one, specs, chunksize=8))
    return [_check_one(s) for s in specs]


def _is_cached(spec) -> bool:
    from ..conditions import cached_verdict

    return cached_verdict(spec, numeric_range=NUMERIC_RANGE) is not None


def pending_verdicts(sweep, sample: int = 16) -> int:
    """About how many distinct specs of ``sweep`` :func:`compute` would check now (their verdict
    is not in the verdict cache): the uncached fraction of ``sample`` cells spread over the grid
    times the number of distinct specs (0 above :data:`MAX_CELLS` cells or outside the family).
    For the time estimate (:mod:`.plan`); building every cell's spec would cost as much as a
    second :func:`compute` of a warm cache.

    The distinct specs are counted as the product of the sizes of the axes that change the spec
    (each moved alone from the grid's first cell): an axis the spec does not read (the number
    of workers of a distributed sweep) multiplies the cells, not the checks.
    """
    pos = sweep.spec_axes()
    names = [sweep.axes[p].name for p in pos]
    sizes = [sweep.axes[p].size for p in pos]
    n = int(np.prod(sizes, dtype=np.int64))
    if n > MAX_CELLS or n == 0:
        return 0
    first = {name: float(sweep.axes[p].values[0]) for name, p in zip(names, pos)}
    base = sweep.cell_spec(first)
    if base is None or not base.in_family:
        return 0
    text = json.dumps(_spec_text(base), sort_keys=True)
    distinct = 1
    for name, p, size in zip(names, pos, sizes):
        moved = sweep.cell_spec({**first, name: float(sweep.axes[p].values[size - 1])})
        if size > 1 and json.dumps(_spec_text(moved), sort_keys=True) != text:
            distinct *= size
    picks = np.unique(np.linspace(0, n - 1, min(n, max(1, int(sample)))).round().astype(int))
    specs = [sweep.cell_spec({name: float(sweep.axes[p].values[i]) for name, p, i in
                              zip(names, pos, np.unravel_index(c, sizes))}) for c in picks]
    missing = sum(not _is_cached(s) for s in specs)
    return int(round(distinct * missing / len(specs)))


def compute(sweep, workers: int = 1) -> dict:
    """The stored ``theory`` of a sweep (see the module docstring): the cells are the values of
    ``sweep.spec_axes()``, their specs ``sweep.cell_spec(values)`` (the simulator's
    :meth:`~adamtheory.simulators.Simulator.optimizer_spec`); each distinct spec is checked
    once."""
    pos = sweep.spec_axes()
    names = [sweep.axes[p].name for p in pos]
    out = {"names": names, "numeric_range": NUMERIC_RANGE, "cells": {}, "skipped": None}
    n = int(np.prod([sweep.axes[p].size for p in pos], dtype=np.int64))
    if n > MAX_CELLS:
        out["skipped"] = (f"{n} distinct optimizer specs on the grid, more than {MAX_CELLS}: "
                          "no verdicts were stored; check cells with 'adamtheory check'")
        return out
    cells = []  # (values, spec, its text, its key)
    for idx in np.ndindex(*[sweep.axes[p].size for p in pos]):
        vals = [float(sweep.axes[p].values[i]) for p, i in zip(pos, idx)]
        spec = sweep.cell_spec(dict(zip(names, vals)))
        text = _spec_text(spec)
        cells.append((vals, spec, text, json.dumps(text, sort_keys=True)))
    unique = {key: spec for _, spec, _, key in cells}
    if unique and not next(iter(unique.values())).in_family:
        found = [None] * len(unique)
    else:
        found = check_specs(list(unique.values()), workers)
    by_key = dict(zip(unique, found))
    for vals, _, text, key in cells:
        out["cells"][key_of(vals)] = {"values": dict(zip(names, vals)), "spec": text,
                                      "verdict": by_key[key]}
    return out


# ---------------------------------------------------------------------- reading them back
class StoredVerdict:
    """A verdict read from results: attribute access like :class:`adamtheory.conditions.Verdict`
    (``converges``, ``rate``, ``rate_exponent``, ``rate_log_power``, ``bound``, ``conditions``
    with ``.status``/``.reason``), over the stored ``Verdict.to_dict()``."""

    def __init__(self, data: dict):
        self.data = data
        conds = data.get("conditions") or {}
        self.conditions = {k: SimpleNamespace(**{"status": None, "reason": "", **v})
                           for k, v in conds.items() if isinstance(v, dict)}

    def __getattr__(self, name):
        if name.startswith("_") or name in ("data", "conditions"):
            raise AttributeError(name)
        return self.data.get(name)

    @property
    def converges(self):
        c = self.data.get("converges")
        return c if c in (True, False) else None

    def to_dict(self) -> dict:
        return dict(self.data)


def _attr_json(ds, name: str):
    text = ds.attrs.get(name)
    if text is None:
        return None
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        raise InputError(f"the results' attribute {name!r} is not valid JSON; the results are "
                         "damaged: run the sweep again") from None


class StoredTheory:
    """The ``theory`` attribute of a sweep's results (see :func:`compute`)."""

    def __init__(self, ds):
        data = _attr_json(ds, "theory")
        if not isinstance(data, dict) or not isinstance(data.get("cells"), dict):
            raise InputError("the results carry no checker verdicts (attribute 'theory'): they "
                             "come from a plug-in simulator or an older adamtheory; run the "
                             "sweep again to draw the theory")
        self.names = list(data.get("names") or [])
        self.cells = data["cells"]
        self.skipped = data.get("skipped")
        self.fingerprint = ds.attrs.get("fingerprint")

    def entry(self, cell: dict) -> dict:
        if self.skipped:
            raise InputError(f"overlay: {self.skipped}")
        missing = [k for k in self.names if k not in cell]
        if missing:
            raise InputError(f"the cell {cell} lacks the axis {missing[0]} of the stored verdicts")
        e = self.cells.get(key_of(float(cell[k]) for k in self.names))
        if e is None:
            raise InputError(f"no stored verdict for the cell {cell}; the results are damaged: "
                             "run the sweep again")
        return e

    def in_family(self, cell: dict) -> bool:
        return bool(self.entry(cell)["spec"].get("in_family", True))

    def verdicts(self, cells, workers: int = 1) -> list:
        """One :class:`StoredVerdict` per cell (None outside the Generic Adam family);
        ``workers`` is not used (nothing is computed)."""
        out = []
        for c in cells:
            v = self.entry(c).get("verdict")
            out.append(StoredVerdict(v) if isinstance(v, dict) else None)
        return out


def stored_problems(ds) -> list:
    """The problem metadata stored with the results (one dict per problem-parameter row)."""
    data = _attr_json(ds, "problems")
    if not isinstance(data, list):
        raise InputError("the results carry no problem metadata (attribute 'problems'); run "
                         "the sweep again with this adamtheory")
    return data


def problem_for(ds, fixed: dict) -> dict | None:
    """The stored problem metadata whose parameters agree with the sliced values ``fixed``."""
    for meta in stored_problems(ds):
        params = meta.get("params") or {}
        if all(k not in fixed or params[k] is None or np.isclose(float(fixed[k]), params[k])
               for k in params):
            return meta
    return None


# ---------------------------------------------------------------------- cells -> verdicts
#: What an overlay may name: the full guarantee ("theory") or one condition of the checker.
OVERLAYS = ("theory", "SC1", "SC2", "SC3", "SC4", "convergence")
_CHECKED: dict = {}  # (sweep fingerprint, numeric range) -> {spec-axis values: Verdict}
OUTSIDE = ("the sweep's optimizer uses a running max of v (AMSGrad); it is outside the Generic "
           "Adam family, the checker makes no claim")


def check_cells(sweep, cells, workers: int = 1, numeric_range: int = NUMERIC_RANGE) -> list:
    """The checker's verdict (:class:`adamtheory.conditions.Verdict`) on each cell
    (``{axis: value}``) of a sweep the caller loaded from a file it trusts: each cell's spec is
    built now (:meth:`SweepBase.cell_spec`) and each distinct one checked once per process (through
    the checker's verdict cache: once per checker version)."""
    from ..conditions import check_many

    names = {sweep.axes[p].name for p in sweep.spec_axes()}
    cache = _CHECKED.setdefault((sweep.fingerprint, numeric_range), {})
    keys, unique = [], {}
    for c in cells:
        vals = {k: float(v) for k, v in c.items() if k in names}
        key = tuple(sorted(vals.items()))
        if key not in unique:
            unique[key] = sweep.cell_spec(vals)
        keys.append(key)
    specs = list(unique.values())
    if any(s is None for s in specs):
        raise InputError(f"the {sweep.simulator.name} simulator's runs are not Generic Adam "
                         "specs: the checker makes no claim on them")
    if specs and not specs[0].in_family:
        raise InputError(f"overlay: {OUTSIDE}")
    todo = [k for k in unique if k not in cache]
    cache.update(zip(todo, check_many([unique[k] for k in todo], numeric_range=numeric_range,
                                      workers=workers, cache=True)))
    return [cache[k] for k in keys]


def condition_mask(verdicts, condition: str) -> np.ndarray:
    """One bool per verdict: ``converges`` is true (``condition = "theory"``), or the named
    condition (SC1-SC4, ``convergence``) ``holds``."""
    if condition == "theory":
        return np.array([v.converges is True for v in verdicts], dtype=bool)
    out = []
    for v in verdicts:
        if condition not in v.conditions:
            raise InputError(f"overlay {condition}: the verdicts have no condition "
                             f"{condition} (they have: {', '.join(v.conditions)})")
        out.append(v.conditions[condition].status == "holds")
    return np.array(out, dtype=bool)


def theory_cells(source, cells, condition: str = "theory", workers: int = 1):
    """The checker's verdict on each cell and the overlay mask.

    Parameters
    ----------
    source : StoredTheory or sweep
        Results' stored verdicts (:func:`stored_theory`: read as data, nothing recomputed), or
        a sweep loaded by the caller from a file it trusts (the cells' specs are built and
        checked now, :func:`check_cells`). Both answer ``source.verdicts(cells, workers)``.
    cells : list of dict
        Axis values of each cell (names of the grid axes; others are ignored).
    condition : str
        ``"theory"``: the checker guarantees convergence (``converges`` is true); or one of
        SC1-SC4, ``convergence``: that condition ``holds``.

    Returns
    -------
    (mask, verdicts) : bool array (one per cell) and the list of verdicts (one per cell).
    """
    if condition not in OVERLAYS:
        raise InputError(f"overlay {condition}: use one of {', '.join(OVERLAYS)}")
    out = source.verdicts(cells, workers=workers)
    if any(v is None for v in out):
        raise InputError(f"overlay: {OUTSIDE}")
    return condition_mask(out, condition), out


def stored_theory(ds) -> StoredTheory:
    """The checker's verdicts stored with the results ``ds`` (read as data, never recomputed
    from the stored sweep file)."""
    return StoredTheory(ds)
