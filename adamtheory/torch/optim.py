r"""Generic Adam as a :class:`torch.optim.Optimizer`.

:class:`GenericAdam` runs the update of :mod:`adamtheory.specs` (REFERENCE section 1) on torch
tensors, coordinate-wise, with m_0 = 0 and v_0 = ε in the generic form::

    m_t = β_t m_{t-1} + (1 - β_t) g_t
    v_t = θ_t v_{t-1} + (1 - θ_t) g_t²
    x_{t+1} = P(x_t - lr · α_t m_t / sqrt(v_t))

The schedules α_t, β_t, θ_t are schedule *texts* parsed by :mod:`adamtheory.parsing` (the same
whitelist as everywhere in the toolkit) and are stored as text in the param groups, so that
``state_dict()`` survives ``torch.save`` / ``torch.load(weights_only=True)``. ``lr`` multiplies
α_t, so torch's LR schedulers (which rewrite ``group["lr"]``) compose with the schedule. Every
variant switch of the engine is available per group: ``variant`` (``generic``, ``torch``,
``optax``, ``keras``: ε placement and bias correction together), ``eps_mode`` and
``bias_correction`` to override one of them, ``eps_root`` and ``amsgrad`` (``none``, ``torch``,
``optax``, ``reddi``). ``bounds=(lower, upper)`` clamps the iterate after each step (the
engine's projection onto a box).

Arithmetic order
----------------
Every variant except ``variant="torch"`` performs the operations of the engine's ``_update``
(:mod:`adamtheory.engine.kernels`) in the same order, one IEEE rounding per operation (no fused
multiply-add), so that a float64 run equals the engine bit for bit on the same gradients. With
``variant="torch"`` and ``amsgrad`` in (none, torch) the update performs torch's own operations
(``lerp_``, ``addcmul_``, ``addcdiv_``, β^t as a power for constant β), so that it equals
``torch.optim.Adam`` bit for bit; with time-varying β_t or θ_t the bias corrections use the
running products 1 - Π_{k≤t} β_k, 1 - Π_{k≤t} θ_k, as the engine does.

State per parameter: ``step`` (int t), ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq``
(AMSGrad's running max), and the products ``prod_beta`` = Π β_k, ``prod_theta`` = Π θ_k as
Python floats (exact float64 running products, never cast to the parameter's dtype).

Examples
--------
>>> import torch
>>> from adamtheory.torch import GenericAdam
>>> w = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
>>> opt = GenericAdam([w], alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t")
>>> w.grad = torch.ones(3, dtype=torch.float64)
>>> opt.step()
>>> round(float(w[0]), 9)  # 1 - α_1 (1 - β) g / sqrt(θ_1 ε + (1 - θ_1) g²)
0.500000247
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from ..conditions import validate
from ..errors import InputError
from ..specs import AMSGRAD_MODES, EPS_MODES, VARIANTS, OptimizerSpec

__all__ = ["GenericAdam", "group_spec", "schedule_value"]

#: Schedule values are evaluated in blocks of this many steps (one numpy call per block, as the
#: engine evaluates whole tables).
BLOCK = 4096
#: Steps on which a group's schedules are validated at construction (α_t > 0, β_t, θ_t in [0, 1)).
VALIDATE_STEPS = 1000

_AMS_TEXT = {"none": None, None: None, "torch": "torch", "optax": "optax", "reddi": "reddi"}


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise InputError(f"{what} must be a number, got {type(value).__name__} {value!r:.40}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{what} must be finite, got {value!r}")
    return value


def _schedule_text(value, role: str) -> str:
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return repr(float(value))
    if not isinstance(value, str):
        raise InputError(f"{role} must be schedule text such as '0.5/sqrt(t)', got "
                         f"{type(value).__name__}")
    return value


def _params_key(params: dict) -> tuple:
    if not isinstance(params, dict):
        raise InputError(f"schedule parameters must be a dict name -> number, got "
                         f"{type(params).__name__}")
    out = []
    for k, v in sorted(params.items()):
        if isinstance(v, str):
            out.append((k, v))
        else:
            out.append((k, _number(v, f"schedule parameter {k}")))
    return tuple(out)


@lru_cache(maxsize=256)
def _spec_cached(alpha, beta, theta, params, eps, eps_mode, bias_correction, amsgrad, eps_root):
    spec = OptimizerSpec.from_text(alpha, beta, theta, params=dict(params), eps=eps,
                                   eps_mode=eps_mode, bias_correction=bias_correction,
                                   amsgrad=amsgrad, eps_root=eps_root, name="GenericAdam")
    validate(spec, VALIDATE_STEPS)
    return spec


def group_spec(group: dict) -> OptimizerSpec:
    """The :class:`~adamtheory.specs.OptimizerSpec` of a GenericAdam param group.

    The schedules are the group's texts with its ``schedule_params``; ``lr`` is *not* folded in
    (see :func:`adamtheory.torch.check`, which reads ``lr`` and an LR scheduler as a factor of
    α_t). Raises :class:`~adamtheory.errors.InputError` in one line for invalid entries.
    """
    variant = group.get("variant", "generic")
    if variant not in VARIANTS:
        raise InputError(f"variant {variant!r} is unknown; use one of {', '.join(VARIANTS)}")
    eps_mode = group.get("eps_mode") or VARIANTS[variant]["eps_mode"]
    bc = group.get("bias_correction")
    bc = VARIANTS[variant]["bias_correction"] if bc is None else bc
    if eps_mode not in EPS_MODES:
        raise InputError(f"eps_mode {eps_mode!r} is unknown; use one of {', '.join(EPS_MODES)}")
    if not isinstance(bc, bool):
        raise InputError(f"bias_correction must be True, False or None, got {bc!r:.40}")
    ams = group.get("amsgrad", "none")
    if ams is True:
        ams = "torch"
    if ams is False:
        ams = "none"
    if ams not in _AMS_TEXT:
        raise InputError(f"amsgrad {ams!r} is unknown; use none, torch, optax or reddi")
    ams = _AMS_TEXT[ams]
    assert ams in AMSGRAD_MODES
    return _spec_cached(_schedule_text(group["alpha"], "alpha"),
                        _schedule_text(group["beta"], "beta"),
                        _schedule_text(group["theta"], "theta"),
                        _params_key(group.get("schedule_params", {})),
                        _number(group["eps"], "eps"), eps_mode, bc, ams,
                        _number(group.get("eps_root", 0.0), "eps_root"))


@lru_cache(maxsize=4096)
def _block(sched, start: int) -> np.ndarray:
    return sched.values(BLOCK, start=start)


def schedule_value(sched, t: int) -> float:
    """The float64 value of a schedule at step t, from the block table holding t (the same
    numpy evaluation as the engine's tables)."""
    if sched.is_constant:
        return float(_block(sched, 1)[0])
    start = ((t - 1) // BLOCK) * BLOCK + 1
    return float(_block(sched, start)[t - start])


# ----------------------------------------------------------------------------- list operations
# Each takes lists of tensors; with foreach the torch._foreach_* kernels run, otherwise a loop of
# the same per-tensor operations (one rounding per operation in both).
def _mul_(xs, s, fe):
    if fe:
        torch._foreach_mul_(xs, s)
    else:
        for x in xs:
            x.mul_(s)


def _add_(xs, ys, fe):
    if fe:
        torch._foreach_add_(xs, ys)
    else:
        for x, y in zip(xs, ys):
            x.add_(y)


def _mul(xs, s, fe):
    if fe:
        return list(torch._foreach_mul(xs, s))
    return [x * s for x in xs]


def _mul_t(xs, ys, fe):
    if fe:
        return list(torch._foreach_mul(xs, ys))
    return [x * y for x, y in zip(xs, ys)]


def _div_t(xs, ys, fe):
    if fe:
        return list(torch._foreach_div(xs, ys))
    return [x / y for x, y in zip(xs, ys)]


def _div_(xs, s, fe):
    if fe:
        torch._foreach_div_(xs, s)
    else:
        for x in xs:
            x.div_(s)


def _sqrt(xs, fe):
    """Correctly rounded square roots (IEEE 754). torch's CPU ``sqrt`` for float32/float64 goes
    through MKL's vector math (within 1 ulp, not correctly rounded: about 0.7 % of random
    float64 inputs differ from sqrtsd), so CPU tensors of those dtypes take numpy's ``sqrt``
    (the instruction itself) on a zero-copy view; other devices and dtypes use torch's."""
    out = []
    for x in xs:
        if x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64):
            out.append(torch.from_numpy(np.sqrt(x.numpy())))
        else:
            out.append(x.sqrt())
    return out


def _adds_(xs, s, fe):
    if fe:
        torch._foreach_add_(xs, s)
    else:
        for x in xs:
            x.add_(s)


def _max_(xs, ys, fe):
    if fe:
        torch._foreach_maximum_(xs, ys)
    else:
        for x, y in zip(xs, ys):
            torch.maximum(x, y, out=x)


def _sub_(xs, ys, fe):
    if fe:
        torch._foreach_sub_(xs, ys)
    else:
        for x, y in zip(xs, ys):
            x.sub_(y)


class GenericAdam(torch.optim.Optimizer):
    r"""Generic Adam (α_t, β_t, θ_t given as schedule text) as a torch optimizer.

    Parameters
    ----------
    params : iterable of tensors or of dicts (param groups)
        A group dict may override any of the keyword arguments below, so each group has its own
        schedules.
    alpha, beta, theta : str
        Schedule texts in the step t (and in the names of ``schedule_params``), e.g.
        ``"0.5/sqrt(t)"``, ``"0.9"``, ``"1 - 0.01/t"``; a number is taken as a constant.
    eps : float
        ε: v_0 = ε in the generic form; added to sqrt(v̂) in the torch/optax/keras forms.
    variant : {"generic", "torch", "optax", "keras"}
        Preset of (ε placement, bias correction), as :data:`adamtheory.specs.VARIANTS`.
    amsgrad : {"none", "torch", "optax", "reddi"} or bool
        Running max of v (True means "torch"); outside the Generic Adam family.
    lr : float
        A factor of α_t: the step is lr · α_t · (...). LR schedulers change it.
    eps_mode : str, optional
        Overrides the variant's ε placement (``v0``, ``torch``, ``optax``, ``keras``).
    bias_correction : bool, optional
        Overrides the variant's bias correction.
    eps_root : float
        optax's ε inside the square root.
    bounds : (float, float), optional
        Clamp every coordinate to [lower, upper] after each step (projection onto a box).
    foreach : bool, optional
        Use the ``torch._foreach_*`` kernels (default: only when every parameter is on CUDA).
    **schedule_params
        Values of the names the schedule texts use (``alpha="a/t**s", a=0.5, s=0.5``).
    """

    def __init__(self, params, alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t", eps=1e-8,
                 variant="generic", amsgrad="none", lr=1.0, *, eps_mode=None,
                 bias_correction=None, eps_root=0.0, bounds=None, foreach=None,
                 **schedule_params):
        lr = _number(lr, "lr")
        if not lr > 0:
            raise InputError(f"lr must be > 0, got {lr!r}")
        defaults = dict(alpha=_schedule_text(alpha, "alpha"), beta=_schedule_text(beta, "beta"),
                        theta=_schedule_text(theta, "theta"), eps=_number(eps, "eps"),
                        variant=variant, amsgrad=amsgrad, lr=lr, eps_mode=eps_mode,
                        bias_correction=bias_correction, eps_root=_number(eps_root, "eps_root"),
                        bounds=bounds, foreach=foreach,
                        schedule_params={k: (v if isinstance(v, str) else _number(v, k))
                                         for k, v in schedule_params.items()})
        super().__init__(params, defaults)
        for group in self.param_groups:
            self._check_group(group)

    @staticmethod
    def _check_group(group: dict) -> None:
        group_spec(group)
        b = group.get("bounds")
        if b is not None:
            if not (isinstance(b, (tuple, list)) and len(b) == 2):
                raise InputError(f"bounds must be a pair (lower, upper), got {b!r:.40}")
            lo, hi = float(b[0]), float(b[1])
            if not lo <= hi:
                raise InputError(f"bounds must have lower <= upper, got {b!r:.40}")
            group["bounds"] = (lo, hi)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        if hasattr(self, "defaults") and "alpha" in self.defaults:
            self._check_group(self.param_groups[-1])

    # ------------------------------------------------------------------------- state
    def _init_state(self, p, spec) -> dict:
        state = self.state[p]
        if not state:
            v0 = spec.eps if spec.eps_mode == "v0" else 0.0
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.full_like(p, v0, memory_format=torch.preserve_format)
            if spec.amsgrad is not None:
                state["max_exp_avg_sq"] = state["exp_avg_sq"].clone()
            state["prod_beta"] = 1.0
            state["prod_theta"] = 1.0
        return state

    @torch.no_grad()
    def step(self, closure=None):
        """One step of every parameter that has a gradient (returns the closure's loss)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            spec = group_spec(group)
            fe = group.get("foreach")
            # parameters grouped by their step t (all equal unless some were skipped)
            buckets: dict[int, list] = {}
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise InputError("GenericAdam does not support sparse gradients")
                state = self._init_state(p, spec)
                state["step"] += 1
                buckets.setdefault(state["step"], []).append(p)
            for t, ps in buckets.items():
                use_fe = fe if fe is not None else all(p.is_cuda for p in ps)
                self._update(group, spec, t, ps, bool(use_fe))
        return loss

    def _update(self, group, spec, t, ps, fe):
        a = group["lr"] * schedule_value(spec.alpha, t)
        b = schedule_value(spec.beta, t)
        th = schedule_value(spec.theta, t)
        states = [self.state[p] for p in ps]
        p1 = states[0]["prod_beta"] * b
        p2 = states[0]["prod_theta"] * th
        for s in states:
            s["prod_beta"], s["prod_theta"] = p1, p2
        c1 = 1.0 - p1 if spec.bias_correction else 1.0
        c2 = 1.0 - p2 if spec.bias_correction else 1.0
        grads = [p.grad for p in ps]
        ms = [s["exp_avg"] for s in states]
        vs = [s["exp_avg_sq"] for s in states]
        ams = spec.amsgrad
        vmax = [s["max_exp_avg_sq"] for s in states] if ams is not None else None
        if spec.eps_mode == "torch" and spec.bias_correction and ams in (None, "torch") \
                and group.get("variant") == "torch":
            # torch.optim.Adam's own operations (bitwise equal to it)
            if spec.beta.is_constant:
                c1 = 1.0 - b ** t
            if spec.theta.is_constant:
                c2 = 1.0 - th ** t
            if fe:
                torch._foreach_lerp_(ms, grads, 1.0 - b)
                torch._foreach_mul_(vs, th)
                torch._foreach_addcmul_(vs, grads, grads, 1.0 - th)
            else:
                for m, v, g in zip(ms, vs, grads):
                    m.lerp_(g, 1.0 - b)
                    v.mul_(th).addcmul_(g, g, value=1.0 - th)
            big = vs
            if ams == "torch":
                _max_(vmax, vs, fe)
                big = vmax
            c2s = c2 ** 0.5
            denom = list(torch._foreach_sqrt(big)) if fe else [x.sqrt() for x in big]
            _div_(denom, c2s, fe)
            _adds_(denom, spec.eps, fe)
            step_size = a / c1
            if fe:
                torch._foreach_addcdiv_(ps, ms, denom, -step_size)
            else:
                for p, m, d in zip(ps, ms, denom):
                    p.addcdiv_(m, d, value=-step_size)
            self._project(group, ps, fe)
            return
        # the engine's operations (adamtheory.engine.kernels._update), one rounding each
        _mul_(ms, b, fe)
        _add_(ms, _mul(grads, 1.0 - b, fe), fe)
        _mul_(vs, th, fe)
        g2 = _mul_t(grads, grads, fe)
        _mul_(g2, 1.0 - th, fe)
        _add_(vs, g2, fe)
        if ams == "reddi":
            _max_(vmax, vs, fe)
            steps = _div_t(ms, _sqrt(vmax, fe), fe)
            _mul_(steps, a, fe)
        else:
            if ams is None:
                big, cin = vs, c2
            elif ams == "torch":
                _max_(vmax, vs, fe)
                big, cin = vmax, c2
            else:
                vh = [v / c2 for v in vs] if c2 != 1.0 else [v.clone() for v in vs]
                _max_(vmax, vh, fe)
                big, cin = vmax, 1.0
            mode = spec.eps_mode
            if mode == "v0":
                if cin != 1.0:
                    big = [x / cin for x in big]
                den = _sqrt(big, fe)
                factor = a / c1
            elif mode == "torch":
                den = _sqrt(big, fe)
                sc = math.sqrt(cin)
                if sc != 1.0:
                    _div_(den, sc, fe)
                _adds_(den, spec.eps, fe)
                factor = a / c1
            elif mode == "optax":
                tmp = [x / cin for x in big] if cin != 1.0 else [x.clone() for x in big]
                if spec.eps_root != 0.0:
                    _adds_(tmp, spec.eps_root, fe)
                den = _sqrt(tmp, fe)
                _adds_(den, spec.eps, fe)
                factor = a / c1
            else:  # keras
                raw = [x * c2 for x in big] if ams == "optax" else big
                den = _sqrt(raw, fe)
                _adds_(den, spec.eps, fe)
                factor = (a * math.sqrt(c2)) / c1
            steps = _div_t(ms, den, fe)
            _mul_(steps, factor, fe)
        _sub_(ps, steps, fe)
        self._project(group, ps, fe)

    @staticmethod
    def _project(group, ps, fe):
        bounds = group.get("bounds")
        if bounds is None:
            return
        lo, hi = bounds
        for p in ps:
            p.clamp_(lo, hi)
