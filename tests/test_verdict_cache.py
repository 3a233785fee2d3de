"""The checker's verdict cache (adamtheory.conditions.check(cache=True), adamtheory.usercache):
a second check of the same question reads the verdict back instead of running sympy and gives the
same verdict; an entry that is corrupt, answers another question or comes from another checker is
checked again, never trusted; a sweep's stored verdicts come through the same cache."""

import json

import pytest

from adamtheory import conditions, named, usercache
from adamtheory.specs import OptimizerSpec
from adamtheory.sweep import loads
from adamtheory.sweep import theory as th

SWEEP = """
[problem]
name = "nonconvex-separable"
[optimizer]
alpha = "0.05 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"
[grid]
s = [0.5, 1.0]
r = [0.0, 1.0]
[run]
steps = 100
seeds = 1
"""

# hard cases: a floor (Corollary 2), a failing H0, bias correction folded, undecided-prone logs
SPECS = [
    OptimizerSpec.from_text("0.5/sqrt(t)", "0.9", "1 - 0.01/t"),
    OptimizerSpec.from_text("0.1", "0.9", "0.999"),
    named("adagrad"),
    named("adam", lr=0.001),
    OptimizerSpec.from_text("0.5/sqrt(t*log(t+1))", "0.9*0.99**t", "1 - 1/t"),
]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _count_checks(monkeypatch):
    calls = []
    real = conditions._check

    def counted(spec, *a):
        calls.append(spec)
        return real(spec, *a)

    monkeypatch.setattr(conditions, "_check", counted)
    return calls


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_cached_verdict_equals_computed(fresh_cache, monkeypatch, spec):
    # a verdict a time budget cut short is not cached (below): room enough on a loaded machine
    monkeypatch.setattr(conditions, "CHECK_SYMBOLIC_BUDGET", 120.0)
    calls = _count_checks(monkeypatch)
    fresh = conditions.check(spec, numeric_range=10**4, cache=True)
    again = conditions.check(spec, numeric_range=10**4, cache=True)
    assert len(calls) == 1, "the second check ran the checker again"
    assert again.to_dict() == fresh.to_dict()
    assert conditions.headline(again) == conditions.headline(fresh)
    assert again.spec == fresh.spec
    # another question (range, method) is not answered from this entry
    conditions.check(spec, numeric_range=2 * 10**4, cache=True)
    assert len(calls) == 2


def test_from_dict_inverts_to_dict():
    """Every field survives the round trip, notes and a floor included."""
    from dataclasses import replace

    v = conditions.check(OptimizerSpec.from_text("0.1", "0.9", "0.999"), numeric_range=10**4)
    assert v.floor is not None  # Corollary 2's floor
    v = replace(v, notes=("bias correction folded into α_t", "another note"))
    back = conditions.Verdict.from_dict(v.spec, json.loads(json.dumps(v.to_dict())))
    assert back.to_dict() == v.to_dict()
    assert back.notes == v.notes and back.theorem == v.theorem


def test_keys_tell_close_floats_apart():
    a = OptimizerSpec.from_text("0.1", "0.9", "0.999")
    b = OptimizerSpec.from_text("0.1000000000000001", "0.9", "0.999")
    assert conditions.verdict_key(a) != conditions.verdict_key(b)
    assert conditions.verdict_key(a) == conditions.verdict_key(
        OptimizerSpec.from_text("0.1", "0.9", "0.999"))


@pytest.mark.parametrize("damage", ["garbage", "other_key", "other_salt", "bad_value"])
def test_untrusted_entry_is_checked_again(fresh_cache, monkeypatch, damage):
    spec = OptimizerSpec.from_text("0.1", "0.9", "0.999")  # no guarantee
    truth = conditions.check(spec, numeric_range=10**4, cache=True).to_dict()
    (f,) = list((fresh_cache / "verdicts").rglob("*.json"))
    entry = json.loads(f.read_text())
    entry["value"]["converges"] = True  # a forged verdict, damaged one more way
    if damage == "garbage":
        f.write_text('{"salt": "')
    else:
        if damage == "other_key":
            entry["key"] = entry["key"].replace('"numeric_range": 10000', '"numeric_range": 1000')
        elif damage == "other_salt":
            entry["salt"] = "0" * 64
        else:
            entry["value"] = {"converges": True}
        f.write_text(json.dumps(entry))
    calls = _count_checks(monkeypatch)
    again = conditions.check(spec, numeric_range=10**4, cache=True)
    assert len(calls) == 1
    assert again.to_dict() == truth and again.converges is False


def test_an_untouched_forged_entry_is_read(fresh_cache):
    """The control for the test above: the cache is read (the same forgery, undamaged,
    is what comes back), so the checks above can fail."""
    spec = OptimizerSpec.from_text("0.1", "0.9", "0.999")
    conditions.check(spec, numeric_range=10**4, cache=True)
    (f,) = list((fresh_cache / "verdicts").rglob("*.json"))
    entry = json.loads(f.read_text())
    entry["value"]["converges"] = True
    f.write_text(json.dumps(entry))
    assert conditions.check(spec, numeric_range=10**4, cache=True).converges is True
    assert conditions.check(spec, numeric_range=10**4).converges is False  # cache off


def test_salt_follows_the_checker_source(monkeypatch):
    key = conditions.checker_key()
    assert len(key) == 64
    conditions.checker_key.cache_clear()
    monkeypatch.setattr(conditions, "CHECKER_MODULES", conditions.CHECKER_MODULES[:-1])
    try:
        assert conditions.checker_key() != key
    finally:
        conditions.checker_key.cache_clear()


def test_unwritable_cache_still_checks(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(blocker))
    v = conditions.check(SPECS[0], numeric_range=10**4, cache=True)
    assert v.converges is True
    assert usercache.read_entry("verdicts", "s", "k") is None


def test_sweep_verdicts_come_through_the_cache(fresh_cache, monkeypatch):
    sweep = loads(SWEEP)
    assert th.pending_verdicts(sweep) == 4
    first = th.compute(sweep)
    assert th.pending_verdicts(sweep) == 0
    calls = _count_checks(monkeypatch)
    second = th.compute(sweep)
    assert calls == [] and second == first
    conv = {(c["values"]["s"], c["values"]["r"]): c["verdict"]["converges"]
            for c in first["cells"].values()}
    assert conv[(0.5, 1.0)] is True and conv[(1.0, 0.0)] is not True


DIST = """
simulator = "distributed"
[settings]
problem = "nonconvex-separable"
d = 3
[grid]
s = [0.3, 0.6, 0.9]
workers = [1, 2, 4, 8]
[run]
steps = 20
"""


def test_pending_verdicts_counts_distinct_specs(fresh_cache):
    """The estimate counts the checks compute() makes: one per distinct spec, not per cell (the
    number of workers multiplies the cells, not the specs); 0 once they are cached."""
    sweep = loads(DIST)
    specs = {json.dumps(th._spec_text(sweep.cell_spec({"s": s, "workers": w})), sort_keys=True)
             for s in (0.3, 0.6, 0.9) for w in (1, 2, 4, 8)}
    assert len(specs) == 3
    assert th.pending_verdicts(sweep) == 3
    th.compute(sweep)
    assert th.pending_verdicts(sweep) == 0


def test_functions_known_by_name_only_are_never_cached(fresh_cache):
    """A tabulated α_t (torch.check's sampled LR scheduler) is a function whose text is only its
    name: two different tables would share a key, so such a spec is never cached."""
    from dataclasses import replace

    import numpy as np
    from sympy.utilities.lambdify import implemented_function

    from adamtheory.parsing import T
    from adamtheory.schedules import Schedule

    base = OptimizerSpec.from_text("0.5/sqrt(t)", "0.9", "1 - 0.01/t")
    table = implemented_function("table", lambda t: np.full(np.shape(t), 1.0))(T)
    spec = replace(base, alpha=Schedule(table * base.alpha.bound_expr, (), "sampled"))
    assert conditions.verdict_key(spec) is None
    conditions.check(spec, numeric_range=10**4, symbolic=False, cache=True)
    assert not list(fresh_cache.rglob("*.json"))
    conditions.check(base, numeric_range=10**4, cache=True)  # the control: this one is cached
    assert len(list(fresh_cache.rglob("*.json"))) == 1


def test_a_verdict_cut_short_by_the_time_budget_is_not_kept(fresh_cache, monkeypatch):
    """With no symbolic time left the checker falls back to numbers: that answer depends on the
    machine's speed and is not cached; with the normal budget the same question is."""
    spec = OptimizerSpec.from_text("0.5/sqrt(t)", "0.9", "1 - 0.01/t")
    monkeypatch.setattr(conditions, "CHECK_SYMBOLIC_BUDGET", 0.0)
    conditions.check(spec, numeric_range=10**4, cache=True)
    assert not list(fresh_cache.rglob("*.json"))
    monkeypatch.setattr(conditions, "CHECK_SYMBOLIC_BUDGET", 120.0)
    conditions.check(spec, numeric_range=10**4, cache=True)
    assert len(list(fresh_cache.rglob("*.json"))) == 1


def test_a_cut_short_verdict_whose_form_fails_is_kept(fresh_cache, monkeypatch):
    """A failing form (decided without sympy or a budget) makes the verdict "no guarantee"
    whatever the budget, so that verdict is kept even when a budget ran out; it reads back
    equal, and a generic-form question cut short the same way still is not kept."""
    torch_adam = OptimizerSpec.from_text("0.001", "0.9", "0.999", eps_mode="torch")
    monkeypatch.setattr(conditions, "CHECK_SYMBOLIC_BUDGET", 0.0)
    v = conditions.check(torch_adam, numeric_range=10**4, cache=True)
    assert v.conditions["form"].status == "fails" and v.converges is False
    assert len(list(fresh_cache.rglob("*.json"))) == 1
    calls = _count_checks(monkeypatch)
    again = conditions.check(torch_adam, numeric_range=10**4, cache=True)
    assert again.to_dict() == v.to_dict() and not calls
    generic = OptimizerSpec.from_text("0.001", "0.9", "0.999")
    conditions.check(generic, numeric_range=10**4, cache=True)
    assert len(list(fresh_cache.rglob("*.json"))) == 1
