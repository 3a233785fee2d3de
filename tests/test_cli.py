"""The command line as a user meets it: readable output, JSON, one-line errors with status 2."""

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamtheory.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_table(capsys):
    code, out, err = run(capsys, "check", "--alpha", "0.5/sqrt(t)", "--beta", "0.9", "--theta", "1 - 0.01/t")
    assert code == 0 and err == ""
    for name in ("SC1", "SC2", "SC3", "SC4", "convergence"):
        assert name in out
    assert "O(log(T)/sqrt(T))" in out
    assert "verdict: converges" in out


def test_check_json_has_one_entry_per_condition(capsys):
    code, out, _ = run(
        capsys, "check", "--alpha", "a*t**(-s)", "--beta", "0.9", "--theta", "1 - 0.01*t**(-r)",
        "--param", "a=0.5", "--param", "s=0.5", "--param", "r=1", "--json",
    )
    assert code == 0
    d = json.loads(out)
    for name in ("SC1", "SC2", "SC3", "SC4", "convergence"):
        assert d[name]["status"] == "holds" and d[name]["reason"]
    assert d["rate"] == "O(log(T)/sqrt(T))"
    assert d["converges"] is True


def test_named_optimizer_json(capsys):
    code, out, _ = run(capsys, "check", "--optimizer", "adam", "--lr", "0.001", "--beta1", "0.9",
                       "--beta2", "0.999", "--json")
    d = json.loads(out)
    assert code == 0
    assert d["convergence"]["status"] == "fails"
    assert d["converges"] is False and d["rate"] is None
    assert "neighbourhood" in d["bound"]


def test_numeric_only_marks_the_range(capsys):
    code, out, _ = run(capsys, "check", "--optimizer", "adagrad", "--numeric-only",
                       "--numeric-range", "100000", "--json")
    d = json.loads(out)
    assert d["convergence"]["method"] == "numeric"
    assert d["convergence"]["range"] == [1, 100000]
    assert d["method"] == "numeric"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "--alpha", "0.5/sqrt(t", "--beta", "0", "--theta", "0.9"], "syntax error"),
        (["check", "--alpha", "0.5/sqrt(k)", "--beta", "0", "--theta", "0.9"], "step variable is t"),
        (["check", "--alpha", "a/sqrt(t)", "--beta", "0", "--theta", "0.9"], "unknown name 'a'"),
        (["check", "--alpha", "a/sqrt(t)", "--beta", "0", "--theta", "0.9", "--param", "b=1"], "unknown name 'a'"),
        (["check", "--alpha", "0.1", "--beta", "0", "--theta", "0.9", "--param", "b=1"], "not used"),
        (["check", "--alpha", "0.1", "--beta", "0", "--theta", "1 - 2/t"], "[0, 1)"),
        (["check", "--alpha", "0.1 - t", "--beta", "0", "--theta", "0.9"], "must be > 0"),
        (["check", "--alpha", "1/(t-1)", "--beta", "0", "--theta", "0.9"], "t = 1"),
        (["check", "--alpha", "t" * 500, "--beta", "0", "--theta", "0.9"], "characters"),
        (["check", "--alpha", "0.1*floor(sqrt(t**2 - 10**-60*10**-60*10**-60*10**-60))/t",
          "--beta", "0", "--theta", "0.9"], "cannot be told from the integer 1"),
        (["check", "--alpha", "0.1", "--beta", "0"], "missing --theta"),
        (["check", "--optimizer", "adamw"], "did you mean 'adam'"),
        (["check", "--optimizer", "amsgrad"], "not Generic Adam"),
        (["check", "--optimizer", "adam", "--beta2", "1.5"], "beta2 must be in [0, 1)"),
        (["check", "--optimizer", "adam", "--alpha", "0.1"], "not both"),
        (["check", "--optimizer", "adagrad", "--beta2", "0.9"], "does not take beta2"),
        (["check", "--lr", "x"], "invalid float value"),
        (["check", "--bogus"], "unrecognized arguments"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_one_line_status_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_injection_runs_nothing(capsys, tmp_path):
    target = tmp_path / "pwned"
    for text in (f"__import__('os').system('touch {target}')", f"open('{target}', 'w')",
                 "(lambda: 1)()", "t.__class__", "__builtins__"):
        code, out, err = run(capsys, "check", "--alpha", text, "--beta", "0", "--theta", "0.9")
        assert code == 2 and "Traceback" not in err
    assert not target.exists()


@settings(max_examples=60)
@given(st.text(max_size=60))
def test_fuzz_cli_never_prints_a_traceback(text):
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", "--alpha", text, "--beta", "0.9", "--theta", "1 - 0.01/t",
                     "--numeric-range", "1000"])
    assert code in (0, 2), err.getvalue()
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()


def _cli(*argv):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "adamtheory", *argv], capture_output=True,
                          text=True, env=env, timeout=120)


def test_entry_point_help_shows_examples():
    for argv in (["--help"], ["check", "--help"]):
        p = _cli(*argv)
        assert p.returncode == 0
        assert "examples:" in p.stdout and "adamtheory check" in p.stdout


def test_entry_point_error_is_one_line():
    p = _cli("check", "--alpha", "import os", "--beta", "0", "--theta", "0.9")
    assert p.returncode == 2
    assert p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_problems_lists_the_catalog(capsys):
    import counterexamples

    code, out, _ = run(capsys, "problems", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["name"] for r in rows] == counterexamples.names()
    code, out, _ = run(capsys, "problems")
    assert code == 0 and "reddi-sec5-online" in out and "source:" in out


def test_run_reddi_sec5_online_json(capsys):
    """Generic Adam with θ_t = 1 - 0.01/t reaches x* = -1 on the online counterexample."""
    code, out, err = run(capsys, "run", "--problem", "reddi-sec5-online", "--alpha", "0.5/sqrt(t)",
                         "--beta", "0.9", "--theta", "1 - 0.01/t", "--steps", "100000", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["label"] == "converged" and d["x_final"][0] < -0.9
    code, out, err = run(capsys, "run", "--problem", "reddi-sec5-online", "--optimizer", "adam",
                         "--lr", "0.5", "--beta1", "0.9", "--beta2", "0.99", "--steps", "100000")
    assert code == 0, err
    assert "label          stuck" in out


def test_run_user_problem_file(capsys):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "my_problem.py"
    code, out, err = run(capsys, "run", "--problem", f"{example}:make", "--optimizer", "adagrad",
                         "--lr", "0.1", "--steps", "2000", "--json")
    assert code == 0, err
    assert json.loads(out)["steps"] == 2000


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--problem", "reddi-sec5-onlin", "--optimizer", "adam", "--steps", "10"], "did you mean 'reddi-sec5-online'"),
        (["run", "--problem", "reddi-thm1", "--problem-param", "C=1.5", "--optimizer", "adam", "--steps", "10"], "C must be > 2"),
        (["run", "--problem", "reddi-thm1", "--problem-param", "D=3", "--optimizer", "adam", "--steps", "10"], "no parameter 'D'"),
        (["run", "--problem", "reddi-thm1", "--optimizer", "adam", "--steps", "0"], "--steps"),
        (["run", "--problem", "reddi-thm1", "--optimizer", "adam", "--steps", "10", "--x0", "1,2"], "dimension 1"),
        (["run", "--problem", "reddi-thm1", "--alpha", "0.1", "--beta", "0", "--theta", "1 - 2/t", "--steps", "10"], "[0, 1)"),
        (["run", "--problem", "missing.py:make", "--optimizer", "adam", "--steps", "10"], "missing.py"),
    ],
)
def test_run_bad_input(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [["problems"], ["check", "--optimizer", "adam"]])
def test_a_reader_that_went_away_ends_the_command_quietly(argv):
    """``adamtheory ... | head``: standard output's reader is gone before the command writes.
    No error line and no "Exception ignored" at exit; the status of a SIGPIPE death (141)."""
    import subprocess
    import sys

    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run([sys.executable, "-m", "adamtheory", *argv], stdout=w,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(w)
    assert p.returncode == 141 and p.stderr == "", (p.returncode, p.stderr)
