"""adamtheory.bounds: the derived Generic Adam bound, Reddi's AMSGrad regret bound, Défossez et al.'s
bounds; the reference loops against the engine; the `adamtheory bound` command."""

import json
import math

import numpy as np
import pytest

import counterexamples as cx
from adamtheory import bounds as B
from adamtheory.cli import main
from adamtheory.schedules import Schedule
from adamtheory.specs import OptimizerSpec, amsgrad, named


def spec(a, b, th, **kw):
    return OptimizerSpec.from_text(a, b, th, **kw)


NCS = cx.get("nonconvex-separable", d=3, sigma=0.1)


# ------------------------------------------------------------------ schedule constants
def test_step_constant_matches_geometric_closed_form():
    b, th, n = 0.8, 0.9, 50
    S = B.step_constant(np.full(n, b), np.full(n, th))
    q = b * b / th
    closed = (1 - b) ** 2 * (1 - q ** np.arange(1, n + 1)) / (1 - q)
    np.testing.assert_allclose(S, closed, rtol=1e-12)
    # the all-t constant K is the fixed point 1/(1-γ) >= sup S (t_0 = 1 here)
    sc = B.schedule_constants(np.full(n, 0.1), np.full(n, b), np.full(n, th))
    assert sc["t_0"] == 1 and math.isclose(sc["gamma"], q)
    assert sc["K"] >= S.max() and sc["K"] >= 1 / (1 - q) - 1e-12


def test_schedule_constants_chi_c0_t0():
    t = np.arange(1, 1001, dtype=float)
    alpha, theta = 0.1 / np.sqrt(t), 1 - 0.5 / t
    sc = B.schedule_constants(alpha, np.full(t.size, 0.9), theta)
    assert math.isclose(sc["chi_1"], 0.1 / math.sqrt(0.5))
    assert math.isclose(sc["C_0"], 1.0, rel_tol=1e-9)          # χ_t = 0.1 sqrt 2 constant
    assert sc["t_0"] == 3 and math.isclose(sc["gamma"], 0.81 / (1 - 0.5 / 3))
    np.testing.assert_allclose(sc["S"], np.cumsum(alpha * np.sqrt(0.5 / t)), rtol=1e-12)


@pytest.mark.parametrize("a,b,th,why", [
    ("0.1/sqrt(t)", "0.9", "1 - 1/t", "θ_1 = 0"),                 # AdaGrad-like with θ_1 = 0
    ("0.1/sqrt(t)", "1 - 1/(t+1)", "1 - 0.5/t**2", "SC1"),          # β_t → 1
    ("0.1", "0", "1 - 0.5/t", "SC3"),                               # χ_t grows like sqrt t
    ("0.1/sqrt(t)", "0.9", "0.5", "SC4"),                           # β² = 0.81 ≥ θ
])
def test_generic_not_applicable_when_a_hypothesis_fails(a, b, th, why):
    res = B.generic_bound(spec(a, b, th), NCS, [10, 100])
    assert not res.applicable and res.reason.startswith("not applicable") and why in res.reason


def test_generic_not_applicable_for_problems_and_variants():
    s = spec("0.05/sqrt(t)", "0.9", "1 - 0.5/t")
    r = B.generic_bound(s, cx.get("two-layer-net"), [10])
    assert not r.applicable and "A2" in r.reason
    r = B.generic_bound(s.with_variant("torch"), NCS, [10])
    assert not r.applicable and "generic form" in r.reason
    r = B.generic_bound(s, cx.get("reddi-thm3"), [10])
    assert not r.applicable


def test_generic_symbolic_equals_numeric():
    s = spec("0.05/sqrt(t)", "0.9", "1 - 0.5/t")
    res = B.generic_bound(s, NCS, [7, 20])
    for i, T in enumerate(res.checkpoints):
        v = float(res.expr.subs(B.T, int(T)).doit().evalf(30))
        assert math.isclose(v, res.values[i], rel_tol=1e-9)


def test_generic_time_varying_beta_adds_the_variation_term():
    s = spec("0.05/sqrt(t)", "0.9*0.99**(t-1)", "1 - 0.5/t")
    res = B.generic_bound(s, NCS, [7, 50])
    assert res.applicable and res.constants["C'''"] > 0
    t = np.arange(1, 51)
    beta = 0.9 * 0.99 ** (t - 1)
    bb = beta / (1 - beta)
    V50 = np.sum(np.abs(np.diff(bb)))                     # Σ_{t=2}^{50} |b(t) - b(t-1)|
    sc = B.schedule_constants(0.05 / np.sqrt(t), beta, 1 - 0.5 / t)
    assert math.isclose(sc["V"][-1], V50, rel_tol=1e-12)
    v = float(res.expr.subs(B.T, 7).doit().evalf(30))
    assert math.isclose(v, res.values[0], rel_tol=1e-9)
    # the same schedules with constant β have no V term and a smaller bound
    const = B.generic_bound(spec("0.05/sqrt(t)", "0.9", "1 - 0.5/t"), NCS, [7, 50])
    assert const.constants["C'''"] > 0 and np.all(const.values < res.values)


def test_generic_beta_zero_has_reference_form_and_hand_constants():
    s = spec("0.05/sqrt(t)", "0", "1 - 0.5/t")
    res = B.generic_bound(s, NCS, [10, 1000])
    c = res.constants
    assert c["C''"] == 0.0 and c["K"] == 1.0 and c["K_m"] == 1.0
    G, L, d, eps, th1, chi1 = NCS.constants["G"], 2.0, 3, 1e-8, 0.5, 0.05 / math.sqrt(0.5)
    P = 2 * math.sqrt(d * eps + G * G)               # C_0 = 1
    A = 2 * G + 1.5 * L * chi1
    Lam = d * math.log1p(G * G / (d * eps))
    df = 3 * 4 / 5                                     # f(2,2,2) = 3 * 4/5
    assert math.isclose(c["C"], P * (df + A * chi1 * Lam), rel_tol=1e-12)
    assert math.isclose(c["C'"], P * A * d / th1, rel_tol=1e-12)
    # (C + C' S_T)/(T α_T) at T = 10 by hand
    t = np.arange(1, 11)
    S = np.sum(0.05 / np.sqrt(t) * np.sqrt(0.5 / t))
    assert math.isclose(res.values[0], (c["C"] + c["C'"] * S) / (10 * 0.05 / math.sqrt(10)),
                        rel_tol=1e-12)


def test_generic_decays_like_the_checker_rate():
    # α/sqrt t, θ = 1 - 0.5/t: the checker's rate is log T / sqrt T; the bound decreases
    res = B.generic_bound(spec("0.05/sqrt(t)", "0", "1 - 0.5/t"), NCS, [10, 100, 1000, 10000])
    assert np.all(np.diff(res.values) < 0)
    scaled = res.values * np.sqrt(res.checkpoints) / np.log(res.checkpoints)
    assert scaled.max() / scaled.min() < 5


def test_constants_symbolic_and_numeric_agree():
    sc = {"beta": 0.9, "gamma": 0.95, "theta_1": 0.3, "C_0": 1.7, "chi_1": 0.2, "K": 12.0,
          "K_m": 30.0, "t_0": 4}
    num = B.derived_constants(sc, 1.5, 2.0, 3.0, 7, 1e-6)
    cs = B.constants_symbolic()
    sub = {B.SYM[k]: v for k, v in sc.items() if k in B.SYM}
    sub.update({B.SYM["Delta_f"]: 1.5, B.SYM["G"]: 2.0, B.SYM["L"]: 3.0, B.SYM["d"]: 7,
                B.SYM["epsilon"]: 1e-6})
    for k in ("C", "C'", "C''", "C'''"):
        assert math.isclose(num[k], float(cs[k].subs(sub)), rel_tol=1e-12)


def test_initial_gap():
    assert math.isclose(B.initial_gap(NCS), 3 * 0.8)
    assert math.isclose(B.initial_gap(NCS, x0=0.0), 0.0)


@pytest.mark.parametrize("name", [n for n in cx.names() if cx.get(n).f_star is not None
                                  or "f_star" in cx.get(n).constants])
def test_initial_gap_is_the_compiled_objectives(name):
    # initial_gap evaluates the oracle's Python function; the kernels run the compiled one
    p = cx.get(name)
    x = np.clip(np.ones(int(p.dim)) if p.x0 is None else np.array(p.x0, float), p.lower, p.upper)
    f = p.objective(np.ascontiguousarray(x), p.params, p.data, np.empty(int(p.dim)))
    fs = float(p.constants.get("f_star", p.f_star))
    assert math.isclose(B.initial_gap(p), f - fs, rel_tol=1e-13, abs_tol=1e-13 * abs(f))


def test_checkpoints_must_be_positive():
    with pytest.raises(B.InputError):
        B.generic_bound(spec("0.05/sqrt(t)", "0", "1 - 0.5/t"), NCS, [0, 5])


# ------------------------------------------------------------------ Défossez et al.
def test_defossez_adam_maps_exactly_onto_engine_optax_form():
    """Their Adam = engine eps_mode optax, no bias correction, ε = 0, eps_root = (1-β2)ε,
    α_t = α sqrt(1-β2^t): same trajectory as the numpy reference loop."""
    from adamtheory.simulate import simulate

    prob = cx.get("logreg-nonconvex", lam=0.1, batch=4)
    a, b2, eps, N = 0.01, 0.9, 1e-6, 300
    ref = B.reference_defossez(prob, a, b2, eps, N, seed=3)
    eng = OptimizerSpec(Schedule.parse("a*sqrt(1 - b**t)", a=a, b=b2), Schedule.parse("0"),
                        Schedule.parse("b", b=b2), eps=0.0, eps_mode="optax",
                        bias_correction=False, eps_root=(1 - b2) * eps)
    ck = np.array([1, 10, 100, 299])
    run = simulate(eng, prob, N, seed=3, checkpoints=ck)
    np.testing.assert_allclose(run.traces["gnorm"][: ck.size] ** 2, ref[ck], rtol=1e-9)


def test_defossez_applicability():
    adam_s = spec("0.001", "0", "0.999")
    ada_s = spec("0.05", "0", "1 - 1/t")
    lr = cx.get("logreg-nonconvex")
    assert B.defossez_bound(adam_s, lr, [10]).applicable
    assert B.defossez_bound(ada_s, lr, [10], adagrad=True).applicable
    gauss = B.defossez_bound(adam_s, NCS, [10])
    assert not gauss.applicable and "almost-sure" in gauss.reason
    assert B.defossez_bound(adam_s, cx.get("nonconvex-separable", sigma=0.0), [10]).applicable
    assert not B.defossez_bound(spec("0.001", "0.9", "0.999"), lr, [10]).applicable   # β1 ≠ 0
    assert not B.defossez_bound(adam_s, lr, [10], adagrad=True).applicable


def test_defossez_bound_has_the_log_beta2_floor():
    res = B.defossez_bound(spec("0.001", "0", "0.99"), cx.get("logreg-nonconvex"), [10, 10**8])
    R, d, L, a = (res.constants[k] for k in ("R", "d", "L", "alpha"))
    floor = (4 * d * R * R / math.sqrt(0.01) + a * d * R * L / 0.01) * -math.log(0.99)
    assert res.values[-1] >= floor and math.isclose(res.values[-1], floor, rel_tol=1e-3)


def test_grad_inf_bound_holds_on_samples():
    prob = cx.get("logreg-nonconvex", lam=0.1, batch=1)
    R = B.grad_inf_bound(prob)
    rng = np.random.default_rng(0)
    g = np.empty(prob.dim)
    for t in range(1, 200):
        x = rng.uniform(-3, 3, prob.dim)
        prob.grad(x, t, 0, prob.params, prob.data, g)
        assert np.abs(g).max() <= R


# ------------------------------------------------------------------ AMSGrad (Reddi et al.)
def test_reference_amsgrad_matches_engine_reddi_mode():
    from adamtheory.simulate import simulate

    prob = cx.get("reddi-sec5-online")
    ck = np.array([5, 50, 500, 2000])
    ref = B.reference_amsgrad(prob, 0.1, 0.9, 0.99, 2000)
    run = simulate(amsgrad(lr=0.1, beta1=0.9, beta2=0.99, eps=0.0, mode="reddi"), prob, 2000,
                   checkpoints=ck, grad_metrics=False)
    np.testing.assert_allclose(run.traces["regret"] * ck, ref["regret"][ck - 1], rtol=1e-9)


def test_amsgrad_bound_terms_by_hand_and_holds():
    prob = cx.get("reddi-thm1", C=3)
    s = amsgrad(lr=0.5, beta1=0.0, beta2=0.9, mode="reddi")
    run = B.reference_amsgrad(prob, 0.5, 0.0, 0.9, 100)
    res = B.amsgrad_bound(s, prob, [100], run=run)
    # β1 = 0: first and third terms only; ||g_{1:T}|| = sqrt(Σ g²) with g = 3 or -1
    g2 = sum(9.0 if t % 3 == 1 else 1.0 for t in range(1, 101))
    t1 = 4 * 10 / 0.5 * run["sum_sqrt_vhat"][-1]
    t3 = 0.5 * math.sqrt(1 + math.log(100)) / (1 * 1 * math.sqrt(0.1)) * math.sqrt(g2)
    assert math.isclose(res.values[0], t1 + t3, rel_tol=1e-12)
    assert run["regret"][-1] <= res.values[0]


def test_amsgrad_not_applicable():
    prob = cx.get("reddi-sec5-online")
    assert not B.amsgrad_bound(named("adam"), prob, [10]).applicable
    assert not B.amsgrad_bound(amsgrad(beta1=0.99, beta2=0.9), prob, [10]).applicable   # γ ≥ 1
    assert not B.amsgrad_bound(amsgrad(), cx.get("nonconvex-separable"), [10]).applicable


# ------------------------------------------------------------------ CLI
def test_cli_bound_generic(capsys):
    rc = main(["bound", "--problem", "nonconvex-separable", "--alpha", "0.05/sqrt(t)",
               "--beta", "0.9", "--theta", "1 - 0.5/t", "--steps", "1000", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["applicable"] and out["checkpoints"][-1] == 1000
    assert all(np.diff(out["values"]) < 0)


def test_cli_bound_all_compares_papers(capsys):
    rc = main(["bound", "--problem", "logreg-nonconvex", "--alpha", "0.001", "--beta", "0",
               "--theta", "0.999", "--steps", "100", "--bound", "all", "--json"])
    out = {b["bound"]: b for b in json.loads(capsys.readouterr().out)}
    assert rc == 0 and set(out) == set(B.BOUNDS)
    assert out["generic"]["applicable"] and out["defossez-adam"]["applicable"]
    assert not out["amsgrad"]["applicable"] and not out["defossez-adagrad"]["applicable"]
    assert out["defossez-adagrad"]["reason"].startswith("not applicable")


def test_cli_bound_not_applicable_and_bad_input(capsys):
    rc = main(["bound", "--problem", "two-layer-net", "--optimizer", "adagrad", "--steps", "10"])
    assert rc == 1 and "not applicable" in capsys.readouterr().out
    assert main(["bound", "--problem", "nonconvex-separable", "--optimizer", "adam"]) == 2
    assert "--steps" in capsys.readouterr().err


def test_cli_bound_with_sweep_results(tmp_path, capsys):
    toml = tmp_path / "s.toml"
    toml.write_text("""title = "t"
[problem]
name = "nonconvex-separable"
d = 2
sigma = 0.1
[optimizer]
alpha = "0.05 * t**(-s)"
beta = 0.5
theta = "1 - 0.5/t"
[grid]
s = { values = [0.5, 0.75] }
[run]
steps = 300
seeds = 2
checkpoints = 6
grad_metrics = true
""")
    out = tmp_path / "out"
    assert main(["sweep", str(toml), "-o", str(out), "--quiet"]) == 0
    capsys.readouterr()
    args = ["bound", "--problem", "nonconvex-separable", "--problem-param", "d=2",
            "--problem-param", "sigma=0.1", "--alpha", "0.05*t**(-s)", "--beta", "0.5",
            "--theta", "1 - 0.5/t", "--results", str(out)]
    wrong = [a if a != "sigma=0.1" else "sigma=0.2" for a in args]
    assert main(wrong + ["--param", "s=0.5"]) == 2          # not the sweep's problem
    assert "--problem-param sigma=0.1" in capsys.readouterr().err
    assert main(args + ["--param", "s=0.6"]) == 2          # not a value of the grid
    assert "not on the sweep's grid" in capsys.readouterr().err
    from adamtheory.cli.bound import measured_from_results

    with pytest.raises(B.InputError, match="select one with --param s=VALUE"):
        measured_from_results(out, {})                     # two values of s: must select one
    assert main(args + ["--param", "s=0.5", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    from adamtheory.sweep.results import open_results

    ds = open_results(out)
    want = ds["grad43"].sel(s=0.5).mean("seed").values ** 1.5
    np.testing.assert_allclose(res["measured"], want, rtol=1e-12)
    assert all(r >= 1 for r in res["ratio"])


def test_docstring_examples():
    import doctest

    from adamtheory.cli import bound as prove_cli
    from proofs_check import assembly, lemma7_holder, run

    for mod in (B, prove_cli, run, assembly, lemma7_holder):
        res = doctest.testmod(mod)
        assert res.failed == 0, mod.__name__


# ------------------------------------------------------------------ Theorem 2 (docs/derivations.md §4b)
from adamtheory import theorem as TH  # noqa: E402


def _tables(a, b, th, n):
    s = spec(a, b, th)
    return s.alpha.values(n), s.beta.values(n), s.theta.values(n)


@pytest.mark.parametrize("sched", [("0.05/sqrt(t)", "0", "1 - 0.5/t"),
                                   ("0.05/sqrt(t)", "0.9", "1 - 0.5/t"),
                                   ("0.02/sqrt(t)", "0.9", "0.999"),
                                   ("0.05/sqrt(t)", "0.9*0.99**(t-1)", "1 - 0.5/t")])
def test_theorem2_explicit_constants_dominate_the_computed_bound(sched):
    n = 2000
    a, b, th = _tables(*sched, n)
    kw = dict(L=2.0, G=NCS.constants["G"], Delta_f=B.initial_gap(NCS), d=int(NCS.dim), eps=1e-8,
              G_coord=NCS.constants["G_coord"])
    ck = np.array([1, 10, 100, 1000, 2000])
    tb = TH.tight_bound(a, b, th, ck, **kw)
    tc = TH.tight_constants(a, b, th, **kw)
    seq = TH.schedule_sequences(a, b, th)
    i = ck - 1
    for key, den in ((TH.WEIGHTED, seq["sum_alpha"][i]), (TH.UNIFORM, ck * a[i])):
        c = tc[key]
        explicit = (c["C"] + c["C'"] * seq["S"][i] + c["C''"] * seq["D"][i]
                    + c["C'''"] * seq["V"][i]) / den
        assert np.all(explicit >= tb[key] * (1 - 1e-12)), key
    # the α-weighted denominator Σ α_t ≥ T min α_t: never looser than the uniform one here
    assert np.all(tb[TH.WEIGHTED] <= tb[TH.UNIFORM] * (1 + 1e-12))


def _numerators_by_definition(seq, L, G, Delta_f, d, eps, G_coord):
    """N_T of Theorem 2 at every grid point, term by term as §4b writes it (Lemma 3' through
    log_sum_bound, one λ at a time): the reference for theorem._numerators."""
    Gc = G if G_coord is None else min(G, G_coord)
    Lam = TH.capped_log_moment(seq["L"], min(G * G / d, Gc * Gc) / eps, d)
    chi, q, p, bn, alpha, om = (seq[k] for k in ("chi", "q", "p", "b_next", "alpha", "omega"))
    coef_e = Gc + 1.5 * L * (p + q)
    n = alpha.size
    rhos, t1s = TH._grid(seq, TH.RHO_POWERS, TH.THETA_STARS)
    out = {}
    for rho in rhos:
        c = bn ** 2 * alpha ** 2 * TH.momentum_recursion(seq["beta"], seq["theta"], rho)
        c[-1] = 0.0
        xz = L * bn ** 2 * chi ** 2 * seq["S1"]
        xz[-1] = 0.0
        for t1 in t1s:
            cm = c.copy()
            cm[: t1 - 1] = 0.0
            u_xz = L * TH.geometric_tail(cm, rho) / om
            xzd = np.r_[0.0, xz[:-1]]
            xzd[t1:] = 0.0
            for lam in TH.LAMBDAS:
                u = 1.5 * L * chi ** 2 + coef_e * q + Gc * chi / lam + u_xz
                burn = np.cumsum(np.where(np.arange(n) < t1 - 1, u, 0.0))
                v = np.where(np.arange(n) < t1 - 1, 0.0, u)
                F = TH.log_sum_bound(v, Lam, seq["L"], seq["neglog_theta"], d)
                out[(lam, rho, t1)] = (Delta_f + d * burn + F + d * np.cumsum(coef_e * p + xzd), v)
    return out


@pytest.mark.parametrize("sched", [("0.05/sqrt(t)", "0.9", "1 - 0.5/t"),
                                   ("0.05/sqrt(t)", "0", "1 - 0.5/t"),
                                   ("0.05*(1+t-2*floor(t/2))/sqrt(t)", "0.9", "1 - 0.01/t"),
                                   ("0.05/sqrt(t)", "0.45*(1+t-2*floor(t/2))", "1-0.5/t"),
                                   ("0.5*t**(-0.9)", "0.9*0.99**(t-1)", "1 - 0.01*t**(-1.8)")])
def test_numerators_equal_their_definition(sched):
    """theorem._numerators (λ-independent parts hoisted, Lemma 3' as one cumulative sum of
    non-negative terms) against §4b term by term, at every grid point and every T."""
    n = 3000
    seq = TH.schedule_sequences(*_tables(*sched, n))
    kw = dict(L=2.0, G=NCS.constants["G"], Delta_f=B.initial_gap(NCS), d=int(NCS.dim), eps=1e-8,
              G_coord=NCS.constants["G_coord"])
    want = _numerators_by_definition(seq, **kw)
    got = {(pr["lambda"], pr["rho"], pr["t_1"]): (N, parts["v"]) for pr, N, parts in TH._numerators(
        seq, kw["L"], kw["G"], kw["Delta_f"], kw["d"], kw["eps"], kw["G_coord"], TH.LAMBDAS,
        TH.RHO_POWERS, TH.THETA_STARS)}
    assert got.keys() == want.keys() and len(got) > 8
    for key, (N, v) in want.items():
        np.testing.assert_allclose(got[key][0], N, rtol=1e-13, err_msg=str(key))
        np.testing.assert_allclose(got[key][1], v, rtol=1e-13, err_msg=str(key))


def test_theorem2_gains_over_theorem1():
    ck = [10, 100, 1000]
    mom = B.generic_bound(spec("0.05/sqrt(t)", "0.9", "1 - 0.5/t"), NCS, ck)
    assert np.all(mom.statements["theorem-2-uniform"] * 1000 < mom.statements["theorem-1"])
    plain = B.generic_bound(spec("0.05/sqrt(t)", "0", "1 - 0.5/t"), NCS, ck)
    assert np.all(plain.statements["theorem-2-uniform"] < plain.statements["theorem-1"])
    name, vals = mom.tightest("uniform")
    assert name == "theorem-2-uniform" and np.allclose(vals, mom.statements[name])
    d = mom.to_dict()["statements"]
    assert set(d) == {"theorem-1", "theorem-2-uniform", "theorem-2-weighted"}
    assert d["theorem-2-weighted"]["constants"]["G_c"] == NCS.constants["G_coord"]


def test_log_sum_bound_against_a_loop():
    rng = np.random.default_rng(0)
    n, d = 40, 3
    u = rng.uniform(0, 2, n)
    th = np.sort(rng.uniform(0.3, 0.99, n))
    Lc = -np.cumsum(np.log(th))
    Lam = rng.uniform(1, 5, n)
    F = TH.log_sum_bound(u, Lam, Lc, -np.log(th), d)
    for T in (1, 7, n):
        uu = np.r_[u[:T], 0.0]
        want = sum(max(uu[t] - uu[t + 1], 0) * Lam[t] + d * max(uu[t + 1] - uu[t], 0) * Lc[t]
                   * (t < T - 1) for t in range(T)) + d * np.sum(u[:T] * -np.log(th[:T]))
        assert math.isclose(F[T - 1], want, rel_tol=1e-12)


@pytest.mark.parametrize("rho", [0.0, 1e-5, 0.03, 0.5, 0.9, 0.999, 1.0])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 64, 1000, 4097])
def test_geometric_tail_against_exact_sums(rho, n):
    # terms over 26 orders of magnitude, lengths around powers of two, ρ from 0 to 1
    rng = np.random.default_rng(n)
    c = np.exp(rng.uniform(-30.0, 30.0, n))
    R = TH.geometric_tail(c, rho)
    assert R.shape == c.shape and R is not c
    for i in sorted({0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n))):
        want = math.fsum(c[s] * rho ** (s - i) for s in range(i, n))
        assert math.isclose(R[i], want, rel_tol=4e-15 * max(1.0, math.log2(n))), (i, R[i], want)


def _recursion_exact(beta, theta, rho):
    """S_t = (1-β_t)² + a_t S_{t-1}, S_0 = 0, step by step in 40-digit arithmetic on the same
    float a_t = β_t²/(ρθ_t) and (1-β_t)² the code forms; also the mean length of the products
    in S_t, W_t/S_t with W_t = Σ_i (t-i) (1-β_i)² Π_{i<j≤t} a_j = a_t (W_{t-1} + S_{t-1})."""
    import mpmath

    S, W, s, w = [], [], mpmath.mpf(0), mpmath.mpf(0)
    with mpmath.workdps(40):
        for b, th in zip(beta.tolist(), theta.tolist()):
            a = mpmath.mpf(0.0 if b == 0.0 else b * b / (rho * th))
            s, w = mpmath.mpf((1.0 - b) ** 2) + a * s, a * (w + s)
            S.append(float(s) if abs(s) < 1.7e308 else math.inf)
            W.append(float(w / s))
    return np.array(S), np.array(W)


STEP_REGIMES = {
    # (β_t, θ_t) generators: multipliers β²/(ρθ) below 1, above 1 for a stretch (t < t_0),
    # zeros of β, θ near 0 at the start, and a product that overflows while each term is finite
    "contracting": lambda n, g: (g.uniform(0, 0.95, n), np.sort(g.uniform(0.95, 0.999, n))),
    "growing-then-contracting": lambda n, g: (np.full(n, 0.9),
                                              np.minimum(0.3 + np.arange(n) / 50.0, 0.999)),
    "beta-zeros": lambda n, g: (np.where(g.uniform(size=n) < 0.2, 0.0, 0.9),
                                np.sort(g.uniform(0.85, 0.999, n))),
    "tiny-theta-start": lambda n, g: (np.full(n, 0.5),
                                      np.sort(np.concatenate([[1e-300], g.uniform(0.3, 0.99, n - 1)]))),
    "overflowing-product": lambda n, g: (np.full(n, 0.99), np.full(n, 0.1)),
}


@pytest.mark.parametrize("regime", sorted(STEP_REGIMES))
@pytest.mark.parametrize("n", [1, 2, 3, 63, 64, 65, 1000, 4097])
@pytest.mark.parametrize("rho", [1.0, 0.7])
def test_step_constant_equals_the_recursion(regime, n, rho):
    """The log-depth scan of step_constant against the recursion in 40-digit arithmetic. A term
    of S_t is a product of L rounded factors, formed in at most L multiplications, and S_t adds
    them in at most log2(n) rounds: the relative error is at most about (mean L + 2 log2 n) units
    in the last place (the step-by-step loop has the same form of bound)."""
    g = np.random.default_rng(n)
    beta, theta = STEP_REGIMES[regime](n, g)
    got = TH.step_constant(beta, theta, rho)
    exact, mean_len = _recursion_exact(beta, theta, rho)
    assert got.shape == exact.shape
    fin = np.isfinite(exact)
    assert np.array_equal(fin, np.isfinite(got)) and np.array_equal(got[~fin], exact[~fin])
    err = np.abs(got[fin] - exact[fin]) / exact[fin]
    allowed = 2.3e-16 * (mean_len[fin] + 2 * math.log2(n) + 2)
    assert np.all(err <= allowed), (err.max(), int(np.argmax(err - allowed)))


def test_geometric_tail_and_recursion_against_sums():
    rng = np.random.default_rng(1)
    c = rng.uniform(0, 1, 30)
    R = TH.geometric_tail(c, 0.7)
    for i in (0, 5, 29):
        assert math.isclose(R[i], sum(c[s] * 0.7 ** (s - i) for s in range(i, 30)), rel_tol=1e-12)
    beta, th = rng.uniform(0, 0.9, 12), np.sort(rng.uniform(0.5, 0.99, 12))
    S = TH.momentum_recursion(beta, th, 0.8)
    t = 11
    want = sum((1 - beta[i]) ** 2 * np.prod(beta[i + 1:t + 1] ** 2 / (0.8 * th[i + 1:t + 1]))
               for i in range(t + 1))
    assert math.isclose(S[t], want, rel_tol=1e-12)


def test_coordinate_bound_and_tight_bound_input():
    assert B.coordinate_bound(NCS) == NCS.constants["G_coord"]
    assert B.coordinate_bound(cx.get("nonconvex-separable", d=2, sigma=0.0)) == \
        pytest.approx(3 * math.sqrt(3) / 8)
    with pytest.raises(ValueError, match="checkpoints"):
        TH.tight_bound(np.ones(5), np.zeros(5), np.full(5, 0.5), [6], L=1, G=1, Delta_f=1, d=1,
                       eps=1e-8)
    with pytest.raises(ValueError, match="H0"):
        TH.schedule_sequences(np.ones(3), np.zeros(3), np.zeros(3))


def test_conformance_catches_a_too_small_G_coord():
    import dataclasses

    from counterexamples.conformance import check_problem

    p = cx.get("nonconvex-separable", d=2, sigma=0.1)
    ok = check_problem(p, n_points=6, n_samples=400)
    assert ok["second_moment_G_coord"].passed
    bad = dataclasses.replace(p, constants={**p.constants, "G_coord": 0.5 * p.constants["G_coord"]})
    assert check_problem(bad, n_points=6, n_samples=400)["second_moment_G_coord"].passed is False
