"""The README's code blocks are checked: the user problem example passes the conformance suite
and runs; every `adamtheory` command shown parses with the real CLI and names files that exist;
the Python and TOML examples run; the `check` output shown is what the command prints."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def text():
    if not README.exists():
        pytest.skip("README.md not beside the tests (installed elsewhere)")
    return README.read_text()


def blocks(text: str, lang: str) -> list[str]:
    """The fenced code blocks of language ``lang``, in order."""
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)


def commands(text: str) -> list[list[str]]:
    """Every `adamtheory ...` command of the console and bash blocks, continuation lines joined,
    trailing comments dropped, split as a shell would."""
    out = []
    for block in blocks(text, "console") + blocks(text, "bash"):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.removeprefix("$ ").strip()
            for part in line.split("&&"):
                part = re.sub(r"\s+#.*$", "", part.strip())
                if part.startswith("adamtheory "):
                    out.append(shlex.split(part)[1:])
    return out


def test_readme_user_problem_example(tmp_path, monkeypatch, text):
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


def test_readme_commands_parse_and_name_existing_files(text):
    """Each command shown parses with the CLI's own parser (a renamed flag or subcommand fails
    here), and every sweep file or example it names exists in the repository."""
    from adamtheory.cli import build_parser

    cmds = commands(text)
    assert len(cmds) >= 25 and ["figures", "--quick", "-o", "out"] in cmds
    subcommands = {c[0] for c in cmds}
    assert {"check", "run", "sweep", "plot", "figures", "prove", "bound", "distributed",
            "federated", "problems"} <= subcommands
    parser = build_parser()
    for argv in cmds:
        parser.parse_args(argv)              # InputError (one line) if the README is stale
        for a in argv:
            path = a.split(":")[0]
            if path.startswith(("examples/", "adamtheory/")) and path.endswith((".toml", ".py")):
                assert (ROOT / path).is_file(), f"README names {path}, which does not exist"


def test_readme_parser_rejects_a_stale_command():
    """The check above can fail: a renamed flag is refused by the parser."""
    from adamtheory.cli import build_parser
    from adamtheory.errors import InputError

    with pytest.raises(InputError, match="unrecognized arguments"):
        build_parser().parse_args(["figures", "--quik"])


def test_readme_python_check_example(text):
    code = next(b for b in blocks(text, "python") if "from adamtheory.conditions import" in b)
    env: dict = {}
    exec(compile(code, "README.md", "exec"), env)      # the README's own example, as written
    v = env["v"]
    assert v.converges is True and v.rate and v.conditions["SC3"].reason


def test_readme_sweep_file_example_loads(text):
    from adamtheory.sweep import loads

    toml = next(b for b in blocks(text, "toml") if "[optimizer]" in b)
    sweep = loads(toml)
    assert sweep.n_configs == 32 * 32


def test_readme_check_output_is_what_check_prints(text):
    """Doctest-style: the lines shown under the first `adamtheory check` of the tour appear, in
    that order, in what the command prints ("..." stands for omitted lines or text, as doctest's
    ELLIPSIS)."""
    block = next(b for b in blocks(text, "console") if b.startswith("$ adamtheory check"))
    first, *shown = block.splitlines()
    p = subprocess.run([sys.executable, "-m", "adamtheory", *shlex.split(first[2:])[1:]],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    printed = [" ".join(ln.split()) for ln in p.stdout.splitlines()]
    pos = 0
    for line in shown:
        want = " ".join(line.split())
        if want in ("", "..."):
            continue
        pattern = re.compile(".*".join(re.escape(w) for w in want.split("...")))
        hit = next((i for i in range(pos, len(printed)) if pattern.fullmatch(printed[i])), None)
        assert hit is not None, f"README shows {want!r}, not printed by adamtheory check"
        pos = hit + 1
