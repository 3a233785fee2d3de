"""Sweeps of other simulators: a sweep file with ``simulator = "NAME"`` and a ``[settings]`` table.

The Generic Adam sweep (``[problem]``, ``[optimizer]``) is the default. Other simulators (the
parameter-server simulator, the federated simulator) plug into the same runner, store and dataset
through a module with this protocol:

``NAME``
    the value of ``simulator`` in the sweep file;
``PARAMS``
    ``{name: (kind, default, help)}`` with kind ``"int"``, ``"float"``, ``"bool"`` or a tuple of
    choices (strings). Each may be fixed in ``[settings]`` or be a ``[grid]`` axis; a float
    default of ``None`` reaches ``compute`` as NaN ("the simulator's own default");
``METRICS``, ``FINALS``
    ``{name: description}`` of the float64 outputs per checkpoint and per configuration;
``validate(settings)``
    raises ``ValueError`` (one line) for a bad configuration (``{param: value}``);
``compute(settings, seeds, steps, checkpoints)``
    ``settings`` maps every parameter to an array over the configurations; returns the METRICS
    as ``(n, n_checkpoints)`` and the FINALS as ``(n,)`` float64 arrays. Results must not
    depend on how configurations are grouped (the runner chunks the grid freely).

A sweep file for a simulator::

    simulator = "distributed"
    title = "..."
    [settings]                       # fixed values (defaults for the rest)
    problem = "nonconvex-separable"
    [grid]                           # axes: numbers, strings (choices) or [false, true]
    workers = [1, 2, 4, 8]
    compressor = ["identity32", "scaled_sign"]
    [run]
    steps = 2000                     # also seeds, checkpoints, chunk_size, stream

The dataset has dims ``(*grid axes, seed)`` (+ ``step`` for the metrics); the axes of choices
and booleans have string and boolean coordinates.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .. import __version__
from .axes import Axis, Grid, parse_axis
from .errors import SweepFileError, closest, unknown_key

#: simulator name -> module implementing the protocol above
SIMULATORS: dict[str, str] = {
    "distributed": "adamtheory.distributed.sweep_plugin",
    "federated": "adamtheory.federated.sweep_plugin",
}
TOP_KEYS = ("simulator", "settings", "grid", "run", "title", "description")
RUN_KEYS = ("steps", "seeds", "checkpoints", "chunk_size", "stream")
MAX_VALIDATE = 4096


def simulator(name: str):
    """The plug-in module of simulator ``name`` (SweepFileError if unknown)."""
    if not isinstance(name, str) or name not in SIMULATORS:
        known = sorted(SIMULATORS)
        raise SweepFileError(f"simulator = {name!r} is unknown{closest(name, known)}; known: "
                             f"{', '.join(known) or 'none'} (leave it out for a Generic Adam "
                             "sweep with [problem] and [optimizer])")
    return importlib.import_module(SIMULATORS[name])


def _kind_text(kind) -> str:
    return f"one of {', '.join(map(repr, kind))}" if isinstance(kind, tuple) else f"a {kind}"


def _convert(where: str, kind, v):
    """A fixed value checked against ``kind``; returns the Python value."""
    if isinstance(kind, tuple):
        if isinstance(v, str) and v in kind:
            return v
        hint = closest(v, kind) if isinstance(v, str) else ""
        raise SweepFileError(f"{where}: {v!r} is not valid{hint}; give {_kind_text(kind)}")
    if kind == "bool":
        if isinstance(v, bool):
            return v
        raise SweepFileError(f"{where}: must be true or false, got {v!r}")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SweepFileError(f"{where}: must be {_kind_text(kind)}, got {v!r}")
    if kind == "int":
        if float(v) != int(v):
            raise SweepFileError(f"{where}: must be an integer, got {v!r}")
        return int(v)
    return float(v)


def _axis(name: str, kind, raw) -> Axis:
    where = f"[grid] {name}"
    if isinstance(kind, tuple) or kind == "bool":
        vals = raw.get("values") if isinstance(raw, dict) and set(raw) == {"values"} else raw
        if not isinstance(vals, list) or not vals:
            raise SweepFileError(f"{where}: give a list of values, e.g. {name} = "
                                 f"{list(kind[:2]) if isinstance(kind, tuple) else [False, True]}")
        conv = [_convert(f"{where} values[{i}]", kind, v) for i, v in enumerate(vals)]
        if len(set(conv)) != len(conv):
            raise SweepFileError(f"{where}: a value appears twice; values must be distinct")
        arr = np.array(conv, dtype=bool if kind == "bool" else str)
        return Axis(name, arr, "setting", f"values {conv}")
    a = parse_axis(name, raw)
    if kind == "int":
        if not np.all(a.values == np.round(a.values)):
            raise SweepFileError(f"{where}: {name} takes integers; got {list(a.values)}")
        return Axis(name, a.values.astype(np.int64), "setting", a.spec)
    return Axis(name, a.values, "setting", a.spec)


@dataclass(eq=False)
class PluginSweep(Grid):
    """A validated sweep of a plug-in simulator (same interface as :class:`.config.Sweep`)."""

    text: str
    source: str
    simulator: str
    module_name: str
    fixed: dict
    axes: list
    seeds: np.ndarray
    steps: int
    checkpoints: np.ndarray
    chunk_size: int | None = None
    stream: bool = False
    title: str = ""
    dim: int = 1
    grad_metrics: bool = False
    depends: dict = field(default_factory=dict)

    @property
    def module(self):
        return importlib.import_module(self.module_name)

    def n_rows(self, key: str) -> int:  # no schedule tables
        return 0

    def variables(self) -> dict:
        """The dataset's variables: ``{name: Var}`` (see :mod:`.dataset`)."""
        from .dataset import Var

        m = self.module
        n_ck = int(self.checkpoints.size)
        return {**{k: Var(d, ("step",), (n_ck,)) for k, d in m.METRICS.items()},
                **{k: Var(d) for k, d in m.FINALS.items()}}

    def settings(self, idx) -> dict:
        """Per-configuration arrays of every parameter for the grid indices ``idx``."""
        out = {}
        for name, (kind, _, _) in self.module.PARAMS.items():
            pos = next((p for p, a in enumerate(self.axes) if a.name == name), None)
            if pos is not None:
                out[name] = self.axes[pos].values[idx[pos]]
            else:
                v = self.fixed[name]
                if v is None and kind != "float":
                    raise SweepFileError(f"[settings] {name}: no default; give a value")
                dt = (f"<U{max(1, len(v))}" if isinstance(kind, tuple)
                      else {"bool": bool, "int": np.int64}.get(kind, np.float64))
                out[name] = np.full(idx[-1].size, np.nan if v is None else v, dtype=dt)
        return out

    def compute_chunk(self, plan, cid: int) -> tuple[dict, dict]:
        t0 = time.perf_counter()
        idx = plan.indices(cid)
        n = idx[0].size
        res = self.module.compute(self.settings(idx), self.seeds[idx[-1]], self.steps,
                                  self.checkpoints)
        arrays = {}
        for name, var in self.variables().items():
            want = (n, *var.sizes)
            a = np.asarray(res.get(name), dtype=np.float64)
            if a.shape != want:
                raise RuntimeError(f"simulator {self.simulator}: {name} has shape {a.shape}, "
                                   f"expected {want}")
            arrays[name] = a
        secs = time.perf_counter() - t0
        return arrays, {"chunk": int(cid), "configs": int(n), "config_steps": n * self.steps,
                        "seconds": secs, "engine_seconds": secs}

    def canonical(self) -> dict:
        def enc(v):
            return float(v).hex() if isinstance(v, float) else v

        return {"version": __version__, "simulator": self.simulator,
                "sweep_sha256": hashlib.sha256(self.text.encode()).hexdigest(),
                "fixed": {k: enc(v) for k, v in sorted(self.fixed.items())},
                "axes": [[a.name, [enc(v.item()) for v in a.values]] for a in self.axes],
                "seeds": [int(s) for s in self.seeds], "steps": self.steps,
                "checkpoints": [int(c) for c in self.checkpoints]}

    @cached_property
    def fingerprint(self) -> str:
        blob = json.dumps(self.canonical(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def describe(self) -> str:
        return f"{self.simulator} simulator"


def loads_plugin(raw: dict, text: str, source: str) -> PluginSweep:
    """Validate the parsed TOML ``raw`` of a simulator sweep."""
    from .config import _run

    for key in raw:
        if key not in TOP_KEYS:
            raise unknown_key(source, key, TOP_KEYS)
    mod = simulator(raw["simulator"])
    params = mod.PARAMS
    for key in ("settings", "grid", "run"):
        if key in raw and not isinstance(raw[key], dict):
            raise SweepFileError(f"{source}: {key} must be a table, written [{key}]")
    settings, grid = raw.get("settings", {}), raw.get("grid", {})
    if not grid:
        raise SweepFileError(f"[grid]: no axes; add at least one of {', '.join(params)}")
    for where, table in (("[settings]", settings), ("[grid]", grid)):
        for k in table:
            if k not in params:
                raise unknown_key(where, k, params)
    both = set(settings) & set(grid)
    if both:
        k = sorted(both)[0]
        raise SweepFileError(f"[settings] {k} has a fixed value and is also a [grid] axis; "
                             "remove one of them")
    fixed = {}
    for k, (kind, default, _) in params.items():
        if k in grid:
            continue
        v = settings.get(k, default)
        fixed[k] = v if (v is None and k not in settings) else _convert(f"[settings] {k}", kind, v)
    axes = [_axis(k, params[k][0], v) for k, v in grid.items()]
    run_raw = dict(raw.get("run", {}))
    for k in run_raw:
        if k not in RUN_KEYS:
            raise unknown_key("[run]", k, RUN_KEYS)
    run = _run(run_raw)
    run.pop("grad_metrics", None)
    run.pop("regret", None)
    sweep = PluginSweep(text=text, source=source, simulator=raw["simulator"],
                        module_name=mod.__name__, fixed=fixed,
                        axes=axes, title=str(raw.get("title", "")), **run)
    _validate_all(sweep, mod)
    return sweep


def _validate_all(sweep: PluginSweep, mod) -> None:
    sizes = [a.size for a in sweep.axes]
    n = int(np.prod(sizes, dtype=np.int64))
    if n > MAX_VALIDATE:  # validate the corners of the grid
        combos = itertools.product(*[sorted({0, s - 1}) for s in sizes])
    else:
        combos = itertools.product(*[range(s) for s in sizes])
    for combo in combos:
        cfg = dict(sweep.fixed)
        cfg.update({a.name: a.values[i].item() for a, i in zip(sweep.axes, combo)})
        try:
            mod.validate(cfg)
        except ValueError as exc:
            at = ", ".join(f"{a.name} = {a.values[i].item()!r}" for a, i in zip(sweep.axes, combo))
            raise SweepFileError(f"[grid] at {at}: {exc}") from None
