"""The README's worked example of a user problem passes the conformance suite and runs."""

from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_user_problem_example(tmp_path, monkeypatch):
    if not README.exists():
        pytest.skip("README.md not beside the tests (installed elsewhere)")
    text = README.read_text()
    code = text.split("### Your own problem")[1].split("```python")[1].split("```")[0]
    (tmp_path / "my_problem.py").write_text(code)
    monkeypatch.chdir(tmp_path)
    import counterexamples as cx
    from adamtheory import named
    from adamtheory.simulate import simulate

    problem = cx.get("my_problem.py:make", sigma=0.5)
    report = cx.check_problem(problem)
    assert report.ok, report.failures
    run = simulate(named("adagrad", lr=0.5), problem, steps=10_000)
    assert run.label == "converged"
