"""GenericAdam (adamtheory.torch.optim): bitwise ties to the engine and to torch.optim.Adam."""

import io
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import counterexamples as cx  # noqa: E402
from adamtheory.errors import InputError  # noqa: E402
from adamtheory.simulate import simulate_grid  # noqa: E402
from adamtheory.specs import OptimizerSpec  # noqa: E402
from adamtheory.torch import GenericAdam  # noqa: E402

REDDI = "reddi-sec5-online"


def _torch_run(problem, steps, seed=0, **kw):
    """GenericAdam on a 1-d catalog problem: the oracle's gradient, clamping after each step."""
    x = torch.nn.Parameter(torch.tensor([float(problem.x0[0])], dtype=torch.float64))
    opt = GenericAdam([x], bounds=(float(problem.lower[0]), float(problem.upper[0])), **kw)
    prm = problem.params
    for t in range(1, steps + 1):
        _, g = problem.grad1(float(x.detach()[0]), t, seed, prm)
        x.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    return float(x.detach()[0])


def test_generic_equals_engine_bitwise_20000_steps():
    p = cx.get(REDDI)
    spec = OptimizerSpec.from_text("0.5/sqrt(t)", "0.9", "1 - 0.01/t")
    res = simulate_grid([spec], p, 20_000, grad_metrics=False, checkpoints=[20_000])
    x_engine = float(res.batch.x_final[0, 0])
    x_torch = _torch_run(p, 20_000, alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t")
    assert x_torch == x_engine  # bit for bit (float64 ==)
    # the comparison can fail: a different schedule changes the iterate
    assert _torch_run(p, 20_000, alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.011/t") != x_engine


VARIANTS = [
    dict(eps_mode="v0", bias_correction=False, amsgrad=None),
    dict(eps_mode="v0", bias_correction=True, amsgrad=None),
    dict(eps_mode="torch", bias_correction=True, amsgrad=None),
    dict(eps_mode="optax", bias_correction=True, amsgrad=None, eps_root=1e-10),
    dict(eps_mode="keras", bias_correction=True, amsgrad=None),
    dict(eps_mode="v0", bias_correction=False, amsgrad="reddi"),
    dict(eps_mode="torch", bias_correction=True, amsgrad="torch"),
    dict(eps_mode="optax", bias_correction=True, amsgrad="optax"),
    dict(eps_mode="keras", bias_correction=True, amsgrad="optax"),
    dict(eps_mode="v0", bias_correction=True, amsgrad="torch"),
]


def test_every_variant_switch_equals_engine_bitwise():
    """Every (ε placement, bias correction, AMSGrad) switch in the engine's arithmetic order,
    time-varying schedules (one catalog problem: each problem costs a numba compilation)."""
    steps = 1500
    for name, seed in ((REDDI, 0),):
        p = cx.get(name)
        specs = [OptimizerSpec.from_text("0.3/sqrt(t)", "0.9 - 0.5/(t+4)", "1 - 0.02/t", eps=1e-6,
                                         **v) for v in VARIANTS]
        res = simulate_grid(specs, p, steps, seeds=seed, grad_metrics=False, checkpoints=[steps])
        for i, v in enumerate(VARIANTS):
            ams = v["amsgrad"] or "none"
            x = _torch_run(p, steps, seed=seed, alpha="0.3/sqrt(t)", beta="0.9 - 0.5/(t+4)",
                           theta="1 - 0.02/t", eps=1e-6, amsgrad=ams, eps_mode=v["eps_mode"],
                           bias_correction=v["bias_correction"], eps_root=v.get("eps_root", 0.0))
            assert x == float(res.batch.x_final[i, 0]), (name, v)


def _model(dtype, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(),
                               torch.nn.Linear(7, 1)).to(dtype)


def _train(model, opt, steps, seed=1, sched=None):
    gen = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    for _ in range(steps):
        xb = torch.randn(16, 5, generator=gen, dtype=torch.float64).to(dtype)
        yb = torch.randn(16, 1, generator=gen, dtype=torch.float64).to(dtype)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
        if sched is not None:
            sched.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("dtype,amsgrad,foreach", list(itertools.product(
    [torch.float64, torch.float32], [False, True], [False, True])))
def test_torch_variant_equals_torch_adam_bitwise(dtype, amsgrad, foreach):
    a, b = _model(dtype), _model(dtype)
    ref = torch.optim.Adam(a.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8,
                           amsgrad=amsgrad, foreach=foreach)
    ours = GenericAdam(b.parameters(), alpha="1", beta="0.9", theta="0.999", eps=1e-8,
                       variant="torch", amsgrad=amsgrad, lr=1e-2, foreach=foreach)
    for pa, pb in zip(_train(a, ref, 60), _train(b, ours, 60)):
        assert torch.equal(pa, pb)


def test_torch_order_differs_from_engine_order_but_agrees_closely():
    """The bitwise comparisons are sensitive: torch's operations (lerp, addcmul, addcdiv) and
    the engine's (one rounding per operation) give different bits, equal to ~1e-12."""
    a, b = _model(torch.float64), _model(torch.float64)
    kw = dict(alpha="1", beta="0.9", theta="0.999", lr=1e-2)
    pa = _train(a, GenericAdam(a.parameters(), variant="torch", **kw), 40)
    pb = _train(b, GenericAdam(b.parameters(), eps_mode="torch", bias_correction=True, **kw), 40)
    assert any(not torch.equal(x, y) for x, y in zip(pa, pb))
    for x, y in zip(pa, pb):
        assert torch.allclose(x, y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_foreach_equals_loop_bitwise(dtype):
    a, b = _model(dtype), _model(dtype)
    kw = dict(alpha="0.05/sqrt(t)", beta="0.9", theta="1 - 0.01/t", amsgrad="reddi")
    pa = _train(a, GenericAdam(a.parameters(), foreach=False, **kw), 30)
    pb = _train(b, GenericAdam(b.parameters(), foreach=True, **kw), 30)
    for x, y in zip(pa, pb):
        assert torch.equal(x, y)


def test_float32_tracks_float64():
    a, b = _model(torch.float64), _model(torch.float32)
    kw = dict(alpha="0.02/sqrt(t)", beta="0.9", theta="1 - 0.01/t")
    pa = _train(a, GenericAdam(a.parameters(), **kw), 50)
    pb = _train(b, GenericAdam(b.parameters(), **kw), 50)
    for x, y in zip(pa, pb):
        assert torch.allclose(x, y.double(), rtol=1e-3, atol=1e-4)
        assert y.dtype == torch.float32


def test_state_dict_round_trip_mid_run_weights_only():
    kw = dict(alpha="a/t**s", beta="0.9", theta="1 - c/t", a=0.05, s=0.5, c=0.01)
    full = _model(torch.float64)
    opt = GenericAdam(full.parameters(), **kw)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    x_full = _train(full, opt, 40, seed=3, sched=sched)

    half = _model(torch.float64)
    opt1 = GenericAdam(half.parameters(), **kw)
    sched1 = torch.optim.lr_scheduler.StepLR(opt1, step_size=10, gamma=0.5)
    gen_state = torch.Generator().manual_seed(3)
    gen = gen_state
    for _ in range(25):
        xb, yb = torch.randn(16, 5, generator=gen, dtype=torch.float64), \
            torch.randn(16, 1, generator=gen, dtype=torch.float64)
        opt1.zero_grad()
        torch.nn.functional.mse_loss(half(xb), yb).backward()
        opt1.step()
        sched1.step()
    buf = io.BytesIO()
    torch.save({"model": half.state_dict(), "opt": opt1.state_dict(),
                "sched": sched1.state_dict(), "gen": gen.get_state()}, buf)
    buf.seek(0)
    ck = torch.load(buf, weights_only=True)

    resumed = _model(torch.float64, seed=5)          # different initial weights, overwritten
    resumed.load_state_dict(ck["model"])
    opt2 = GenericAdam(resumed.parameters(), alpha="0.5", beta="0.5", theta="0.5")
    opt2.load_state_dict(ck["opt"])                  # the schedules come from the checkpoint
    assert opt2.param_groups[0]["alpha"] == "a/t**s"
    sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=10, gamma=0.5)
    sched2.load_state_dict(ck["sched"])
    gen.set_state(ck["gen"])
    for _ in range(15):
        xb, yb = torch.randn(16, 5, generator=gen, dtype=torch.float64), \
            torch.randn(16, 1, generator=gen, dtype=torch.float64)
        opt2.zero_grad()
        torch.nn.functional.mse_loss(resumed(xb), yb).backward()
        opt2.step()
        sched2.step()
    for x, y in zip(x_full, resumed.parameters()):
        assert torch.equal(x, y.detach())


def test_lr_multiplies_alpha_and_groups_have_own_schedules():
    w1 = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    w2 = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = GenericAdam([{"params": [w1]}, {"params": [w2], "alpha": "0.1", "lr": 3.0}],
                      alpha="0.5/sqrt(t)", beta="0", theta="0.5", eps=1e-300)
    w1.grad = torch.ones(1, dtype=torch.float64)
    w2.grad = torch.ones(1, dtype=torch.float64)
    opt.step()
    # β = 0, v_1 = 0.5 ε + 0.5: step = lr α_1 / sqrt(0.5)
    assert float(w1.detach()) == pytest.approx(-0.5 / np.sqrt(0.5), rel=1e-15)
    assert float(w2.detach()) == pytest.approx(-0.3 / np.sqrt(0.5), rel=1e-15)


def test_bad_input_one_line():
    w = torch.nn.Parameter(torch.zeros(2))
    for kw, word in [(dict(alpha="__import__('os')"), "alpha"), (dict(theta="1.5"), "theta"),
                     (dict(variant="pytorch"), "variant"), (dict(amsgrad="yes"), "amsgrad"),
                     (dict(lr=-1.0), "lr"), (dict(alpha="a/sqrt(t)"), "a")]:
        with pytest.raises(InputError) as e:
            GenericAdam([w], **kw)
        assert "\n" not in str(e.value) and word in str(e.value)
