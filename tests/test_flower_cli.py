"""``adamtheory federated --backend flower``: the same table as the simulator, one-line errors,
and without Flower one line naming the extra (exit status 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adamtheory.cli import main

ARGS = ["federated", "--problem", "lsq", "--rounds", "6", "--seeds", "2", "--M", "6", "--S",
        "3", "--K", "3", "--dim", "4", "--n-local", "7", "--lr-local", "0.02", "--json"]


def test_without_flower_one_line_exit_2():
    code = ("import sys; sys.modules['flwr'] = None\n"
            "from adamtheory.cli import main\n"
            f"sys.exit(main({ARGS + ['--backend', 'flower']!r}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "adamtheory[flower]"' in lines[0]


def test_flower_backend_table_equals_simulator(monkeypatch, capsys):
    """The CLI's flower path (here with the in-process driver in place of Ray, which
    test_flower_ray.py runs) prints the simulator's numbers, for the algorithms with a
    strategy."""
    pytest.importorskip("flwr")
    import adamtheory.flower.experiment as fx

    monkeypatch.setattr(fx, "run_flower", fx.run_inprocess)
    assert main(ARGS + ["--backend", "flower"]) == 0
    fl = json.loads(capsys.readouterr().out)["results"]
    assert main(ARGS) == 0
    sim = {r["algorithm"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert [r["algorithm"] for r in fl] == ["fedadam", "local-adam", "fedcm", "fedlada"]
    for r in fl:
        for k in ("final_loss", "final_gap", "mean_drift"):
            assert r[k] == pytest.approx(sim[r["algorithm"]][k], rel=1e-10), (r["algorithm"], k)


def test_flower_backend_refuses_other_algorithms(capsys):
    pytest.importorskip("flwr")
    assert main(ARGS + ["--backend", "flower", "--algorithms", "fedlada,scaffold"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fedlada,fedcm,local-adam,fedadam" in err[0]


def test_without_ray_one_line_exit_2(monkeypatch, capsys):
    pytest.importorskip("flwr")
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(ARGS + ["--backend", "flower", "--algorithms", "fedlada"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install "flwr[simulation]==1.42.0"' in err[0]
