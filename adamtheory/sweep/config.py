"""Sweep files: read and validate a TOML sweep description into a :class:`Sweep`.

A sweep file has four tables (see ``examples/*.toml``)::

    [problem]    name = "reddi-sec5-online"  plus fixed problem parameters
    [optimizer]  schedules (alpha, beta, theta) or name = "adam"; see :mod:`.optimizer`
    [grid]       one axis per swept name; see :mod:`.axes`
    [run]        steps, seeds, checkpoints, grad_metrics, regret, chunk_size, stream, block

Optional top-level ``title`` and ``description`` strings are kept in the results. Every error is
one line naming the field and what would be valid (:class:`~.errors.SweepFileError`).

>>> sw = loads('''
... [problem]
... name = "reddi-sec5-online"
... [optimizer]
... alpha = "0.5 * t**(-s)"
... beta = 0.9
... theta = 0.99
... [grid]
... s = { start = 0.25, stop = 1.0, num = 4 }
... [run]
... steps = 100
... ''')
>>> sw.shape, sw.depends["alpha"], sw.depends["theta"]
((4, 1), (0,), ())
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from .. import __version__, simulators
from ..errors import InputError
from .axes import Axis, parse_axis
from .errors import SweepFileError, closest
from .frame import Frame, SweepBase, count, flag, parse_frame, parse_run, read_text
from .optimizer import FIELD_AXES, ROLES, OptimizerDef, parse_optimizer
from .plugin import loads_settings


@dataclass(eq=False)
class Sweep(SweepBase):
    """A validated sweep: problem, optimizer, grid axes and run settings.

    Configurations are the points of ``shape = (*axis sizes, n_seeds)`` in C order. ``depends``
    maps each role (``alpha``, ``beta``, ``theta``) and ``"problem"`` to the positions of the
    axes it depends on, so that schedules are evaluated once per distinct value of those axes.
    """

    text: str
    source: str
    problem_name: str
    problem_fixed: dict
    optimizer: OptimizerDef
    axes: list
    seeds: np.ndarray
    steps: int
    checkpoints: np.ndarray
    grad_metrics: bool = True
    regret: bool | None = None
    chunk_size: int | None = None
    stream: bool = False
    block: int = 128
    title: str = ""
    depends: dict = field(default_factory=dict)
    dim: int = 1
    problem_param_names: tuple = ()
    problem_identity: dict = field(default_factory=dict)
    problem_metas: list = field(default_factory=list)
    dims_vary: bool = False
    simulator: object = field(default=None, repr=False)

    # ------------------------------------------------------------------ problem
    def problem_params(self, row: int) -> dict:
        params = dict(self.problem_fixed)
        for k, v in self.row_values("problem", row).items():
            params[k] = int(v) if float(v).is_integer() else v
        return params

    def build_problem(self, row: int):
        """The problem of row ``row`` (imports a user's problem file: only when running a sweep,
        never when reading its results). A user file whose bytes no longer match the
        fingerprint is refused rather than mixed into the results."""
        import counterexamples

        ident = self.problem_identity
        if ident.get("kind") == "file":
            from .identity import user_file_digest

            if user_file_digest(self.problem_name) != ident.get("sha256"):
                raise SweepFileError(f"[problem] {self.problem_name}: the file changed (or "
                                     "vanished) after the sweep was started; its results would "
                                     "mix two problems: run the sweep again into a new -o")
        return counterexamples.get(self.problem_name, **self.problem_params(row))

    # ------------------------------------------------------------------ identity
    def canonical(self) -> dict:
        """Everything that determines the results, as JSON-ready data: the package version,
        the sweep file's sha256, the problem's identity *and content* (see :mod:`.identity`),
        the optimizer, the grid and the run settings."""
        o = self.optimizer
        return {
            "version": __version__, "problem": self.problem_name,
            "sweep_sha256": hashlib.sha256(self.text.encode()).hexdigest(),
            "problem_identity": self.problem_identity,
            "problem_fixed": {k: repr(v) for k, v in sorted(self.problem_fixed.items())},
            "optimizer": {"form": o.form, "texts": o.texts, "name": o.name,
                          "fixed": {k: repr(v) for k, v in sorted(o.fixed.items())},
                          "switches": {k: repr(v) for k, v in sorted(o.switches.items())}},
            "axes": [[a.name, [float(v).hex() for v in a.values]] for a in self.axes],
            "seeds": [int(s) for s in self.seeds], "steps": self.steps,
            "checkpoints": [int(c) for c in self.checkpoints],
            "grad_metrics": self.grad_metrics, "regret": self.regret,
        }

    def variables(self) -> dict:
        """The dataset's variables (see :mod:`.dataset`)."""
        from .dataset import engine_variables

        return engine_variables(self)

    def compute_chunk(self, plan, cid: int) -> tuple[dict, dict]:
        """Run chunk ``cid`` with the engine (see :mod:`.compute`)."""
        from .compute import compute_chunk

        return compute_chunk(self, plan, cid)

    def settings(self, idx, plan=None) -> dict:
        """The engine's settings for the configurations at the grid indices ``idx`` (see
        :mod:`adamtheory.engine.plugin`; ``plan`` chooses whole or per-chunk tables)."""
        from .compute import problem, schedule_tables

        n = idx[0].size
        sw = self.optimizer.switches
        spec0 = self.optimizer.spec({a.name: float(a.values[0]) for a in self.axes
                                     if "field" not in a.kind})
        prow = self.rows("problem", idx)
        probs = {int(r): problem(self, int(r)) for r in np.unique(prow)}
        obj = np.empty(n, dtype=object)
        obj[:] = [probs[int(r)] for r in prow]
        x0 = self._field("x0", idx, None)
        return {"problem": obj, "schedules": schedule_tables(self, plan, idx),
                "eps": np.broadcast_to(self._field("eps", idx, spec0.eps), (n,)),
                "eps_root": np.broadcast_to(self._field("eps_root", idx, spec0.eps_root), (n,)),
                "x0": sw.get("x0") if x0 is None else np.asarray(x0),
                "eps_mode": spec0.eps_mode, "bias_correction": spec0.bias_correction,
                "amsgrad": spec0.amsgrad, "regret": self.regret,
                "grad_metrics": self.grad_metrics, "block": self.block, "dim": self.dim}

    def _field(self, name, idx, default):
        """Per-configuration values of a numeric field (an axis) or its fixed value."""
        for p, a in enumerate(self.axes):
            if a.name == name and "field" in a.kind:
                return a.values[idx[p]]
        return default

    # ------------------------------------------------------------------ hooks
    def spec_axes(self) -> list:
        opt = self.optimizer
        names = (set(opt.free) if opt.form == "schedules" else set(opt.sweepable)) | {
            "eps", "eps_root"}
        return [i for i, a in enumerate(self.axes) if a.name in names]

    def cell_spec(self, values: dict):
        return self.optimizer.spec(values)

    def has_theory(self) -> bool:
        return True

    def dataset_attrs(self) -> dict:
        return {"problem": self.problem_name, "optimizer": self.optimizer.describe(),
                "problems": json.dumps(self.problem_metas, sort_keys=True, allow_nan=False),
                "dim": int(self.dim)}

    def store_info(self) -> dict:
        return stored_problem_info(self)

    def estimate(self, plan, cores: int) -> str:
        from .plan import duration

        secs = plan.estimate_seconds(self.grad_metrics, self.dim, cores)
        return f"time ≈ {duration(secs)} on {cores} core{'s' if cores != 1 else ''} (rough)"


# ---------------------------------------------------------------------- loading
def load(path) -> SweepBase:
    """Read and validate the sweep file at ``path``."""
    return loads(read_text(path), source=str(path))


def loads(text: str, source: str = "<string>", problem_info: dict | None = None) -> SweepBase:
    """Validate sweep-file ``text`` (TOML) and return its sweep: the frame is read here, the
    rest by the layout of its simulator (``simulator = "NAME"``, default the engine; see
    :attr:`adamtheory.simulators.Simulator.sections`): a :class:`Sweep` for the engine's
    ``"problem"`` layout, a :class:`.plugin.SettingsSweep` for the ``"settings"`` layout.

    ``problem_info`` (from a result store's ``store.json``: identity, parameter names,
    dimension) replaces building the problem: a stored sweep is read back without importing
    anything its file names."""
    frame = parse_frame(text, source, default=simulators.DEFAULT)
    try:
        sim = simulators.get(frame.simulator)
    except InputError as exc:
        raise SweepFileError(f"{source}: {exc}") from None
    layout = sim.sections[0] if sim.sections else "settings"
    if layout not in LAYOUTS:
        raise SweepFileError(f"{source}: simulator {sim.name!r} declares the sweep layout "
                             f"{layout!r}; known: {', '.join(LAYOUTS)}")
    return LAYOUTS[layout](frame, sim, problem_info)


def _loads_problem(frame: Frame, sim, problem_info: dict | None = None) -> Sweep:
    """The engine's layout: ``[problem]``, ``[optimizer]`` and the frame."""
    source = frame.source
    tables = frame.tables(sim.sections, required=("problem", "optimizer"))
    grid = frame.grid
    if not grid:
        raise SweepFileError("[grid]: no axes; add at least one, e.g. s = { start = 0.1, "
                             "stop = 1.0, num = 8 }")
    axes = [parse_axis(name, spec) for name, spec in grid.items()]
    opt = parse_optimizer(tables["optimizer"], [a.name for a in axes])
    pname, pfixed, problem, pnames, ident = _problem(tables["problem"], [a.name for a in axes],
                                                     problem_info)
    run = _run(frame.run, sim.run_keys)
    sweep = Sweep(text=frame.text, source=source, problem_name=pname, problem_fixed=pfixed,
                  optimizer=opt, axes=axes, title=frame.title, problem_param_names=pnames,
                  problem_identity=ident, simulator=sim, **run)
    _resolve_axes(sweep, opt, pnames)
    if problem_info is not None:
        sweep.dim = int(problem_info["dim"])
        sweep.dims_vary = bool(problem_info.get("dims_vary", False))
        sweep.problem_metas = list(problem_info.get("metas", []))
    else:
        _check_problems(sweep, problem)
    return sweep


#: sweep layout (the first of a simulator's sections) -> the reader of its tables
LAYOUTS = {"problem": _loads_problem, "settings": loads_settings}


def stored_problem_info(sweep) -> dict:
    """What :func:`loads` needs instead of building the problem (stored in ``store.json``)."""
    return {"identity": sweep.problem_identity, "param_names": list(sweep.problem_param_names),
            "dim": int(sweep.dim), "dims_vary": bool(sweep.dims_vary),
            "metas": sweep.problem_metas}


def _problem(raw, grid_names, info=None):
    import counterexamples
    from counterexamples.errors import ProblemError

    from .identity import is_user_file, problem_identity, user_file_digest

    if "name" not in raw or not isinstance(raw["name"], str):
        raise SweepFileError("[problem]: missing name; e.g. name = \"reddi-sec5-online\" (see "
                             "'adamtheory problems')")
    name = raw["name"]
    fixed = {}
    for k, v in raw.items():
        if k == "name":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise SweepFileError(f"[problem] {k}: a problem parameter must be a number, got {v!r}")
        if k in grid_names:
            raise SweepFileError(f"[problem] {k} has a fixed value here and is also a [grid] "
                                 "axis; remove one of them")
        fixed[k] = v
    if info is not None:
        return name, fixed, None, tuple(info["param_names"]), dict(info["identity"])
    digest = user_file_digest(name) if is_user_file(name) else None  # before importing it
    try:
        problem = counterexamples.get(name, **fixed)
    except ProblemError as exc:
        raise SweepFileError(f"[problem]: {exc}") from None
    if is_user_file(name) and user_file_digest(name) != digest:
        raise SweepFileError(f"[problem] {name}: the file changed while it was loaded; "
                             "run again")
    names = tuple(problem.meta.get("user_params", {})) or tuple(fixed)
    return name, fixed, problem, names, problem_identity(name, problem, digest)


def _run(raw, extra) -> dict:
    """The frame's [run] keys plus the engine's ``grad_metrics``, ``regret`` and ``block``."""
    where = "[run]"
    out = parse_run(raw, extra)
    out["grad_metrics"] = flag(where, "grad_metrics", raw.get("grad_metrics", True))
    regret = raw.get("regret", "auto")
    if regret not in ("auto", True, False):
        raise SweepFileError(f"{where}: regret must be true, false or \"auto\", got {regret!r}")
    out["regret"] = None if regret == "auto" else regret
    if "block" in raw:
        out["block"] = count(where, "block", raw["block"])
    return out


def _resolve_axes(sweep: Sweep, opt: OptimizerDef, pnames) -> None:
    """Give each axis its kind(s) and compute which axes each role depends on."""
    names = [a.name for a in sweep.axes]
    targets = {n: [] for n in names}
    for n in names:
        if opt.form == "schedules" and n in opt.free:
            targets[n].append("schedule")
        if opt.form == "named" and n in opt.sweepable:
            targets[n].append("named")
        if n in FIELD_AXES:
            targets[n].append("field")
        if n in pnames:
            targets[n].append("problem")
        if not targets[n]:
            known = set(FIELD_AXES) | set(pnames) | set(opt.free) | set(opt.sweepable)
            raise SweepFileError(
                f"[grid] {n}: not a schedule parameter, problem parameter or optimizer field"
                f"{closest(n, known)}; valid names: {', '.join(sorted(known)) or 'none'}")
    sweep.axes = [Axis(a.name, a.values, "+".join(targets[a.name]), a.spec) for a in sweep.axes]
    if "x0" in names and isinstance(opt.switches.get("x0"), list):
        raise SweepFileError("[grid] x0: x0 is also given as a list in [optimizer]; remove one")
    deps = {}
    for r in ROLES:
        if opt.form == "schedules":
            used = opt.names_in(r)
            deps[r] = tuple(i for i, n in enumerate(names) if n in used)
        else:
            deps[r] = _probe(sweep, opt, r)
    deps["problem"] = tuple(i for i, a in enumerate(sweep.axes) if "problem" in a.kind)
    sweep.depends = deps


def _probe(sweep: Sweep, opt: OptimizerDef, role: str) -> tuple:
    """Axes of a named optimizer that change ``role``'s schedule (compared at two values)."""
    from ..errors import InputError

    base = {a.name: float(a.values[0]) for a in sweep.axes if "named" in a.kind}
    try:
        ref = opt.schedule(role, base).bound_expr
    except InputError as exc:
        raise SweepFileError(f"[grid] at {base}: {exc}") from None
    dep = []
    for i, a in enumerate(sweep.axes):
        if "named" not in a.kind:
            continue
        for v in a.values[1:2]:
            vals = {**base, a.name: float(v)}
            try:
                other = opt.schedule(role, vals).bound_expr
            except InputError as exc:
                raise SweepFileError(f"[grid] {a.name} = {v:g}: {exc}") from None
            if other != ref:
                dep.append(i)
    return tuple(dep)


def _check_problems(sweep: Sweep, problem) -> None:
    """Build the problem for every combination of problem axes (cheap; catches bad values)."""
    from counterexamples.errors import ProblemError

    from .identity import problem_meta

    dims = set()
    metas = []
    n = sweep.n_rows("problem")
    if n > 4096:
        raise SweepFileError(f"[grid]: {n} combinations of problem parameters; at most 4096")
    for row in range(n):
        try:
            p = sweep.build_problem(row) if sweep.depends["problem"] else problem
        except ProblemError as exc:
            at = ", ".join(f"{k} = {v:g}" for k, v in sweep.row_values("problem", row).items())
            raise SweepFileError(f"[grid] {at}: {exc}") from None
        dims.add(int(p.dim))
        metas.append(problem_meta(p, sweep.problem_params(row)))
        if sweep.regret and p.x_star is None:
            raise SweepFileError(f"[run] regret = true needs the optimum x*, which {p.name} does "
                                 "not declare; use regret = \"auto\" or false")
    x0 = sweep.optimizer.switches.get("x0")
    if isinstance(x0, list) and dims != {len(x0)} and len(x0) != 1:
        raise SweepFileError(f"[optimizer] x0 has {len(x0)} values; the problem has dimension "
                             f"{', '.join(map(str, sorted(dims)))}")
    sweep.dim = max(dims)
    sweep.dims_vary = len(dims) > 1
    sweep.problem_metas = metas

