"""The ``"settings"`` sweep layout: a simulator's parameters fixed in ``[settings]`` or swept in
``[grid]`` (every simulator but the engine; see :mod:`adamtheory.simulators`).

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

A simulator with schedules (:attr:`~adamtheory.simulators.Simulator.schedules`) also takes an
``[optimizer]`` table like the engine's: ``alpha``, ``beta``, ``theta`` texts (each defaults to
the simulator's) and values of names they use that are not parameters::

    [optimizer]
    alpha = "a * t**(-s)"            # s: a [grid] axis or [settings] value; a: fixed here
    a = 0.3

Every name of a schedule is then a grid axis, a parameter (its ``[settings]`` value or default)
or fixed in ``[optimizer]``. The schedules are evaluated once per distinct value of the axes they
depend on, checked on t = 1..T (α_t > 0, β_t and θ_t in [0, 1)), handed to ``compute`` as
:class:`~adamtheory.simulators.ScheduleTables` (``settings["schedules"]``), and each cell's spec
(:meth:`~adamtheory.simulators.Simulator.optimizer_spec`) is judged by the checker when the
sweep runs. Without an ``[optimizer]`` table the simulator computes its default schedules
itself (same expressions; the cells' specs are those of the default texts).

The dataset has dims ``(*grid axes, seed)`` (+ ``step`` for the metrics); the axes of choices
and booleans have string and boolean coordinates.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from .. import __version__, simulators
from .axes import Axis, parse_axis
from .errors import SweepFileError, closest, unknown_key
from .frame import Frame, SweepBase, parse_run
from .optimizer import ROLES, OptimizerDef, schedule_names, schedules_def

#: Kept for callers that register a test simulator: the same table as
#: :data:`adamtheory.simulators.BUILTIN`.
SIMULATORS = simulators.BUILTIN
MAX_VALIDATE = 4096


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


def _enc(v):
    return float(v).hex() if isinstance(v, float) else v


@dataclass(eq=False)
class SettingsSweep(SweepBase):
    """A validated sweep of a simulator with the ``"settings"`` layout (see the module)."""

    text: str
    source: str
    simulator: object
    fixed: dict
    axes: list
    seeds: np.ndarray
    steps: int
    checkpoints: np.ndarray
    chunk_size: int | None = None
    stream: bool = False
    title: str = ""
    optimizer: OptimizerDef | None = None
    depends: dict = field(default_factory=dict)
    dim: int = 1

    def variables(self) -> dict:
        """The dataset's variables: ``{name: Var}`` (see :mod:`.dataset`)."""
        from .dataset import Var

        sim = self.simulator
        n_ck = int(self.checkpoints.size)
        return {**{k: Var(d, ("step",), (n_ck,)) for k, d in sim.metrics.items()},
                **{k: Var(d) for k, d in sim.finals.items()}}

    def settings(self, idx, plan=None) -> dict:
        """Per-configuration arrays of every parameter for the grid indices ``idx`` (and the
        ``schedules`` of an ``[optimizer]`` table; ``plan`` chooses whole or per-chunk tables)."""
        out = {}
        for name, par in self.simulator.params.items():
            pos = next((p for p, a in enumerate(self.axes) if a.name == name), None)
            if pos is not None:
                out[name] = self.axes[pos].values[idx[pos]]
                continue
            v = self.fixed[name]
            if v is None and par.kind != "float":
                raise SweepFileError(f"[settings] {name}: no default; give a value")
            dt = (f"<U{max(1, len(v))}" if isinstance(par.kind, tuple)
                  else {"bool": bool, "int": np.int64}.get(par.kind, np.float64))
            out[name] = np.full(idx[-1].size, np.nan if v is None else v, dtype=dt)
        if self.optimizer is not None:
            from .compute import schedule_tables

            out["schedules"] = schedule_tables(self, plan, idx)
        return out

    def compute_chunk(self, plan, cid: int) -> tuple[dict, dict]:
        """Run chunk ``cid`` with the simulator (see :mod:`.compute`)."""
        from .compute import compute_chunk

        return compute_chunk(self, plan, cid)

    def canonical(self) -> dict:
        out = {"version": __version__, "simulator": self.simulator.name,
               "sweep_sha256": hashlib.sha256(self.text.encode()).hexdigest(),
               "fixed": {k: _enc(v) for k, v in sorted(self.fixed.items())},
               "axes": [[a.name, [_enc(v.item()) for v in a.values]] for a in self.axes],
               "seeds": [int(s) for s in self.seeds], "steps": self.steps,
               "checkpoints": [int(c) for c in self.checkpoints]}
        if self.optimizer is not None:  # absent: the simulator's own schedules (older files)
            o = self.optimizer
            out["optimizer"] = {"texts": o.texts,
                                "fixed": {k: repr(v) for k, v in sorted(o.fixed.items())}}
        return out

    def describe(self) -> str:
        return f"{self.simulator.name} simulator"

    # ------------------------------------------------------------------ hooks
    def spec_values(self, values: dict) -> dict:
        """``{param: value}`` of a cell: the fixed settings and defaults, then ``values``."""
        out = {k: (p.default if self.fixed.get(k) is None else self.fixed[k])
               for k, p in self.simulator.params.items()}
        out.update(values)
        return out

    def spec_axes(self) -> list:
        """Every numeric axis: the schedules' names and the parameters the spec may read."""
        if self.simulator.schedules is None:
            return []
        return [i for i, a in enumerate(self.axes) if a.values.dtype.kind in "fi"]

    def cell_spec(self, values: dict):
        sim = self.simulator
        if sim.schedules is None:
            return None
        opt = self.optimizer or self.default_optimizer()
        names = set(opt.free)
        spec = opt.spec({k: float(v) for k, v in values.items() if k in names})
        return sim.optimizer_spec(self.spec_values(values), spec)

    def has_theory(self) -> bool:
        return self.simulator.schedules is not None

    def default_optimizer(self) -> OptimizerDef:
        """The simulator's default schedules bound to this sweep's settings (no [optimizer])."""
        return _optimizer(self.simulator, {}, self.fixed, [a.name for a in self.axes])

    def dataset_attrs(self) -> dict:
        out = {"simulator": self.simulator.name}
        if self.optimizer is not None:
            out["optimizer"] = self.optimizer.describe()
        return out


def _optimizer(sim, raw: dict, fixed: dict, grid_names) -> OptimizerDef:
    """The ``[optimizer]`` of a simulator with schedules: texts default to the simulator's; each
    name is a grid axis, a parameter (``fixed``: its setting or default) or fixed in ``raw``."""
    where = "[optimizer]"
    texts = dict(sim.schedules)
    for r in ROLES:
        if r in raw:
            v = raw[r]
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                raise SweepFileError(f"{where}: {r} must be a schedule text or a number, "
                                     f"got {v!r}")
            texts[r] = v if isinstance(v, str) else repr(v)
    names = set().union(*(schedule_names(texts[r]) for r in ROLES))
    values = {}
    for key, v in raw.items():
        if key in ROLES:
            continue
        if key in sim.params:
            raise SweepFileError(f"{where}: {key} is a parameter of the {sim.name} simulator; "
                                 "give its value in [settings] (or make it a [grid] axis)")
        if key not in names:
            raise unknown_key(where, key, set(ROLES) | names)
        if key in grid_names:
            raise SweepFileError(f"{where}: {key} has a fixed value here and is also a [grid] "
                                 "axis; remove one of them")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SweepFileError(f"{where}: {key} must be a finite number, got {v!r}")
        values[key] = v
    free = sorted(n for n in names if n in grid_names)
    for n in sorted(names - set(values) - set(free)):
        if n in sim.params:
            par = sim.params[n]
            if par.kind not in ("float", "int") or fixed.get(n) is None:
                raise SweepFileError(f"{where}: the schedules use {n!r}, which has no numeric "
                                     "value; give it one in [settings] or make it a [grid] axis")
            values[n] = fixed[n]
        else:
            raise SweepFileError(
                f"{where}: {n!r} in the schedules has no value; give it one here ({n} = 0.5) "
                f"or make it a [grid] axis{closest(n, grid_names)}")
    return schedules_def(texts, values, free)


def loads_settings(frame: Frame, sim, problem_info: dict | None = None) -> SettingsSweep:
    """Validate the tables of a ``"settings"`` sweep (``problem_info`` is not used)."""
    names = tuple(sim.sections) + (("optimizer",) if sim.schedules is not None else ())
    tables = frame.tables(dict.fromkeys(names))
    params = sim.params
    settings, grid = tables.get("settings") or {}, frame.grid
    if not grid:
        raise SweepFileError(f"[grid]: no axes; add at least one of {', '.join(params)}")
    opt_raw = tables.get("optimizer")
    opt_names = set()
    if opt_raw is not None:
        texts = {**sim.schedules, **{r: opt_raw[r] for r in ROLES if isinstance(opt_raw.get(r),
                                                                                 str)}}
        opt_names = set().union(*(schedule_names(t) for t in texts.values())) - set(params)
    for k in settings:
        if k not in params:
            raise unknown_key("[settings]", k, params)
    for k in grid:
        if k not in params and k not in opt_names:
            raise unknown_key("[grid]", k, set(params) | opt_names)
    both = set(settings) & set(grid)
    if both:
        k = sorted(both)[0]
        raise SweepFileError(f"[settings] {k} has a fixed value and is also a [grid] axis; "
                             "remove one of them")
    fixed = {}
    for k, par in params.items():
        if k in grid:
            continue
        v = settings.get(k, par.default)
        fixed[k] = v if (v is None and k not in settings) else _convert(f"[settings] {k}",
                                                                          par.kind, v)
    axes = [_axis(k, params[k].kind, v) if k in params else parse_axis(k, v)
            for k, v in grid.items()]
    if opt_raw is not None:
        axes = [a if a.kind else Axis(a.name, a.values, "schedule", a.spec) for a in axes]
    run = parse_run(frame.run, sim.run_keys)
    sweep = SettingsSweep(text=frame.text, source=frame.source, simulator=sim, fixed=fixed,
                          axes=axes, title=frame.title, **run)
    if opt_raw is not None:
        names_ = [a.name for a in axes]
        opt = _optimizer(sim, opt_raw, fixed, names_)
        sweep.optimizer = opt
        sweep.depends = {r: tuple(i for i, n in enumerate(names_) if n in opt.names_in(r))
                         for r in ROLES}
    _validate_all(sweep)
    return sweep


def _validate_all(sweep: SettingsSweep) -> None:
    sizes = [a.size for a in sweep.axes]
    n = int(np.prod(sizes, dtype=np.int64))
    if n > MAX_VALIDATE:  # validate the corners of the grid
        combos = itertools.product(*[sorted({0, s - 1}) for s in sizes])
    else:
        combos = itertools.product(*[range(s) for s in sizes])
    params = sweep.simulator.params
    for combo in combos:
        cfg = dict(sweep.fixed)
        cfg.update({a.name: a.values[i].item() for a, i in zip(sweep.axes, combo)
                    if a.name in params})
        try:
            sweep.simulator.validate(cfg)
        except ValueError as exc:
            at = ", ".join(f"{a.name} = {a.values[i].item()!r}" for a, i in zip(sweep.axes, combo))
            raise SweepFileError(f"[grid] at {at}: {exc}") from None
