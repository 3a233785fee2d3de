"""The ``[optimizer]`` table of a sweep file: schedule texts or a named optimizer, plus switches.

Schedule form (names other than ``t`` are parameters: a value here, or a ``[grid]`` axis)::

    [optimizer]
    alpha = "a * t**(-s)"
    beta  = 0.9
    theta = "1 - 0.01 * t**(-r)"
    a = 0.5                       # fixed value of a parameter
    eps = 1e-8                    # also: variant, eps_mode, bias_correction, amsgrad, eps_root, x0

Named form (``[grid]`` may sweep the numeric fields: ``lr``, ``beta1``, ``beta2``, ``lam``)::

    [optimizer]
    name = "adam"
    lr = 0.1
    lr_decay = "constant"

:class:`OptimizerDef` turns values of the swept names into an
:class:`~adamtheory.specs.OptimizerSpec` (:meth:`OptimizerDef.spec`) or into one schedule
(:meth:`OptimizerDef.schedule`), so that each role can be evaluated per distinct value of only
the axes it depends on.
"""

from __future__ import annotations

import ast
import inspect
import math
from dataclasses import dataclass, field, replace

from ..errors import InputError
from ..parsing import RESERVED
from ..schedules import Schedule
from ..specs import NAMED, VARIANTS, OptimizerSpec, named
from .errors import SweepFileError, closest, unknown_key

ROLES = ("alpha", "beta", "theta")
SWITCHES = ("eps", "eps_mode", "bias_correction", "amsgrad", "eps_root", "variant", "x0")
#: Per-configuration numeric fields that a grid axis may set (not schedules).
FIELD_AXES = ("eps", "eps_root", "x0")


def schedule_names(text: str) -> list[str]:
    """Identifiers used in a schedule text other than ``t`` and the functions (sorted)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return []  # Schedule.parse reports the syntax error
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(RESERVED))


def _number(where, key, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SweepFileError(f"{where}: {key} must be a finite number, got {v!r}")
    return v


@dataclass(eq=False)
class OptimizerDef:
    """A validated ``[optimizer]`` table.

    Attributes
    ----------
    form : {"schedules", "named"}
    texts : dict
        role -> schedule text (schedule form).
    fixed : dict
        Fixed parameter values (schedule form) or fixed hyperparameters (named form).
    name : str or None
        The named optimizer (named form).
    switches : dict
        ``eps``, ``eps_mode``, ``bias_correction``, ``amsgrad``, ``eps_root`` as accepted by
        :class:`~adamtheory.specs.OptimizerSpec`, and ``x0`` (None, a number or a list).
    free : list of str
        Names that need a value from ``[grid]``.
    """

    form: str
    texts: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    name: str | None = None
    switches: dict = field(default_factory=dict)
    free: list = field(default_factory=list)
    sweepable: tuple = ()
    _parsed: dict = field(default_factory=dict, repr=False)

    def names_in(self, role: str) -> set:
        """The free names (grid axes) the schedule of ``role`` uses (schedule form)."""
        return set(self._parsed[role].free_parameters)

    # ------------------------------------------------------------------ building
    def schedule(self, role: str, values: dict) -> Schedule:
        """The bound schedule of ``role`` for the swept names in ``values``."""
        if self.form == "schedules":
            return self._parsed[role].bind(**values)
        return getattr(self.spec(values), role)

    def spec(self, values: dict) -> OptimizerSpec:
        """The full spec for the swept names in ``values`` (a value for every free name)."""
        if self.form == "schedules":
            scheds = {r: self.schedule(r, values) for r in ROLES}
            sw = {k: v for k, v in self.switches.items() if k not in ("x0",)}
            if "eps" in values:
                sw["eps"] = float(values["eps"])
            if "eps_root" in values:
                sw["eps_root"] = float(values["eps_root"])
            return OptimizerSpec(**scheds, **sw)
        hyper = {**self.fixed, **{k: v for k, v in values.items() if k in self.sweepable}}
        if "eps" in values:
            hyper["eps"] = float(values["eps"])
        spec = named(self.name, **hyper)
        sw = {k: v for k, v in self.switches.items() if k not in ("x0", "eps")}
        if "eps_root" in values:
            sw["eps_root"] = float(values["eps_root"])
        return replace(spec, **sw) if sw else spec

    def describe(self) -> str:
        if self.form == "named":
            kv = ", ".join(f"{k}={v}" for k, v in self.fixed.items())
            return f"{self.name}({kv})"
        return "; ".join(f"{r} = {self.texts[r]}" for r in ROLES)


def _switches(where: str, raw: dict) -> dict:
    sw = {}
    if "variant" in raw:
        v = raw["variant"]
        if v not in VARIANTS:
            raise SweepFileError(f"{where}: variant {v!r} is unknown{closest(v, VARIANTS)}; "
                                 f"use one of {', '.join(VARIANTS)}")
        sw.update(VARIANTS[v])
    for key in ("eps_mode", "amsgrad"):
        if key in raw:
            v = raw[key]
            if not isinstance(v, str):
                raise SweepFileError(f"{where}: {key} must be text, got {v!r}")
            sw[key] = None if (key == "amsgrad" and v == "none") else v
    if "bias_correction" in raw:
        if not isinstance(raw["bias_correction"], bool):
            raise SweepFileError(f"{where}: bias_correction must be true or false")
        sw["bias_correction"] = raw["bias_correction"]
    for key in ("eps", "eps_root"):
        if key in raw:
            sw[key] = float(_number(where, key, raw[key]))
    if "x0" in raw:
        x0 = raw["x0"]
        if isinstance(x0, list):
            if not x0:
                raise SweepFileError(f"{where}: x0 must be a number or a non-empty list")
            sw["x0"] = [float(_number(where, f"x0[{i}]", v)) for i, v in enumerate(x0)]
        else:
            sw["x0"] = float(_number(where, "x0", x0))
    return sw


def parse_optimizer(raw, grid_names) -> OptimizerDef:
    """Validate ``[optimizer]``; ``grid_names`` are the names of the ``[grid]`` axes."""
    where = "[optimizer]"
    if not isinstance(raw, dict):
        raise SweepFileError(f"{where} must be a table")
    grid_names = set(grid_names)
    if "name" in raw:
        return _parse_named(raw, grid_names)
    texts, names = {}, set()
    for r in ROLES:
        if r not in raw:
            continue
        v = raw[r]
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise SweepFileError(f"{where}: {r} must be a schedule text or a number, got {v!r}")
        texts[r] = v if isinstance(v, str) else repr(v)
        names |= set(schedule_names(texts[r]))
    fixed = {}
    for key, v in raw.items():
        if key in ROLES or key in SWITCHES:
            continue
        if key not in names:
            raise unknown_key(where, key, set(ROLES) | set(SWITCHES) | {"name"} | names)
        fixed[key] = _number(where, key, v)
    missing = [r for r in ROLES if r not in raw]
    if missing:
        raise SweepFileError(f"{where}: missing {missing[0]}; give alpha, beta and theta "
                             "schedules, or name = \"adam\" (or another named optimizer)")
    for key in fixed:
        if key in grid_names:
            raise SweepFileError(f"{where}: {key} has a fixed value here and is also a [grid] "
                                 "axis; remove one of them")
    free = sorted(names - set(fixed))
    for n in free:
        if n not in grid_names:
            raise SweepFileError(
                f"{where}: {n!r} in the schedules has no value; give it one here ({n} = 0.5) "
                f"or make it a [grid] axis{closest(n, grid_names)}")
    opt = schedules_def(texts, fixed, free, _switches(where, raw))
    _check_switches(opt)
    return opt


def schedules_def(texts: dict, fixed: dict, free, switches: dict | None = None,
                  where: str = "[optimizer]") -> OptimizerDef:
    """The :class:`OptimizerDef` of the schedule ``texts`` (role -> text) whose names take the
    values ``fixed`` or are the grid axes ``free``; each role is parsed once here."""
    opt = OptimizerDef("schedules", texts=dict(texts), fixed=dict(fixed),
                       switches=dict(switches or {}), free=sorted(free))
    for r in ROLES:
        used = {n: fixed.get(n) for n in schedule_names(texts[r])}
        try:
            opt._parsed[r] = Schedule.parse(texts[r], **used)
        except InputError as exc:
            raise SweepFileError(f"{where} {r}: {exc}") from None
    return opt


def _parse_named(raw, grid_names) -> OptimizerDef:
    where = "[optimizer]"
    name = raw["name"]
    if not isinstance(name, str):
        raise SweepFileError(f"{where}: name must be text such as \"adam\"")
    key = name.lower().replace("-", "").replace("_", "")
    if key not in NAMED:
        raise SweepFileError(f"{where}: unknown optimizer {name!r}{closest(key, NAMED)}; "
                             f"known: {', '.join(sorted(NAMED))}")
    params = [p for p in inspect.signature(NAMED[key]).parameters if p != "kw"]
    numeric = tuple(p for p in params if p not in ("lr_decay", "mode", "eps"))
    fixed = {}
    for k, v in raw.items():
        if k == "name" or k in SWITCHES:
            continue
        if k in ROLES:
            raise SweepFileError(f"{where}: {k} cannot be combined with name = {name!r}; give "
                                 "either a named optimizer or alpha, beta and theta")
        if k not in params:
            raise unknown_key(f"{where} ({key})", k, set(params) | set(SWITCHES) | {"name"})
        if k in grid_names:
            raise SweepFileError(f"{where}: {k} has a fixed value here and is also a [grid] "
                                 "axis; remove one of them")
        fixed[k] = v if k in ("lr_decay", "mode") else _number(where, k, v)
    sw = _switches(where, raw)
    if "eps" in sw:
        fixed["eps"] = sw["eps"]
    opt = OptimizerDef("named", fixed=fixed, name=key, switches=sw, sweepable=numeric)
    _check_switches(opt)
    return opt


def _check_switches(opt: OptimizerDef) -> None:
    """Build the spec once with placeholder values to validate the switches early."""
    if opt.form == "named":
        try:
            opt.spec({})
        except InputError as exc:
            raise SweepFileError(f"[optimizer]: {exc}") from None
        return
    try:
        sw = {k: v for k, v in opt.switches.items() if k != "x0"}
        OptimizerSpec(*(Schedule.parse("1/2") for _ in ROLES), **sw)
    except InputError as exc:
        raise SweepFileError(f"[optimizer]: {exc}") from None
