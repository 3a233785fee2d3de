"""Optimizer specs: points of the Generic Adam family (REFERENCE section 1).

Generic Adam, coordinate-wise, with m_0 = 0 and v_0 = ε::

    v_t = θ_t v_{t-1} + (1 - θ_t) g_t²
    m_t = β_t m_{t-1} + (1 - β_t) g_t
    x_{t+1} = x_t - α_t m_t / sqrt(v_t)

followed by projection onto the domain on constrained problems. Framework variants change
trajectories; each is an explicit switch and the default is the generic form above:

``eps_mode``
    ``"v0"`` (generic: ε enters only as v_0), ``"torch"`` (v_0 = 0, step m̂/(sqrt(v̂) + ε)),
    ``"optax"`` (as torch, plus ``eps_root`` inside the square root), ``"keras"`` (v_0 = 0,
    ε̂ = ε sqrt(1 - Π θ) added outside the square root of the uncorrected v).
``bias_correction``
    divide m by 1 - Π β_k and v by 1 - Π θ_k (``True`` in torch, optax and Keras).
``amsgrad``
    ``None`` (Generic Adam); ``"torch"`` (running max of the raw v, divided by the current
    1 - Π θ); ``"optax"`` (running max of the bias-corrected v); ``"reddi"`` (v̂_t = max(v̂_{t-1},
    v_t), no correction, no ε). A spec with AMSGrad is outside the Generic Adam family.

The presets :data:`VARIANTS` set ``eps_mode`` and ``bias_correction`` together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from .errors import InputError, OutsideFamilyError, ScheduleError
from .schedules import Schedule, constant, exact_at, sign_at, to_rational


class EpsMode(StrEnum):
    """Where ε enters the step (see the module docstring); the engine's integer code of a mode
    is its position here (:mod:`adamtheory.engine.codes`)."""

    V0 = "v0"
    TORCH = "torch"
    OPTAX = "optax"
    KERAS = "keras"


class Amsgrad(StrEnum):
    """The running-max variants (code = position + 1; 0 is no AMSGrad)."""

    TORCH = "torch"
    OPTAX = "optax"
    REDDI = "reddi"


class Variant(StrEnum):
    """The framework presets of :data:`VARIANTS`."""

    GENERIC = "generic"
    TORCH = "torch"
    OPTAX = "optax"
    KERAS = "keras"


EPS_MODES = tuple(m.value for m in EpsMode)
AMSGRAD_MODES = (None, *(m.value for m in Amsgrad))
#: variant name -> the switches it sets (plain text: they enter sweep fingerprints as text)
VARIANTS = {v.value: {"eps_mode": (EpsMode.V0 if v == Variant.GENERIC else EpsMode(v.value)).value,
                      "bias_correction": v != Variant.GENERIC} for v in Variant}


#: role -> (symbol, range) of the three schedules: α_t > 0, β_t and θ_t in [0, 1) for t ≥ 1.
RANGES = {"alpha": ("α_t", "must be > 0"), "beta": ("β_t", "must lie in [0, 1)"),
          "theta": ("θ_t", "must lie in [0, 1)")}


def check_range(role: str, schedule: Schedule, values: np.ndarray) -> list[int]:
    """Check the float64 values of ``role``'s schedule at t = 1..n against its range.

    The range is decided on the exact values: a float64 value outside it is rechecked with the
    signs of α_t, β_t, θ_t and 1 - β_t, 1 - θ_t at that step (exact when cheap, else 50 digits
    with an arbitrary exponent, :func:`adamtheory.schedules.sign_at`; at most the first five
    such steps). A value valid exactly but rounded onto the edge in float64 (1 - 10^-20/t -> 1.0)
    is accepted.

    Returns
    -------
    list of int
        The steps where float64 rounded an exactly valid value onto the edge.

    Raises
    ------
    ScheduleError
        One line starting with the symbol (``θ_t = 1 at t = 3; θ_t must lie in [0, 1) for every
        step t = 1..n``); callers prefix where the schedule comes from.
    """
    sym, need = RANGES[role]
    n = int(values.size)
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.argmax(bad)) + 1
        raise ScheduleError(f"{sym} is not finite at t = {k}; steps are t = 1..{n}")
    viol = ~(values > 0) if role == "alpha" else ~((values >= 0) & (values < 1))
    rounded = []
    expr = schedule.bound_expr if viol.any() else None
    for k in np.flatnonzero(viol)[:5] + 1:
        k = int(k)
        lo = sign_at(expr, k)
        hi = 1 if role == "alpha" else sign_at(1 - expr, k)
        if lo is None or hi is None:
            raise ScheduleError(f"{sym} = {values[k - 1]!r} in float64 at t = {k} and its exact "
                                f"value cannot be compared with the range; {sym} {need}")
        if not ((lo == 1) if role == "alpha" else (lo in (0, 1) and hi == 1)):
            raise ScheduleError(f"{sym} = {float(exact_at(expr, k)):.6g} at t = {k}; {sym} "
                                f"{need} for every step t = 1..{n}")
        rounded.append(k)
    return rounded


@dataclass(frozen=True)
class OptimizerSpec:
    """A point of the Generic Adam family: schedules α_t, β_t, θ_t, ε and variant switches.

    >>> spec = OptimizerSpec.from_text("0.5/sqrt(t)", "0.9", "1 - 0.01/t")
    >>> spec.name
    'generic'
    """

    alpha: Schedule
    beta: Schedule
    theta: Schedule
    eps: float = 1e-8
    eps_mode: str = "v0"
    bias_correction: bool = False
    amsgrad: str | None = None
    eps_root: float = 0.0
    name: str = "generic"

    def __post_init__(self):
        for role in ("alpha", "beta", "theta"):
            value = getattr(self, role)
            if not isinstance(value, Schedule):
                raise InputError(
                    f"{role} must be a Schedule, got {type(value).__name__} {value!r:.40}; build "
                    "the spec with OptimizerSpec.from_text(alpha, beta, theta) for texts")
        for name in ("eps", "eps_root"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise InputError(f"{name} must be a number, got {type(value).__name__} {value!r:.40}")
            object.__setattr__(self, name, float(value))
        if not isinstance(self.bias_correction, (bool, np.bool_)):
            raise InputError(f"bias_correction must be True or False, got {self.bias_correction!r:.40}")
        if not isinstance(self.name, str):
            raise InputError(f"name must be text, got {type(self.name).__name__}")
        if not (self.eps_root >= 0.0) or self.eps_root == float("inf"):
            raise InputError(f"eps_root must be a finite number >= 0, got {self.eps_root!r}")
        if self.eps_mode not in EPS_MODES:
            raise InputError(f"eps_mode {self.eps_mode!r} is unknown; use one of {', '.join(EPS_MODES)}")
        if self.amsgrad not in AMSGRAD_MODES:
            raise InputError(
                f"amsgrad {self.amsgrad!r} is unknown; use none, torch, optax or reddi"
            )
        if not (self.eps >= 0.0) or self.eps == float("inf"):
            raise InputError(f"eps must be a finite number >= 0, got {self.eps!r}")
        if self.eps_mode == "v0" and self.eps == 0.0 and self.amsgrad != "reddi":
            raise InputError("eps must be > 0 in the generic form (v_0 = eps); use e.g. --eps 1e-8")

    @classmethod
    def from_text(cls, alpha: str, beta: str, theta: str, params: dict | None = None, **kw):
        """Build a spec from schedule texts sharing one set of named parameters."""
        if params is not None and not isinstance(params, dict):
            raise InputError(f"params must be a dict name -> value, got {type(params).__name__}")
        params = dict(params or {})

        def sched(text, role):
            if isinstance(text, Schedule):
                return text
            if isinstance(text, (int, float)) and not isinstance(text, bool):
                text = repr(text)
            if not isinstance(text, str):
                raise InputError(f"{role} must be schedule text such as '0.5/sqrt(t)' or a "
                                 f"Schedule, got {type(text).__name__}")
            used = {k: v for k, v in params.items() if _mentions(text, k)}
            try:
                return Schedule.parse(text, **used)
            except InputError as exc:
                raise type(exc)(f"{role}: {exc}") from None

        return cls(sched(alpha, "alpha"), sched(beta, "beta"), sched(theta, "theta"), **kw)

    @property
    def in_family(self) -> bool:
        """False for AMSGrad variants, which use a running max of v."""
        return self.amsgrad is None

    def require_family(self) -> None:
        if not self.in_family:
            raise OutsideFamilyError(
                f"{self.name} uses a running max of v (amsgrad={self.amsgrad}); it is not Generic "
                "Adam and the sufficient condition does not apply (see its own regret bound)"
            )

    def with_variant(self, variant: str) -> OptimizerSpec:
        """The same schedules under a preset variant (generic, torch, optax, keras)."""
        if variant not in VARIANTS:
            raise InputError(f"variant {variant!r} is unknown; use one of {', '.join(VARIANTS)}")
        return replace(self, **VARIANTS[variant])

    def bind(self, **values) -> OptimizerSpec:
        """Give values to named parameters of the schedules (e.g. for one grid cell)."""
        return replace(
            self,
            alpha=self.alpha.bind(**values),
            beta=self.beta.bind(**values),
            theta=self.theta.bind(**values),
        )


def _mentions(text: str, name: str) -> bool:
    import re

    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


# ---------------------------------------------------------------------- named optimizers
def _alpha(lr, decay: str) -> Schedule:
    lr_ = to_rational(lr, "lr")
    if lr_ <= 0:
        raise InputError(f"lr must be > 0, got {lr}")
    if decay == "sqrt":
        return Schedule.parse("lr/sqrt(t)", lr=lr_)
    if decay == "constant":
        return Schedule.parse("lr", lr=lr_)
    raise InputError(f"lr decay {decay!r} is unknown; use sqrt or constant")


def _unit(value, what: str):
    v = to_rational(value, what)
    if not (0 <= v < 1):
        raise InputError(f"{what} must be in [0, 1), got {value}")
    return v


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, lr_decay="sqrt", **kw) -> OptimizerSpec:
    """Adam: α_t = lr/sqrt(t) (or lr), β_t = β1, θ_t = β2 constant."""
    return OptimizerSpec(_alpha(lr, lr_decay), constant(_unit(beta1, "beta1")),
                         constant(_unit(beta2, "beta2")), eps=eps, name="adam", **kw)


def rmsprop(lr=1e-3, beta2=0.99, eps=1e-8, lr_decay="sqrt", **kw) -> OptimizerSpec:
    """RMSProp: α_t = lr/sqrt(t), β_t = 0, θ_t = β2 constant."""
    return OptimizerSpec(_alpha(lr, lr_decay), constant(0), constant(_unit(beta2, "beta2")),
                         eps=eps, name="rmsprop", **kw)


def adagrad(lr=1e-2, eps=1e-8, **kw) -> OptimizerSpec:
    """AdaGrad: α_t = lr/sqrt(t), β_t = 0, θ_t = 1 - 1/t (so α_t/sqrt(v_t) = lr/sqrt(Σ g²))."""
    return OptimizerSpec(_alpha(lr, "sqrt"), constant(0), Schedule.parse("1 - 1/t"),
                         eps=eps, name="adagrad", **kw)


def adaema(lr=1e-3, beta1=0.9, eps=1e-8, **kw) -> OptimizerSpec:
    """AdaEMA / AdaFom: AdaGrad with momentum, β_t = β1, θ_t = 1 - 1/t."""
    return OptimizerSpec(_alpha(lr, "sqrt"), constant(_unit(beta1, "beta1")),
                         Schedule.parse("1 - 1/t"), eps=eps, name="adaema", **kw)


def adamnc(lr=1e-3, beta1=0.9, lam=0.99, eps=1e-8, **kw) -> OptimizerSpec:
    """AdamNC (Reddi et al.): β_t = β1 λ^{t-1}, θ_t = 1 - 1/t."""
    b, lam_ = _unit(beta1, "beta1"), to_rational(lam, "lam")
    if not (0 < lam_ < 1):
        raise InputError(f"lam must be in (0, 1), got {lam}")
    return OptimizerSpec(_alpha(lr, "sqrt"), Schedule.parse("b*lam**(t-1)", b=b, lam=lam_),
                         Schedule.parse("1 - 1/t"), eps=eps, name="adamnc", **kw)


def amsgrad(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, lr_decay="sqrt", mode="reddi", **kw):
    """AMSGrad (Reddi et al.): outside the Generic Adam family (running max of v)."""
    return OptimizerSpec(_alpha(lr, lr_decay), constant(_unit(beta1, "beta1")),
                         constant(_unit(beta2, "beta2")), eps=eps, amsgrad=mode,
                         name="amsgrad", **kw)


NAMED = {
    "adam": adam,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adaema": adaema,
    "adafom": adaema,
    "adamnc": adamnc,
    "amsgrad": amsgrad,
}


def named(name: str, **hyper) -> OptimizerSpec:
    """A named optimizer as a spec; ``hyper`` takes lr, beta1, beta2, eps, lr_decay as it applies."""
    if not isinstance(name, str):
        raise InputError(f"the optimizer name must be text, got {type(name).__name__}; known: "
                         f"{', '.join(sorted(NAMED))}")
    key = name.lower().replace("-", "").replace("_", "")
    if key not in NAMED:
        import difflib

        close = difflib.get_close_matches(key, NAMED, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"unknown optimizer {name!r}{hint}; known: {', '.join(sorted(NAMED))}")
    import inspect

    factory = NAMED[key]
    accepted = set(inspect.signature(factory).parameters)
    extra = [k for k, v in hyper.items() if v is not None and k not in accepted]
    if extra:
        raise InputError(f"{key} does not take {extra[0]}; it takes {', '.join(sorted(accepted - {'kw'}))}")
    return factory(**{k: v for k, v in hyper.items() if v is not None})
