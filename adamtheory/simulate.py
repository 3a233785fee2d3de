"""Run optimizer specs on problems: the layer between :mod:`adamtheory.specs` and the engine.

:func:`simulate` runs one :class:`~adamtheory.specs.OptimizerSpec`; :func:`simulate_grid` runs many
specs (times seeds) as one engine batch. Schedules are evaluated once per *distinct* schedule, so a
grid of specs over (s, r) with α_t = α t^{-s}, θ_t = 1 - θ t^{-r} builds one α row per s and one θ
row per r (the factorized tables of the engine).

Default starting point: ``problem.x0`` if set, else ones. Metrics and labels: see
:mod:`adamtheory.engine.batch` and :mod:`adamtheory.engine.classify`.

>>> from adamtheory.specs import adam
>>> # r = simulate(adam(lr=0.1, beta2=0.99).with_variant("torch"), problem, 10_000)
>>> # r.summary()["label"]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import FLAG_NAMES, run_batch
from .engine.batch import BatchResult
from .engine.metrics import NAMES as METRICS
from .errors import InputError


def _num(v):
    v = float(v)
    return v if np.isfinite(v) else None


@dataclass
class RunResult:
    """One run: checkpoint traces (1-d arrays), final iterate, flag and label."""

    spec: object
    problem: object
    seed: int
    steps: np.ndarray
    traces: dict
    x_final: np.ndarray
    flag: str
    stop_step: int
    label: str

    def summary(self) -> dict:
        """JSON-ready dict: final iterate, final metrics, flag and label."""
        fin = {k: _num(v[-1]) for k, v in self.traces.items()}
        return {
            "problem": getattr(self.problem, "name", ""),
            "optimizer": getattr(self.spec, "name", ""),
            "steps": int(self.steps[-1]),
            "seed": int(self.seed),
            "x_final": [float(v) for v in self.x_final],
            "final": fin,
            "flag": self.flag,
            "stop_step": int(self.stop_step),
            "label": self.label,
        }


@dataclass
class GridResult:
    """Many runs; ``shape`` = shape of the specs array + (n_seeds,), configurations in C order."""

    specs: np.ndarray
    seeds: np.ndarray
    batch: BatchResult
    labels: np.ndarray

    @property
    def shape(self):
        return self.specs.shape + (self.seeds.size,)

    def reshape(self, per_config: np.ndarray) -> np.ndarray:
        """A per-configuration array (last axis n_configs) reshaped to ``shape``."""
        a = np.asarray(per_config)
        return a.reshape(a.shape[:-1] + self.shape) if a.ndim > 1 else a.reshape(self.shape)

    def run(self, i: int) -> RunResult:
        """The i-th configuration as a :class:`RunResult`."""
        b = self.batch
        ns = self.seeds.size
        return RunResult(
            spec=self.specs.reshape(-1)[i // ns], problem=b.problem, seed=int(self.seeds[i % ns]),
            steps=b.steps, traces={k: getattr(b, k)[:, i].copy() for k in METRICS},
            x_final=b.x_final[i].copy(), flag=FLAG_NAMES[int(b.flag[i])],
            stop_step=int(b.stop_step[i]), label=str(self.labels[i]))

    def __len__(self):
        return self.batch.n

    def summary(self) -> list[dict]:
        return [self.run(i).summary() for i in range(len(self))]


def _rows(schedules, steps):
    """Distinct schedules -> table (T, n_distinct) and the row of each schedule."""
    index, cols, rows = {}, [], []
    for s in schedules:
        key = (s.bound_expr, )
        if key not in index:
            index[key] = len(cols)
            cols.append(s.values(steps))
        rows.append(index[key])
    return np.ascontiguousarray(np.stack(cols, axis=1)), np.array(rows, dtype=np.int64)


def _check_arguments(flat, problem, steps, seeds, x0) -> None:
    """One-line InputError for arguments of the wrong type or out of range (before any work)."""
    from counterexamples import Problem

    from .specs import OptimizerSpec

    for s in flat:
        if not isinstance(s, OptimizerSpec):
            raise InputError(f"specs must be OptimizerSpec objects, got {type(s).__name__}; build "
                             "one with OptimizerSpec.from_text(...) or adamtheory.named(...)")
    if not flat:
        raise InputError("no specs to simulate")
    if not isinstance(problem, Problem):
        raise InputError(f"problem must be a counterexamples.Problem, got "
                         f"{type(problem).__name__}; use counterexamples.get(name)")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 10**9:
        raise InputError(f"steps must be an integer between 1 and 10^9, got {steps!r}")
    try:
        arr = np.atleast_1d(np.asarray(seeds))
    except (TypeError, ValueError):
        raise InputError(f"seeds must be integers, got {seeds!r}") from None
    if arr.dtype == object or arr.dtype.kind not in "iu" or arr.ndim != 1 or arr.size == 0 \
            or (arr < 0).any():
        raise InputError(f"seeds must be one integer >= 0 or a list of them (below 2^63), "
                         f"got {seeds!r:.60}")
    if x0 is not None:
        try:
            xa = np.asarray(x0, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"x0 must be numbers, got {x0!r:.60}") from None
        if not np.all(np.isfinite(xa)):
            raise InputError("x0 must be finite numbers")


def simulate_grid(specs, problem, steps: int, seeds=0, x0=None, checkpoints=None, params=None,
                  grad_metrics: bool = True, regret=None, block: int = 128) -> GridResult:
    """Run every spec (any array shape) with every seed on ``problem`` as one engine batch.

    Parameters
    ----------
    specs : OptimizerSpec or array_like of OptimizerSpec
    problem : counterexamples.Problem
    steps : int
        Horizon T.
    seeds : int or sequence of int
        Configurations are (spec, seed) pairs in C order; the same seed gives the same samples.
    x0, checkpoints, params, grad_metrics, regret, block :
        Passed to :func:`adamtheory.engine.run_batch` (``params``: one row of problem parameters
        or one row per configuration).
    """
    if isinstance(specs, (str, bytes)):
        raise InputError(f"specs must be OptimizerSpec objects, got the text {specs[:40]!r}; "
                         "use OptimizerSpec.from_text(alpha, beta, theta) or adamtheory.named(name)")
    arr = np.empty(np.shape(specs) if not hasattr(specs, "alpha") else (), dtype=object)
    if hasattr(specs, "alpha"):
        arr[()] = specs
    else:
        flat = list(np.asarray(specs, dtype=object).reshape(-1))
        arr.reshape(-1)[:] = flat
    flat = list(arr.reshape(-1))
    _check_arguments(flat, problem, steps, seeds, x0)
    seeds = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    ns = seeds.size
    A, ai = _rows([s.alpha for s in flat], steps)
    B, bi = _rows([s.beta for s in flat], steps)
    TH, ti = _rows([s.theta for s in flat], steps)
    rep = lambda a: np.repeat(np.asarray(a), ns)  # noqa: E731
    res = run_batch(
        problem, A, B, TH, alpha_row=rep(ai), beta_row=rep(bi), theta_row=rep(ti),
        n=len(flat) * ns,
        eps=rep([s.eps for s in flat]), eps_mode=list(rep([s.eps_mode for s in flat])),
        bias_correction=rep([s.bias_correction for s in flat]),
        amsgrad=list(rep(np.array([s.amsgrad for s in flat], dtype=object))),
        eps_root=rep([s.eps_root for s in flat]), seeds=np.tile(seeds, len(flat)),
        params=params, x0=x0, checkpoints=checkpoints, regret=regret,
        grad_metrics=grad_metrics, block=block)
    return GridResult(arr, seeds, res, res.labels())


def simulate(spec, problem, steps: int, seed: int = 0, x0=None, checkpoints=None,
             grad_metrics: bool = True, regret=None) -> RunResult:
    """Run one spec for ``steps`` steps on ``problem`` (see :func:`simulate_grid`)."""
    g = simulate_grid(spec, problem, steps, seeds=seed, x0=x0, checkpoints=checkpoints,
                      grad_metrics=grad_metrics, regret=regret)
    return g.run(0)
