"""The mutation suite (proofs_check.mutants): every planted false variant of a lemma or of the
assembly has a witness that refutes it and is killed by the lemma's own check, while the true
lemmas pass the same checks; ``adamtheory prove --mutants --json`` reports it."""

import contextlib
import io
import json

import pytest

from adamtheory.cli import main


@pytest.fixture(scope="module")
def report():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["prove", "--mutants", "--quick", "--json"])
    return rc, json.loads(buf.getvalue())


def test_every_mutant_is_killed(report):
    rc, rep = report
    alive = [(r["lemma"], r["name"]) for r in rep["mutants"] if not r["killed"]]
    assert rc == 0 and not alive, alive
    assert rep["summary"]["killed"] == rep["summary"]["total"] == len(rep["mutants"])


def test_at_least_three_mutants_per_lemma_and_assembly(report):
    _, rep = report
    per = {}
    for r in rep["mutants"]:
        per[r["lemma"]] = per.get(r["lemma"], 0) + 1
    assert set(per) == {"L1", "L2", "L3", "L3E", "L4", "L5", "L6", "L7", "Assembly",
                        "L2'", "L3'", "L1'/L4'", "L5'"}
    assert min(per.values()) >= 3, per


def test_every_witness_refutes_its_mutant(report):
    _, rep = report
    for r in rep["mutants"]:
        assert r["witness_refutes"] and ">" in r["witness"], r
        assert set(r) >= {"lemma", "name", "witness", "killed"}


def test_lemma4_issue_witness():
    """Issue 12: K_m/(1-ρ) replaced by 1 is false at β = 0.5, θ = 0.26, g = (1, 0, 0, ...)."""
    from proofs_check import lemma4_momentum as m

    mu = next(x for x in m.MUTANTS if "replaced by 1" in x.name)
    (lhs, rhs, _), = mu.pairs(mu.witness)
    assert lhs > 5 * rhs


def test_lemma1_time_varying_beta_witness():
    """Issue 12: a constant-β K is false for β = (0.9, 0, 0), θ = 0.9, g = (0, 0, 5); the true
    lemma holds there."""
    from proofs_check import lemma1_step_bound as m

    mu = m.MUTANTS[0]
    assert mu.witness_text()[1]
    assert all(l <= r for l, r, _ in m.pairs(mu.witness))


@pytest.mark.parametrize("name", ["lemma1_step_bound", "lemma3_expectation", "lemma4_momentum",
                                  "lemma5_heavy_ball"])
def test_true_lemma_survives_the_same_search(name):
    import importlib

    m = importlib.import_module(f"proofs_check.{name}")
    res = m.refute_claim(m.pairs, quick=True, seed=1)
    assert not res.found and res.cases > 0 and 0 < res.ratio <= 1 + 1e-9


def test_assembly_constants_equal_the_lemma_chain():
    from adamtheory.bounds import constants_symbolic
    from proofs_check import assembly as A

    res, hit = A.refute_constants(constants_symbolic(), n=20)
    assert hit is None and all(r == 0 for r in res.values())


def test_table_and_bad_only(capsys):
    assert main(["prove", "--mutants", "--quick", "--only", "lemma6_schedule"]) == 0
    out = capsys.readouterr().out
    assert "3/3 mutants killed" in out and "L6" in out
    assert main(["prove", "--mutants", "--only", "lemma99"]) == 2
    assert "has no mutants" in capsys.readouterr().err
