"""The Generic Adam engine as a :class:`~adamtheory.simulators.Simulator` (``simulator = "engine"``,
the default of every sweep file).

Its sweep files use the ``"problem"`` layout: ``[problem]`` (a catalog problem or a user's problem
file, with fixed parameters), ``[optimizer]`` (schedule texts or a named optimizer, plus the
variant switches) and the frame (``[grid]``, ``[run]``; see :mod:`adamtheory.sweep.config`).
The sweep layer evaluates the schedules once per distinct value of the axes they depend on and
hands them over as :class:`~adamtheory.simulators.ScheduleTables`; :meth:`EngineSimulator.compute`
runs them with :func:`adamtheory.engine.run_batch`, one batch per problem, and labels each run
(:mod:`.classify`). Its per-checkpoint metrics are the table of :mod:`.metrics`.

Settings of :meth:`EngineSimulator.compute` (n configurations)
------------------------------------------------------------
``problem``
    object array (n,) of :class:`counterexamples.Problem` (configurations sharing an object run
    in one batch);
``schedules``
    :class:`~adamtheory.simulators.ScheduleTables`;
``eps``, ``eps_root``
    float arrays (n,);
``x0``
    a float array (n,) (one starting coordinate per configuration), or one fixed value
    (None: the problem's own, a number, or a list of coordinates);
``eps_mode``, ``bias_correction``, ``amsgrad``, ``regret``, ``grad_metrics``, ``block``
    one value for all (see :func:`~adamtheory.engine.run_batch`);
``dim``
    the width of ``x_final`` (the largest dimension of the sweep's problems).
"""

from __future__ import annotations

import numpy as np

from ..simulators import Param
from ..specs import AMSGRAD_MODES, EPS_MODES
from .classify import LABELS
from .metrics import DESCRIPTIONS

FINALS = {
    "label": "code of converged / stuck / diverged / undecided (engine.LABELS)",
    "flag": "engine flag code: ok / nan / overflow (engine.FLAG_NAMES)",
    "stop_step": "step at which a flagged run stopped (0: ran to the end)",
    "x_final": "final iterate (n, dim)",
}


class EngineSimulator:
    """The engine's side of the simulator protocol (see the module docstring)."""

    name = "engine"
    sections = ("problem", "optimizer")
    run_keys = ("grad_metrics", "regret", "block")
    schedules: dict = {}  # [optimizer] gives them; no default texts
    params = {
        "eps": Param("float", 1e-8,
                     "ε: v_0 = ε (generic), or added to sqrt(v) (torch/optax/keras)"),
        "eps_root": Param("float", 0.0, "ε inside the square root (optax)"),
        "x0": Param("float", None, "starting point (every coordinate); default: the problem's"),
        "eps_mode": Param(EPS_MODES, "v0", "where ε enters (see adamtheory.specs)"),
        "bias_correction": Param("bool", False, "divide m by 1 - Πβ and v by 1 - Πθ"),
        "amsgrad": Param(tuple(str(m).lower() for m in AMSGRAD_MODES), "none",
                         "running max of v (outside the Generic Adam family)"),
    }
    metrics = DESCRIPTIONS
    finals = FINALS

    def validate(self, settings) -> None:
        """The engine runs every spec the sweep layer builds; nothing more to refuse here."""

    def optimizer_spec(self, settings, spec):
        """The engine runs the spec of ``[optimizer]`` as it is (switches included)."""
        return spec

    def compute(self, settings, seeds, steps: int, checkpoints) -> dict:
        """Metrics (n, n_checkpoints), label/flag/stop_step (n,) codes, x_final (n, dim), and
        ``kernel_seconds`` (time inside the compiled kernels)."""
        from .batch import run_batch

        seeds = np.asarray(seeds, np.int64)
        n = seeds.size
        ck = np.asarray(checkpoints, np.int64)
        tabs = settings["schedules"]
        eps = np.broadcast_to(settings["eps"], (n,))
        eps_root = np.broadcast_to(settings["eps_root"], (n,))
        x0_all = settings["x0"]
        per_config_x0 = isinstance(x0_all, np.ndarray) and x0_all.ndim == 1 and x0_all.size == n
        out = {m: np.full((n, ck.size), np.nan) for m in self.metrics}
        out["label"] = np.zeros(n, np.int8)
        out["flag"] = np.zeros(n, np.int8)
        out["stop_step"] = np.zeros(n, np.int64)
        out["x_final"] = np.full((n, int(settings["dim"])), np.nan)
        codes = {lab: i for i, lab in enumerate(LABELS)}
        groups: dict = {}
        for i, p in enumerate(settings["problem"]):
            groups.setdefault(id(p), (p, []))[1].append(i)
        seconds = 0.0
        for prob, members in groups.values():
            sel = np.asarray(members, np.int64)
            x0 = (np.repeat(x0_all[sel][:, None], prob.dim, axis=1) if per_config_x0
                  else x0_all)
            res = run_batch(
                prob, tabs.alpha, tabs.beta, tabs.theta,
                alpha_row=tabs.rows["alpha"][sel], beta_row=tabs.rows["beta"][sel],
                theta_row=tabs.rows["theta"][sel], n=sel.size, eps=eps[sel],
                eps_mode=settings["eps_mode"], bias_correction=settings["bias_correction"],
                amsgrad=settings["amsgrad"], eps_root=eps_root[sel], seeds=seeds[sel], x0=x0,
                checkpoints=ck, regret=settings["regret"],
                grad_metrics=settings["grad_metrics"], block=settings["block"])
            seconds += res.elapsed
            for m in self.metrics:
                out[m][sel] = getattr(res, m).T
            out["label"][sel] = [codes[str(lab)] for lab in res.labels()]
            out["flag"][sel] = res.flag
            out["stop_step"][sel] = res.stop_step
            out["x_final"][sel, :prob.dim] = res.x_final
        out["kernel_seconds"] = seconds
        return out


SIMULATOR = EngineSimulator()
