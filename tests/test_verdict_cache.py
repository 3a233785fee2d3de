"""The verdict cache of adamtheory.sweep.theory: a second computation of a sweep's verdicts reads
them back instead of running the checker, and gives the same verdicts; an entry that is corrupt,
names another spec or another checker is checked again, never trusted."""

import json

import pytest

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


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _count_checks(monkeypatch):
    calls = []
    real = th._check_one

    def counted(spec):
        calls.append(spec)
        return real(spec)

    monkeypatch.setattr(th, "_check_one", counted)
    return calls


def test_second_compute_reads_the_cache(fresh_cache, monkeypatch):
    sweep = loads(SWEEP)
    calls = _count_checks(monkeypatch)
    first = th.compute(sweep)
    assert len(calls) == 4
    files = list((fresh_cache / "verdicts").rglob("*.json"))
    assert len(files) == 4
    second = th.compute(sweep)
    assert len(calls) == 4, "the second computation ran the checker again"
    assert second == first
    # the verdicts are the checker's: (s, r) = (0.5, 1) converges, (1, 0) does not
    conv = {(c["values"]["s"], c["values"]["r"]): c["verdict"]["converges"]
            for c in first["cells"].values()}
    assert conv[(0.5, 1.0)] is True and conv[(1.0, 0.0)] is not True


@pytest.mark.parametrize("damage", ["garbage", "other_spec", "other_checker", "no_verdict"])
def test_untrusted_entry_is_checked_again(fresh_cache, monkeypatch, damage):
    sweep = loads(SWEEP)
    first = th.compute(sweep)
    # swap in a forged verdict for every entry, damaged one way
    for f in (fresh_cache / "verdicts").rglob("*.json"):
        entry = json.loads(f.read_text())
        entry["verdict"] = {"converges": True, "forged": True}
        if damage == "garbage":
            f.write_text('{"checker": "')
            continue
        if damage == "other_spec":
            entry["spec"] = entry["spec"].replace("9/10", "8/10")
            assert entry["spec"] != json.loads(f.read_text())["spec"]
        elif damage == "other_checker":
            entry["checker"] = "0" * 64
        else:
            entry.pop("verdict")
        f.write_text(json.dumps(entry))
    calls = _count_checks(monkeypatch)
    again = th.compute(sweep)
    assert len(calls) == 4
    assert again == first
    assert not any(c["verdict"].get("forged") for c in again["cells"].values())


def test_checker_key_follows_the_checker_source(fresh_cache, monkeypatch):
    key = th.checker_key()
    assert len(key) == 64
    th.checker_key.cache_clear()
    monkeypatch.setattr(th, "CHECKER_MODULES", th.CHECKER_MODULES[:-1])
    try:
        assert th.checker_key() != key
    finally:
        th.checker_key.cache_clear()


def test_unwritable_cache_still_computes(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(blocker))
    out = th.compute(loads(SWEEP))
    assert len(out["cells"]) == 4
