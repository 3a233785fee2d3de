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
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import __version__
from .axes import Axis, Grid, parse_axis
from .errors import SweepFileError, closest, unknown_key
from .optimizer import FIELD_AXES, ROLES, OptimizerDef, parse_optimizer

TOP_KEYS = ("problem", "optimizer", "grid", "run", "title", "description")
RUN_KEYS = ("steps", "seeds", "checkpoints", "grad_metrics", "regret", "chunk_size", "stream",
            "block")
MAX_STEPS = 10**9


@dataclass(eq=False)
class Sweep(Grid):
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

    # ------------------------------------------------------------------ grid
    def values_at(self, positions, idx) -> dict:
        """``{axis name: value}`` for the axes at ``positions`` and their indices ``idx``."""
        return {self.axes[p].name: float(self.axes[p].values[i]) for p, i in zip(positions, idx)}

    def n_rows(self, key: str) -> int:
        """Distinct values of the axes ``key`` (a role or "problem") depends on."""
        return int(np.prod([self.axes[p].size for p in self.depends[key]], dtype=np.int64))

    def row_index(self, key: str, idx) -> int:
        """The row of ``key`` for the multi-index of the axes it depends on."""
        dep = self.depends[key]
        return int(np.ravel_multi_index(tuple(idx), [self.axes[p].size for p in dep])) if dep else 0

    def row_values(self, key: str, row: int) -> dict:
        dep = self.depends[key]
        idx = np.unravel_index(row, [self.axes[p].size for p in dep]) if dep else ()
        return self.values_at(dep, idx)

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

    @cached_property
    def fingerprint(self) -> str:
        blob = json.dumps(self.canonical(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


# ---------------------------------------------------------------------- loading
def load(path) -> Sweep:
    """Read and validate the sweep file at ``path``."""
    from ..limits import MAX_INPUT_BYTES

    p = Path(path)
    try:
        with open(p, "rb") as f:  # size cap: never read /dev/zero past 16 MB
            data = f.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise SweepFileError(f"sweep file {str(p)!r} is larger than {MAX_INPUT_BYTES >> 20} MB; "
                                 "is it the right file?")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise SweepFileError(f"sweep file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepFileError(f"cannot read sweep file {str(p)!r}: {exc}") from None
    return loads(text, source=str(p))


def loads(text: str, source: str = "<string>", problem_info: dict | None = None) -> Sweep:
    """Validate sweep-file ``text`` (TOML) and return a :class:`Sweep` (or, for a file with
    ``simulator = "NAME"``, a :class:`.plugin.PluginSweep`).

    ``problem_info`` (from a result store's ``store.json``: identity, parameter names,
    dimension) replaces building the problem: a stored sweep is read back without importing
    anything its file names."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepFileError(f"{source}: not valid TOML: {exc}") from None
    if "simulator" in raw:
        from .plugin import loads_plugin

        return loads_plugin(raw, text, source)
    for key in raw:
        if key not in TOP_KEYS:
            raise unknown_key(source, key, TOP_KEYS)
    for key in ("problem", "optimizer", "grid"):
        if key not in raw:
            raise SweepFileError(f"{source}: missing [{key}] table")
    for key in ("problem", "optimizer", "grid", "run"):
        if key in raw and not isinstance(raw[key], dict):
            raise SweepFileError(f"{source}: {key} must be a table, written [{key}]")
    title = raw.get("title", "")
    grid = raw["grid"]
    if not grid:
        raise SweepFileError("[grid]: no axes; add at least one, e.g. s = { start = 0.1, "
                             "stop = 1.0, num = 8 }")
    axes = [parse_axis(name, spec) for name, spec in grid.items()]
    opt = parse_optimizer(raw["optimizer"], [a.name for a in axes])
    pname, pfixed, problem, pnames, ident = _problem(raw["problem"], [a.name for a in axes],
                                                     problem_info)
    run = _run(raw.get("run", {}))
    sweep = Sweep(text=text, source=source, problem_name=pname, problem_fixed=pfixed,
                  optimizer=opt, axes=axes, title=str(title), problem_param_names=pnames,
                  problem_identity=ident, **run)
    _resolve_axes(sweep, opt, pnames)
    if problem_info is not None:
        sweep.dim = int(problem_info["dim"])
        sweep._dims_vary = bool(problem_info.get("dims_vary", False))
        sweep.problem_metas = list(problem_info.get("metas", []))
    else:
        _check_problems(sweep, problem)
    return sweep


def stored_problem_info(sweep) -> dict:
    """What :func:`loads` needs instead of building the problem (stored in ``store.json``)."""
    return {"identity": sweep.problem_identity, "param_names": list(sweep.problem_param_names),
            "dim": int(sweep.dim), "dims_vary": bool(getattr(sweep, "_dims_vary", False)),
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


def _run(raw) -> dict:
    where = "[run]"
    for k in raw:
        if k not in RUN_KEYS:
            raise unknown_key(where, k, RUN_KEYS)
    out = {}
    steps = raw.get("steps")
    if steps is None:
        raise SweepFileError(f"{where}: missing steps (the horizon T), e.g. steps = 10000")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise SweepFileError(f"{where}: steps must be an integer in [1, 10^9], got {steps!r}")
    out["steps"] = steps
    seeds = raw.get("seeds", 1)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if not 1 <= seeds <= 10**6:
            raise SweepFileError(f"{where}: seeds = {seeds}: give a count >= 1 (seeds 0..n-1) "
                                 "or a list of distinct integers")
        out["seeds"] = np.arange(seeds, dtype=np.int64)
    elif isinstance(seeds, list) and seeds and all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        if len(set(seeds)) != len(seeds):
            raise SweepFileError(f"{where}: seeds must be distinct, got {seeds}")
        out["seeds"] = np.array(seeds, dtype=np.int64)
    else:
        raise SweepFileError(f"{where}: seeds must be a count >= 1 or a non-empty list of "
                             f"integers, got {seeds!r}")
    out["checkpoints"] = _checkpoints(raw.get("checkpoints"), steps)
    for key, default in (("grad_metrics", True), ("stream", False)):
        v = raw.get(key, default)
        if not isinstance(v, bool):
            raise SweepFileError(f"{where}: {key} must be true or false, got {v!r}")
        out[key] = v
    regret = raw.get("regret", "auto")
    if regret not in ("auto", True, False):
        raise SweepFileError(f"{where}: regret must be true, false or \"auto\", got {regret!r}")
    out["regret"] = None if regret == "auto" else regret
    for key, lo in (("chunk_size", 1), ("block", 1)):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise SweepFileError(f"{where}: {key} must be an integer >= {lo}, got {v!r}")
            out[key] = v
    return out


def _checkpoints(raw, steps: int) -> np.ndarray:
    from ..engine import default_checkpoints

    if raw is None:
        ck = default_checkpoints(steps)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        if not 1 <= raw <= 10**4:
            raise SweepFileError(f"[run]: checkpoints = {raw}: give a count in [1, 10^4] "
                                 "(log-spaced) or a list of steps")
        ck = default_checkpoints(steps, raw)
    elif isinstance(raw, list) and raw and all(isinstance(c, int) and not isinstance(c, bool)
                                               for c in raw):
        bad = [c for c in raw if not 1 <= c <= steps]
        if bad:
            raise SweepFileError(f"[run]: checkpoint {bad[0]} is outside [1, steps = {steps}]")
        ck = np.array(raw, dtype=np.int64)
    else:
        raise SweepFileError(f"[run]: checkpoints must be a count or a list of steps, got {raw!r}")
    return np.union1d(ck, [steps]).astype(np.int64)


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
            used = set(opt._parsed[r].free_parameters)
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
    sweep._dims_vary = len(dims) > 1
    sweep.problem_metas = metas

