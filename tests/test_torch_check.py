"""adamtheory.torch.check: verdicts for torch optimizers and LR schedulers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from adamtheory.errors import InputError  # noqa: E402
from adamtheory.parsing import T  # noqa: E402
from adamtheory.torch import GenericAdam, check  # noqa: E402
from adamtheory.torch.check import scheduler_factor  # noqa: E402

S = torch.optim.lr_scheduler


def _w():
    return torch.nn.Parameter(torch.zeros(3))


def test_generic_adam_guaranteed_schedule_converges_and_a_false_variant_does_not():
    (v,) = check(GenericAdam([_w()], alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t"))
    assert v.converges is True and v.reason.startswith("converges")
    assert v.verdict.theorem is not None
    # planted: constant θ breaks the convergence condition
    (bad,) = check(GenericAdam([_w()], alpha="0.5/sqrt(t)", beta="0.9", theta="0.99"))
    assert bad.converges is False and bad.items["convergence"][0] == "fails"


def test_torch_adam_has_no_guarantee_with_and_without_cosine():
    opt = torch.optim.Adam([_w()], lr=1e-3)
    (v,) = check(opt)
    assert v.converges is False
    assert "convergence" in v.reason and "form" in v.reason
    assert v.items["convergence"][0] == "fails" and v.items["form"][0] == "fails"
    sch = S.CosineAnnealingLR(opt, T_max=500)
    (c,) = check(opt, sch)
    assert c.converges is False and c.reason
    assert "CosineAnnealingLR in closed form" in c.alpha
    assert "α_t" in c.reason  # the cosine reaches lr = 0 at t = 501: α_t > 0 fails


def test_sampled_scheduler_numeric_certificate_and_planted_growth():
    w = _w()
    opt = GenericAdam([w], alpha="0.5", beta="0.9", theta="1 - 0.01/t")
    sch = S.LambdaLR(opt, lambda e: 1.0 / (1.0 + e) ** 0.5)
    for _ in range(3):
        opt.step()
        sch.step()
    lr_before, epoch_before = opt.param_groups[0]["lr"], sch.last_epoch
    (v,) = check(opt, sch, horizon=20_000)
    assert opt.param_groups[0]["lr"] == lr_before and sch.last_epoch == epoch_before
    assert "sampled on t = 1..20000" in v.alpha
    assert v.converges is True
    assert v.verdict.conditions["convergence"].method == "numeric"
    assert v.verdict.conditions["convergence"].range == (1, 20_000)
    opt2 = GenericAdam([_w()], alpha="0.5", beta="0.9", theta="1 - 0.01/t")
    (bad,) = check(opt2, S.LambdaLR(opt2, lambda e: 1.0 + e), horizon=20_000)
    assert bad.converges is False


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, step_size=7, gamma=0.5),
    lambda o: S.MultiStepLR(o, milestones=[5, 20, 20, 60], gamma=0.3),
    lambda o: S.ExponentialLR(o, gamma=0.99),
    lambda o: S.CosineAnnealingLR(o, T_max=40, eta_min=1e-4),
    lambda o: S.ConstantLR(o, factor=0.25, total_iters=9),
    lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=30),
    lambda o: S.PolynomialLR(o, total_iters=50, power=1.5),
])
def test_closed_forms_equal_the_scheduler(make):
    opt = torch.optim.Adam([{"params": [_w()], "lr": 1e-2}, {"params": [_w()], "lr": 3e-3}])
    sch = make(opt)
    rates = []
    for _ in range(120):
        rates.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sch.step()
    rates = np.array(rates)
    for i in range(2):
        expr = scheduler_factor(sch, i)
        import sympy as sp
        f = sp.lambdify(T, expr, "numpy")
        got = np.array([float(f(t)) for t in range(1, 121)])
        np.testing.assert_allclose(got, rates[:, i], rtol=1e-12, atol=1e-15)


def test_mappings_and_outside_the_theorem():
    (r,) = check(torch.optim.RMSprop([_w()], lr=1e-3))
    assert r.converges is False and r.spec.beta.describe() == "0"
    (m,) = check(torch.optim.RMSprop([_w()], lr=1e-3, momentum=0.9))
    assert any("momentum" in n for n in m.notes)
    (a,) = check(torch.optim.Adagrad([_w()], lr=1e-2))
    assert a.converges is False and a.verdict.conditions["H0"].status == "fails"
    opt = torch.optim.AdamW([_w()], lr=1e-3, weight_decay=0.1)
    (aw,) = check(opt, S.LambdaLR(opt, lambda e: 1.0), horizon=2000)
    assert aw.converges is False and "weight decay" in aw.reason
    # AdamW-like decoupled decay on a schedule that would converge: undecided, not true
    opt = torch.optim.Adam([_w()], lr=1e-3, amsgrad=True)
    (am,) = check(opt)
    assert am.converges is None and "amsgrad" in am.reason
    opt = GenericAdam([_w()])
    (p,) = check(opt, S.ReduceLROnPlateau(opt))
    assert p.converges is None and "loss" in p.reason


def test_per_group_verdicts():
    opt = GenericAdam([{"params": [_w()]}, {"params": [_w()], "theta": "0.999"}],
                      alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t")
    v = check(opt)
    assert [x.converges for x in v] == [True, False]


def test_bad_input():
    with pytest.raises(InputError):
        check("adam")
    opt = torch.optim.SGD([_w()], lr=0.1)
    with pytest.raises(InputError, match="SGD"):
        check(opt)
    a = torch.optim.Adam([_w()])
    with pytest.raises(InputError, match="another optimizer"):
        check(a, S.StepLR(torch.optim.Adam([_w()]), 3))
    with pytest.raises(InputError, match="horizon"):
        check(a, S.LambdaLR(a, lambda e: 1.0), horizon=10)
