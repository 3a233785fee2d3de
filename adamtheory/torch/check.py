r"""Verdicts for torch optimizers: the checker of :mod:`adamtheory.conditions` per param group.

:func:`check` maps each param group of a torch optimizer to a point of the Generic Adam family
(an :class:`~adamtheory.specs.OptimizerSpec`) and returns the checker's verdict for it:

==========================  =====================================================================
optimizer                   α_t, β_t, θ_t, ε placement
==========================  =====================================================================
:class:`GenericAdam`        lr · α_t (its schedule texts), β_t, θ_t, its own variant switches
``torch.optim.Adam``        α_t = lr, β = β_1, θ = β_2, ε outside the root, bias correction
                            (folded into α_t by the checker), ``amsgrad`` → AMSGrad (torch)
``torch.optim.AdamW``       as Adam; the decoupled weight decay x ← (1 - lr λ) x is outside the
                            theorem (a verdict "converges" becomes "undecided")
``torch.optim.RMSprop``     α_t = lr, β = 0, θ = α (torch's smoothing constant), ε outside the
                            root, no bias correction; momentum or ``centered`` is outside the form
``torch.optim.Adagrad``     α_t = lr / ((1 + (t-1) d) sqrt(t)), β = 0, θ_t = 1 - 1/t (then
                            α_t / sqrt(v_t) = lr_t / sqrt(Σ g²)), ε outside the root
==========================  =====================================================================

A torch LR scheduler multiplies α_t: at optimizer step t the rate is the scheduler's value after
t - 1 scheduler steps (the scheduler is assumed to step once per optimizer step). Schedulers with
a closed form are read as an expression in t (``StepLR``, ``MultiStepLR``, ``ExponentialLR``,
``CosineAnnealingLR``, ``ConstantLR``, ``LinearLR``, ``PolynomialLR``), which the checker decides
symbolically where it can. Any other scheduler (``LambdaLR``, ``OneCycleLR``, ``CyclicLR``,
chained and sequential ones, ...) is *sampled*: a deep copy (over stand-in parameters, the
user's scheduler and optimizer are untouched) is stepped ``horizon`` times, the table of rates
becomes α_t on t = 1..horizon, and every item is decided by the checker's numeric certificates
over that range (method ``numeric``, the range stated in each item).
``ReduceLROnPlateau`` depends on the loss and gives "undecided".
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp
import torch
from sympy.utilities.lambdify import implemented_function

from .. import conditions
from ..errors import InputError, OutsideFamilyError, ScheduleError
from ..parsing import T
from ..schedules import Schedule, to_rational
from ..specs import OptimizerSpec
from .optim import GenericAdam, group_spec

__all__ = ["check", "GroupVerdict", "DEFAULT_HORIZON", "scheduler_factor"]

#: Steps a scheduler without a closed form is sampled on (and the numeric range of its verdict).
DEFAULT_HORIZON = 100_000
MIN_HORIZON = 1000

_sched = torch.optim.lr_scheduler


@dataclass(frozen=True)
class GroupVerdict:
    """The verdict for one param group.

    Attributes
    ----------
    group : int
        Index of the param group.
    optimizer : str
        The torch optimizer's class name.
    converges : bool or None
        True only when the checker's verdict converges and nothing outside the theorem is used.
    reason : str
        One line: the checker's headline, or what makes the group fall outside the theorem.
    spec : OptimizerSpec or None
        The Generic Adam point the group was mapped to.
    verdict : adamtheory.conditions.Verdict or None
        The checker's full verdict (items, methods, ranges).
    alpha : str
        How α_t was read ("constant", "closed form ...", "sampled on t = 1..H").
    notes : tuple of str
        What the mapping assumed or left outside the theorem.
    """

    group: int
    optimizer: str
    converges: bool | None
    reason: str
    spec: OptimizerSpec | None = None
    verdict: object = None
    alpha: str = ""
    notes: tuple = field(default_factory=tuple)

    @property
    def items(self) -> dict:
        """Item name -> (status, reason) of the checker's verdict (empty without one)."""
        if self.verdict is None:
            return {}
        return {k: (c.status, c.reason) for k, c in self.verdict.conditions.items()}

    def to_dict(self) -> dict:
        out = {"group": self.group, "optimizer": self.optimizer, "converges": self.converges,
               "reason": self.reason, "alpha": self.alpha, "notes": list(self.notes)}
        if self.verdict is not None:
            out["verdict"] = self.verdict.to_dict()
        return out

    def __str__(self) -> str:
        head = {True: "converges: true", False: "converges: false", None: "converges: undecided"}
        lines = [f"group {self.group} ({self.optimizer}): {head[self.converges]} - {self.reason}"]
        lines.append(f"  alpha_t: {self.alpha}")
        for k, (status, why) in self.items.items():
            if status != conditions.HOLDS:
                lines.append(f"  {k}: {status}: {why}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _r(x, what):
    return to_rational(float(x), what)


# ----------------------------------------------------------------------------- LR schedulers
def scheduler_factor(scheduler, group: int):
    """The closed form of ``scheduler``'s rate for param group ``group`` as a sympy expression in
    the optimizer step t (the rate after t - 1 scheduler steps), or None when it has none."""
    e = T - 1
    base = _r(scheduler.base_lrs[group], "base lr")

    def steps_of(n):
        # floor((t - 1)/n), written as floor((2t - 1)/(2n)): equal at every integer t, and its
        # float64 value never sits on an integer (sympy distributes (t - 1)/n into t/n - 1/n,
        # whose float value can round just below an exact multiple)
        return sp.floor((2 * T - 1) / (2 * sp.Integer(n)))

    if type(scheduler) is _sched.StepLR:
        return base * _r(scheduler.gamma, "gamma") ** steps_of(int(scheduler.step_size))
    if type(scheduler) is _sched.MultiStepLR:
        count = sum((sp.Min(1, steps_of(int(m))) * int(k)
                     for m, k in scheduler.milestones.items() if int(m) > 0), sp.Integer(0))
        return base * _r(scheduler.gamma, "gamma") ** count
    if type(scheduler) is _sched.ExponentialLR:
        return base * _r(scheduler.gamma, "gamma") ** e
    if type(scheduler) is _sched.CosineAnnealingLR:
        lo = _r(scheduler.eta_min, "eta_min")
        return lo + (base - lo) * (1 + sp.cos(sp.pi * e / int(scheduler.T_max))) / 2
    if type(scheduler) is _sched.ConstantLR:
        f = _r(scheduler.factor, "factor")
        n = int(scheduler.total_iters)
        return base * (f + (1 - f) * sp.Min(1, steps_of(n))) if n > 0 else base
    if type(scheduler) is _sched.LinearLR:
        a, b = _r(scheduler.start_factor, "start_factor"), _r(scheduler.end_factor, "end_factor")
        n = int(scheduler.total_iters)
        return base * (a + (b - a) * sp.Min(e, n) / n) if n > 0 else base * b
    if type(scheduler) is _sched.PolynomialLR:
        n = int(scheduler.total_iters)
        return base * (1 - sp.Min(e, n) / sp.Integer(n)) ** _r(scheduler.power, "power")
    return None


def _sample(scheduler, optimizer, horizon: int) -> np.ndarray:
    """Rates (n_groups, horizon) of a deep copy of ``scheduler`` stepped ``horizon`` - 1 times;
    the copy's optimizer holds one-element stand-ins for the parameters and no state."""
    memo = {id(optimizer.state): {}}
    for g in optimizer.param_groups:
        for p in g["params"]:
            memo[id(p)] = torch.zeros(1)
    sch = copy.deepcopy(scheduler, memo)
    groups = sch.optimizer.param_groups
    out = np.empty((len(groups), horizon))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(horizon):
            out[:, k] = [float(g["lr"]) for g in groups]
            if k + 1 < horizon:
                sch.step()
    return out


def _tabulated(values: np.ndarray, name: str):
    """α_t as a sympy function of t implemented by a table (t = 1..len(values))."""
    table = np.ascontiguousarray(values, dtype=np.float64)

    def lookup(t):
        idx = np.asarray(t, dtype=np.int64) - 1
        return table[np.clip(idx, 0, table.size - 1)]

    return implemented_function(name, lookup)(T)


# ----------------------------------------------------------------------------- mapping
def _map_group(optimizer, group: dict):
    """(α_t without lr, β, θ, eps, eps_mode, bias_correction, amsgrad, notes, outside)."""
    notes, outside = [], []
    name = type(optimizer).__name__
    if isinstance(optimizer, GenericAdam):
        spec = group_spec(group)
        if group.get("bounds") is not None:
            notes.append("bounds: the projection onto a box is the constrained form of the "
                         "regret setting, not of Theorem 1 (unconstrained)")
        return spec, notes, outside
    beta, theta, eps = None, None, float(group.get("eps", 1e-8))
    alpha = sp.Integer(1)
    eps_mode, bc, ams = "torch", False, None
    wd = float(group.get("weight_decay", 0.0) or 0.0)
    if isinstance(optimizer, (torch.optim.Adam, torch.optim.AdamW)):
        beta, theta = group["betas"]
        bc = True
        ams = "torch" if group.get("amsgrad") else None
        decoupled = isinstance(optimizer, torch.optim.AdamW) or group.get("decoupled_weight_decay")
        if wd:
            if decoupled:
                outside.append(f"decoupled weight decay λ = {wd:g} (x ← (1 - lr λ) x) is outside "
                               "the theorem")
            else:
                notes.append(f"weight decay λ = {wd:g} adds λ x to the gradient: the verdict "
                             "is for the objective f + (λ/2)||x||²")
    elif isinstance(optimizer, torch.optim.RMSprop):
        beta, theta = 0.0, group["alpha"]
        if group.get("momentum", 0):
            outside.append(f"momentum {group['momentum']:g} (heavy ball on the preconditioned "
                           "step) is not the Generic Adam moment")
        if group.get("centered"):
            outside.append("centered=True (v minus the squared mean) is outside the Generic "
                           "Adam form")
        if wd:
            notes.append(f"weight decay λ = {wd:g}: the verdict is for f + (λ/2)||x||²")
    elif isinstance(optimizer, torch.optim.Adagrad):
        beta, theta = 0.0, None
        d = _r(group.get("lr_decay", 0.0), "lr_decay")
        alpha = 1 / ((1 + (T - 1) * d) * sp.sqrt(T))
        notes.append("Adagrad: α_t = lr/((1 + (t-1) lr_decay) sqrt(t)) and θ_t = 1 - 1/t give "
                     "α_t/sqrt(v_t) = lr_t/sqrt(Σ g²); torch adds ε to sqrt(Σ g²), i.e. ε/sqrt(t) "
                     "to sqrt(v_t)")
        if group.get("initial_accumulator_value", 0):
            notes.append("initial_accumulator_value acts as v_0")
        if wd:
            notes.append(f"weight decay λ = {wd:g}: the verdict is for f + (λ/2)||x||²")
    else:
        raise InputError(f"check() knows GenericAdam, torch.optim.Adam, AdamW, RMSprop and "
                         f"Adagrad, not {name}")
    if group.get("maximize"):
        notes.append("maximize=True: the verdict is for minimizing -f")
    theta_s = Schedule(1 - 1 / T, (), "1 - 1/t") if theta is None else \
        Schedule(_r(theta, "theta"), (), repr(float(theta)))
    beta_s = Schedule(_r(beta, "beta"), (), repr(float(beta)))
    spec = OptimizerSpec(Schedule(alpha, (), str(alpha)), beta_s, theta_s, eps=eps,
                         eps_mode=eps_mode, bias_correction=bc, amsgrad=ams, name=name)
    return spec, notes, outside


def _validate_horizon(horizon):
    if horizon is None:
        return DEFAULT_HORIZON
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) \
            or not MIN_HORIZON <= horizon <= 10**7:
        raise InputError(f"horizon must be an integer between {MIN_HORIZON} and 10^7, got "
                         f"{horizon!r:.40}")
    return int(horizon)


def check(optimizer, scheduler=None, horizon: int | None = None) -> list[GroupVerdict]:
    """The checker's verdict for every param group of a torch optimizer (and LR scheduler).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        :class:`~adamtheory.torch.GenericAdam`, ``torch.optim.Adam``, ``AdamW``, ``RMSprop`` or
        ``Adagrad``.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Read as a factor of α_t (closed form, or sampled up to ``horizon``; see the module).
    horizon : int, optional
        Steps a scheduler without a closed form is sampled on (default
        :data:`DEFAULT_HORIZON`); the verdict's numeric certificates then cover t = 1..horizon.

    Returns
    -------
    list of GroupVerdict
        One per param group, in order.

    Examples
    --------
    >>> import torch
    >>> from adamtheory.torch import GenericAdam, check
    >>> w = torch.nn.Parameter(torch.zeros(2))
    >>> check(GenericAdam([w], alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t"))[0].converges
    True
    >>> check(torch.optim.Adam([w], lr=1e-3))[0].converges
    False
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise InputError(f"check() takes a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if scheduler is not None:
        if not isinstance(scheduler, (_sched.LRScheduler, _sched.ReduceLROnPlateau)):
            raise InputError(f"scheduler must be a torch LR scheduler, got "
                             f"{type(scheduler).__name__}")
        if scheduler.optimizer is not optimizer:
            raise InputError("the scheduler belongs to another optimizer; give the optimizer it "
                             "was built with")
    horizon_n = _validate_horizon(horizon)
    sampled = None
    out = []
    for i, group in enumerate(optimizer.param_groups):
        name = type(optimizer).__name__
        spec, notes, outside = _map_group(optimizer, group)
        numeric_range, symbolic = conditions.NUMERIC_RANGE, True
        if scheduler is None:
            lr = _r(group["lr"], "lr")
            factor, how = lr, f"lr = {float(group['lr']):g} times the optimizer's α_t"
        elif isinstance(scheduler, _sched.ReduceLROnPlateau):
            out.append(GroupVerdict(i, name, None, "undecided: ReduceLROnPlateau's α_t depends on "
                                    "the loss, not on t alone", spec, None,
                                    "depends on the loss", tuple(notes + outside)))
            continue
        else:
            factor = scheduler_factor(scheduler, i)
            if factor is not None:
                how = f"{type(scheduler).__name__} in closed form: {factor}"
            else:
                if sampled is None:
                    sampled = _sample(scheduler, optimizer, horizon_n)
                factor = _tabulated(sampled[i], f"{type(scheduler).__name__}_group{i}")
                how = (f"{type(scheduler).__name__} sampled on t = 1..{horizon_n}; items decided "
                       "by numeric certificates on that range")
                numeric_range, symbolic = horizon_n, False
        alpha = Schedule(factor * spec.alpha.bound_expr, (),
                         f"{factor} * ({spec.alpha})" if symbolic else f"sampled × ({spec.alpha})")
        spec = replace(spec, alpha=alpha)
        if spec.amsgrad is not None:
            why = (f"undecided: amsgrad={spec.amsgrad} (running max of v) is outside the "
                   "Generic Adam family; its own regret bound applies")
            out.append(GroupVerdict(i, name, None, why, spec, None, how, tuple(notes + outside)))
            continue
        try:
            verdict = conditions.check(spec, numeric_range=numeric_range, symbolic=symbolic,
                                       cache=True)
        except OutsideFamilyError as exc:  # pragma: no cover - amsgrad handled above
            out.append(GroupVerdict(i, name, None, str(exc), spec, None, how,
                                    tuple(notes + outside)))
            continue
        except ScheduleError as exc:
            out.append(GroupVerdict(i, name, False, f"no guarantee: the schedules leave the "
                                    f"theorem's range ({exc})", spec, None, how,
                                    tuple(notes + outside)))
            continue
        converges = verdict.converges
        reason = conditions.headline(verdict)
        if outside:
            if converges:
                converges = None
                reason = f"undecided: {outside[0]} ({reason})"
            elif converges is False:
                reason = f"{reason}; also {outside[0]}"
        out.append(GroupVerdict(i, name, converges, reason, spec, verdict, how,
                                tuple(list(verdict.notes) + notes + outside)))
    return out
