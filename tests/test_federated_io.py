"""The federated simulator's interfaces: the sweep plug-in, ``adamtheory federated``, figures (i)-(k).

- the plug-in declares the protocol (NAME, PARAMS kinds, METRICS, FINALS) and a sweep file runs
  through the host's runner with the same numbers as a direct ``compute`` call;
- the example sweep files load;
- the CLI prints a table / JSON and turns bad input into one line and exit status 2;
- ``make(out, quick=True)`` writes the three PNGs and a manifest with the fitted slope.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adamtheory.cli import main
from adamtheory.federated import sweep_plugin
from adamtheory.federated.simulator import compute

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def registered(monkeypatch):
    from adamtheory.sweep import plugin

    monkeypatch.setitem(plugin.SIMULATORS, "federated", "adamtheory.federated.sweep_plugin")


def test_protocol_declarations():
    p = sweep_plugin
    assert p.NAME == "federated"
    for name, (kind, default, help_) in p.PARAMS.items():
        assert kind in ("int", "float", "bool") or isinstance(kind, tuple), name
        assert help_
    assert {"loss", "gnorm", "accuracy", "drift"} <= set(p.METRICS)
    assert "rounds_to_target" in p.FINALS
    assert "IID" in p.PARAMS["alpha"][2] and "0" in p.PARAMS["alpha"][2]
    with pytest.raises(ValueError):
        p.validate({**{k: v[1] for k, v in p.PARAMS.items()}, "S": 0})


SWEEP = """
simulator = "federated"
[settings]
M = 6
S = 2
K = 2
batch = 3
dim = 4
n_local = 5
lr_local = 0.02
[grid]
problem = ["lsq"]
algorithm = ["fedavg", "fedlada"]
zeta = [0.0, 2.0]
[run]
steps = 8
seeds = 2
checkpoints = [2, 8]
chunk_size = 3
"""


def test_sweep_file_runs_like_compute(registered, tmp_path):
    from adamtheory.sweep import loads, open_results, run_sweep

    f = tmp_path / "fed.toml"
    f.write_text(SWEEP)
    run_sweep(f, tmp_path / "out", quiet=True)
    ds = open_results(tmp_path / "out").load()
    sw = loads(SWEEP)
    n = sw.n_configs
    idx = np.unravel_index(np.arange(n), sw.shape)
    direct = compute(sw.settings(idx), sw.seeds[idx[-1]], sw.steps, sw.checkpoints)
    for name in ("loss", "drift", "gap", "rounds_to_target"):
        got = ds[name].values.reshape(n, -1) if name in sweep_plugin.METRICS else \
            ds[name].values.reshape(n)
        want = direct[name] if name in sweep_plugin.METRICS else direct[name]
        np.testing.assert_array_equal(got.reshape(want.shape), want)
    assert np.all(np.isfinite(ds["loss"].values))


@pytest.mark.parametrize("name", ["fed_compare.toml", "fed_speedup.toml", "fed_weight.toml"])
def test_examples_load(registered, name):
    from adamtheory.sweep import load

    sw = load(EXAMPLES / name)
    assert sw.n_configs >= 6


def test_cli_table_and_json(capsys):
    assert main(["federated", "--problem", "lsq", "--rounds", "20", "--seeds", "1",
                 "--algorithms", "fedavg,fedlada", "--M", "8", "--S", "3"]) == 0
    out = capsys.readouterr().out
    assert "fedlada" in out and "mean drift" in out
    assert main(["federated", "--problem", "digits", "--rounds", "5", "--seeds", "1",
                 "--algorithms", "scaffold", "--M", "10", "--S", "2", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["results"][0]
    assert res["algorithm"] == "scaffold" and 0 <= res["accuracy"] <= 1
    assert main(["federated", "--problem", "lsq", "--rounds", "5", "--seeds", "1", "--json",
                 "--algorithms", "fedlada", "--no-carry-v"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["carry_v"] is False


@pytest.mark.parametrize("argv", [["--S", "40", "--M", "10"], ["--algorithms", "fedprox"],
                                  ["--a", "2"]])
def test_cli_bad_input(capsys, argv):
    assert main(["federated", "--rounds", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("adamtheory: error:") and err.count("\n") == 1


def test_figures_quick(tmp_path):
    from adamtheory.figures import all_files, run_group

    man = run_group("federated", tmp_path, quick=True)["entries"]
    FILES = {k: all_files()[k] for k in ("i", "j", "k")}
    assert set(man) == set(FILES)
    for f in FILES.values():
        assert (tmp_path / f).stat().st_size > 10_000
    k = man["k"]
    assert abs(k["algs"]["fedavg"]["slope"] + 1) <= 0.2
    json.dumps(man, allow_nan=False)  # strict JSON
    assert all("sweep" in e and "command" in e and "python" in e for e in man.values())
