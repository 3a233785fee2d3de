"""The simulator protocol: what a simulator provides so that sweep files, the runner, the
dataset, the checker's verdicts and the plots work with it unchanged.

A simulator runs n configurations of an optimizer for ``steps`` steps and records per-checkpoint
*metrics* and per-configuration *finals* (float64 arrays). It declares its parameters; a sweep
file fixes each of them (``[settings]``) or sweeps it (``[grid]``); the sweep layer validates
every configuration with :meth:`Simulator.validate` before anything runs, then calls
:meth:`Simulator.compute` on chunks of configurations. The result of a configuration must not
depend on which other configurations share its chunk (the runner chunks the grid freely).

A simulator whose update is Generic Adam (REFERENCE section 1) also declares default schedule
texts (:attr:`Simulator.schedules`): its sweep files then take an ``[optimizer]`` table like
the engine's, the sweep layer evaluates the schedules α_t, β_t, θ_t once per distinct value of
the axes they depend on and passes them to ``compute`` as :class:`ScheduleTables`, and the
hook :meth:`Simulator.optimizer_spec` gives the :class:`~adamtheory.specs.OptimizerSpec` each
configuration runs, so that :func:`adamtheory.conditions.check` judges every cell and the
plots can draw the theory over the runs.

Registry
--------
:func:`get` and :func:`names` find simulators without the caller importing them by name: the
built-in ones through a lazy table of module paths (:data:`BUILTIN`), others through the entry
point group ``adamtheory.simulators`` (``name = "package.module"``; the module defines
``SIMULATOR``). A module is imported only when its simulator is asked for.

>>> sorted(names())[:3]
['distributed', 'engine', 'federated']
>>> sim = get("distributed")
>>> isinstance(sim, Simulator), sim.params["workers"].kind, sim.schedules["alpha"]
(True, 'int', 'lr * t**(-s)')
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import InputError

#: Entry point group of third-party simulators (value: the module defining ``SIMULATOR``).
ENTRY_POINT_GROUP = "adamtheory.simulators"
#: The simulators of this package: name -> module defining ``SIMULATOR`` (imported lazily).
BUILTIN: dict[str, str] = {
    "engine": "adamtheory.engine.plugin",
    "distributed": "adamtheory.distributed.sweep_plugin",
    "federated": "adamtheory.federated.sweep_plugin",
}
#: The simulator of a sweep file that names none.
DEFAULT = "engine"
#: The three roles of a schedule, in the order of the update.
ROLES = ("alpha", "beta", "theta")


@dataclass(frozen=True)
class Param:
    """One parameter of a simulator.

    Attributes
    ----------
    kind : str or tuple of str
        ``"int"``, ``"float"``, ``"bool"``, or a tuple of the allowed strings (choices).
    default : object
        The value when a sweep file neither fixes nor sweeps it; a float default of ``None``
        reaches ``compute`` as NaN ("the simulator's own default").
    help : str
        One line for the documentation and error messages.
    """

    kind: str | tuple
    default: object
    help: str = ""


@dataclass(frozen=True)
class ScheduleTables:
    """The schedules of n configurations, factorized: configuration i runs
    α_t = ``alpha[t - 1, rows["alpha"][i]]`` (likewise β, θ), t = 1..T.

    Attributes
    ----------
    alpha, beta, theta : ndarray, shape (T, n_rows_role)
        float64 values, one column per distinct schedule of the role (validated: α_t > 0,
        β_t and θ_t in [0, 1), finite).
    rows : dict
        role -> int64 array (n,): the column of each configuration.
    """

    alpha: np.ndarray
    beta: np.ndarray
    theta: np.ndarray
    rows: Mapping

    def table(self, role: str) -> np.ndarray:
        return {"alpha": self.alpha, "beta": self.beta, "theta": self.theta}[role]

    def select(self, sel) -> ScheduleTables:
        """The tables of the configurations ``sel`` (same columns, fewer row indices)."""
        return ScheduleTables(self.alpha, self.beta, self.theta,
                              {r: np.asarray(self.rows[r])[sel] for r in ROLES})


@runtime_checkable
class Simulator(Protocol):
    """What every simulator provides (see the module docstring).

    Attributes
    ----------
    name : str
        The value of ``simulator`` in a sweep file.
    params : Mapping[str, Param]
        Its parameters: each may be fixed in ``[settings]`` or be a ``[grid]`` axis.
    metrics : Mapping[str, str]
        name -> description of the float64 outputs per checkpoint, shape (n, n_checkpoints).
    finals : Mapping[str, str]
        name -> description of the float64 outputs per configuration, shape (n,).
    schedules : Mapping[str, str] or None
        Default schedule texts ``{"alpha": ..., "beta": ..., "theta": ...}`` of its
        ``[optimizer]`` table (their free names are parameters or grid axes), or None when the
        simulator takes no schedules (no ``[optimizer]``, no verdicts).
    sections : tuple of str
        The top-level tables of its sweep files besides the frame (title, description,
        ``[grid]``, ``[run]``). The first names the sweep layout: ``"settings"`` (``[settings]``
        fixes parameters; any simulator) or ``"problem"`` (``[problem]`` names a catalog or
        user problem and ``[optimizer]`` its schedules or a named optimizer: the engine).
    run_keys : tuple of str
        ``[run]`` keys of its own beside steps, seeds, checkpoints, chunk_size and stream.
    """

    name: str
    params: Mapping[str, Param]
    metrics: Mapping[str, str]
    finals: Mapping[str, str]
    schedules: Mapping[str, str] | None
    sections: tuple
    run_keys: tuple

    def validate(self, settings: Mapping) -> None:
        """Raise ``ValueError`` (one line, naming the parameter) for a configuration
        ``{param: value}`` the simulator cannot run."""

    def compute(self, settings: Mapping, seeds, steps: int, checkpoints) -> dict:
        """Run n configurations.

        ``settings`` maps every parameter to an array over the configurations (and, when the
        simulator declares :attr:`schedules`, ``"schedules"`` to a :class:`ScheduleTables`);
        ``seeds`` is (n,) int64; ``checkpoints`` sorted steps ending at ``steps``. Returns
        ``{metric: (n, n_checkpoints)}`` and ``{final: (n,)}`` float64 arrays."""

    def optimizer_spec(self, settings: Mapping, spec):
        """The :class:`~adamtheory.specs.OptimizerSpec` that one configuration runs, or None.

        ``settings`` is ``{param: value}`` of the configuration and ``spec`` the spec of its
        ``[optimizer]`` schedules (generic form, v_0 = ε); the simulator adds what it sets
        itself (ε, variant switches). None: its runs are not Generic Adam (no verdict)."""


def names() -> list[str]:
    """The names of every simulator: built-in, then those of installed entry points."""
    return sorted(set(BUILTIN) | set(_entry_points()))


def _entry_points() -> dict:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def module_of(name: str) -> str:
    """The module path of simulator ``name`` (InputError naming the known ones)."""
    if isinstance(name, str) and name in BUILTIN:
        return BUILTIN[name]
    eps = _entry_points()
    if isinstance(name, str) and name in eps:
        return eps[name].split(":")[0]
    import difflib

    known = names()
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"simulator = {name!r} is unknown{hint}; known: {', '.join(known)}")


def get(name: str) -> Simulator:
    """The simulator ``name`` (its module is imported now, once)."""
    sim = importlib.import_module(module_of(name)).SIMULATOR
    if not isinstance(sim, Simulator):
        raise TypeError(f"{module_of(name)}.SIMULATOR does not implement the Simulator protocol")
    return sim


class ModuleSimulator:
    """A :class:`Simulator` made of a module's names: ``NAME``, ``PARAMS`` (``{name: (kind,
    default, help)}``), ``METRICS``, ``FINALS``, ``validate``, ``compute``, and optionally
    ``SCHEDULES`` (default schedule texts; absent: no schedules), ``SECTIONS`` (default
    ``("settings",)``), ``RUN_KEYS`` (default none) and ``optimizer_spec`` (absent: the spec of
    the schedules as it is). A simulator written as plain functions ends with
    ``SIMULATOR = ModuleSimulator(__name__)``."""

    def __init__(self, module_name: str):
        self.module_name = module_name

    @property
    def _names(self) -> dict:
        return vars(importlib.import_module(self.module_name))

    @property
    def name(self) -> str:
        return self._names["NAME"]

    @property
    def params(self) -> dict:
        return {k: Param(*v) for k, v in self._names["PARAMS"].items()}

    @property
    def metrics(self) -> dict:
        return self._names["METRICS"]

    @property
    def finals(self) -> dict:
        return self._names["FINALS"]

    @property
    def schedules(self):
        return self._names.get("SCHEDULES")

    @property
    def sections(self) -> tuple:
        return tuple(self._names.get("SECTIONS", ("settings",)))

    @property
    def run_keys(self) -> tuple:
        return tuple(self._names.get("RUN_KEYS", ()))

    def validate(self, settings) -> None:
        self._names["validate"](settings)

    def compute(self, settings, seeds, steps: int, checkpoints) -> dict:
        return self._names["compute"](settings, seeds, steps, checkpoints)

    def optimizer_spec(self, settings, spec):
        hook = self._names.get("optimizer_spec")
        return spec if hook is None else hook(settings, spec)
