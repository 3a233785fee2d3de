"""The sweep runner with a plug-in simulator (``simulator = "NAME"``, :mod:`adamtheory.sweep.plugin`).

A toy simulator (noisy gradient descent on x²/2, numpy) is written to a temporary module, so
these tests exercise the host side alone: validation of ``[settings]`` and ``[grid]`` (numbers,
choices, booleans), chunking and worker invariance, resume, the dataset's layout and the CLI.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from adamtheory import simulators
from adamtheory.cli import main
from adamtheory.sweep import backends, load, loads, open_results, plugin

TOY = '''
import numpy as np

from adamtheory.simulators import ModuleSimulator

NAME = "toy"
PARAMS = {
    "lr": ("float", 0.1, "step size"),
    "rule": (("gd", "heavy"), "gd", "plain or heavy-ball"),
    "clip": ("bool", False, "clip |x| at 1"),
    "batch": ("int", 1, "samples per step"),
    "sigma": ("float", None, "noise (None: 0.5)"),
}
METRICS = {"x": "iterate"}
FINALS = {"absx": "|x_T|"}


def validate(s):
    if not 0 < s["lr"] < 2:
        raise ValueError(f"lr = {s['lr']} is outside (0, 2); gradient descent on x^2/2 diverges")
    if s["batch"] < 1:
        raise ValueError("batch must be >= 1")


def compute(settings, seeds, steps, checkpoints):
    n = seeds.size
    out = np.empty((n, checkpoints.size))
    fin = np.empty(n)
    for i in range(n):
        rng = np.random.default_rng([int(seeds[i]), 7])
        sigma = 0.5 if np.isnan(settings["sigma"][i]) else settings["sigma"][i]
        x, v, k = 2.0, 0.0, 0
        for t in range(1, steps + 1):
            g = x + sigma * rng.standard_normal(int(settings["batch"][i])).mean()
            v = 0.9 * v + g if settings["rule"][i] == "heavy" else g
            x -= settings["lr"][i] * v
            if settings["clip"][i]:
                x = min(1.0, max(-1.0, x))
            if t == checkpoints[k]:
                out[i, k] = x
                k += 1
        fin[i] = abs(x)
    return {"x": out, "absx": fin}


SIMULATOR = ModuleSimulator(__name__)
'''

FILE = """
simulator = "toy"
title = "toy sweep"
[settings]
batch = 2
[grid]
lr = { start = 0.05, stop = 0.5, num = 3 }
rule = ["gd", "heavy"]
clip = [false, true]
[run]
steps = 200
seeds = 3
checkpoints = 5
"""


@pytest.fixture(autouse=True)
def toy(tmp_path_factory, monkeypatch):
    d = tmp_path_factory.getbasetemp() / "toy_plugin"
    d.mkdir(exist_ok=True)
    (d / "toy_sim.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(d))
    monkeypatch.setitem(plugin.SIMULATORS, "toy", "toy_sim")
    # worker processes import the plug-in: a pool started by an earlier test has the old
    # sys.path, so start the next one afresh
    backends.shutdown_pools()
    yield
    backends.shutdown_pools()
    sys.modules.pop("toy_sim", None)


def run(tmp_path, text, name, *extra) -> int:
    f = tmp_path / f"{name}.toml"
    f.write_text(text)
    return main(["sweep", str(f), "-o", str(tmp_path / name), "--quiet", *map(str, extra)])


def bitwise(a, b):
    for k in a.data_vars:
        x, y = a[k].values, b[k].values
        assert x.shape == y.shape and np.array_equal(x.view(np.int64), y.view(np.int64)), k


def test_dataset_layout_matches_direct_compute(tmp_path):
    assert run(tmp_path, FILE, "one") == 0
    ds = open_results(tmp_path / "one").load()
    assert ds.x.dims == ("lr", "rule", "clip", "seed", "step")
    assert ds.absx.dims == ("lr", "rule", "clip", "seed")
    assert list(ds.rule.values) == ["gd", "heavy"] and ds["clip"].dtype == bool
    assert ds.attrs["simulator"] == "toy" and ds.attrs["title"] == "toy sweep"
    assert int(ds.step[-1]) == 200
    # one configuration recomputed directly with the plug-in
    import toy_sim

    sw = load(tmp_path / "one.toml")
    cfg = {"lr": np.array([0.275]), "rule": np.array(["heavy"]), "clip": np.array([True]),
           "batch": np.array([2]), "sigma": np.array([np.nan])}
    direct = toy_sim.compute(cfg, np.array([2]), 200, sw.checkpoints)
    got = ds.x.sel(lr=0.275, rule="heavy", clip=True, seed=2).values
    assert np.array_equal(got, direct["x"][0])
    assert np.all(np.abs(ds.x.sel(clip=True).values) <= 1.0)


def test_chunks_workers_and_resume_are_bitwise_identical(tmp_path):
    assert run(tmp_path, FILE, "whole") == 0
    ref = open_results(tmp_path / "whole").load()
    assert run(tmp_path, FILE, "chunked", "--chunk-size", 5) == 0
    bitwise(ref, open_results(tmp_path / "chunked").load())
    assert run(tmp_path, FILE, "procs", "--chunk-size", 4, "--workers", 2) == 0
    bitwise(ref, open_results(tmp_path / "procs").load())
    # interrupted: drop two finished chunks and the dataset, then resume
    out = tmp_path / "chunked"
    import shutil

    shutil.rmtree(out / "results.zarr")
    for p in sorted((out / "chunks").glob("c*"))[:4]:
        p.unlink()
    assert main(["sweep", str(tmp_path / "chunked.toml"), "-o", str(out), "--resume",
                 "--quiet"]) == 0
    bitwise(ref, open_results(out).load())


@pytest.mark.parametrize("edit, message", [
    (("simulator = \"toy\"", "simulator = \"tyo\""), "did you mean 'toy'"),
    (("rule = [\"gd\", \"heavy\"]", "rule = [\"gd\", \"heavvy\"]"), "did you mean 'heavy'"),
    (("clip = [false, true]", "clip = [0, 1]"), "must be true or false"),
    (("batch = 2", "batch = 2.5"), "must be an integer"),
    (("batch = 2", "batchh = 2"), "unknown field 'batchh'"),
    (("batch = 2", "lr = 0.1"), "also a [grid] axis"),
    (("stop = 0.5", "stop = 2.5"), "lr = 2.5"),
    (("steps = 200", "steps = 0"), "steps must be"),
    (("rule = [\"gd\", \"heavy\"]", "rule = [\"gd\", \"gd\"]"), "appears twice"),
])
def test_bad_files_one_line_exit_2(tmp_path, capsys, edit, message):
    text = FILE.replace(*edit)
    assert text != FILE
    assert run(tmp_path, text, "bad") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and err.startswith("adamtheory: error:")
    assert not (tmp_path / "bad").exists()


def test_fixed_choices_reach_compute_whole(tmp_path):
    """A fixed choice (not an axis) reaches ``compute`` as its full text."""
    text = FILE.replace("rule = [\"gd\", \"heavy\"]", "").replace("batch = 2",
                                                                     "batch = 2\nrule = \"heavy\"")
    assert run(tmp_path, text, "fixed") == 0
    ds = open_results(tmp_path / "fixed").load()
    sw = load(tmp_path / "fixed.toml")
    import toy_sim

    cfg = sw.settings(np.unravel_index(np.arange(sw.n_configs), sw.shape))
    assert set(cfg["rule"]) == {"heavy"}
    direct = toy_sim.compute(cfg, sw.seeds[np.unravel_index(np.arange(sw.n_configs), sw.shape)[-1]],
                             sw.steps, sw.checkpoints)
    assert np.array_equal(ds.x.values.reshape(sw.n_configs, -1), direct["x"])


def test_fingerprint_tracks_settings():
    a, b = loads(FILE), loads(FILE.replace("batch = 2", "batch = 3"))
    assert a.fingerprint != b.fingerprint
    assert loads(FILE).fingerprint == a.fingerprint
    assert a.fixed["sigma"] is None and a.fixed["batch"] == 2


def test_example_simulator_files_are_valid():
    """Every examples/*.toml naming a registered simulator loads (the others are covered by
    tests/test_sweep.py)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*(root / "examples").glob("*.toml"),
             *(root / "adamtheory" / "figures" / "sweeps").glob("*.toml")]
    for f in sorted(files):
        text = f.read_text()
        if "simulator =" in text:
            sw = load(f)
            assert sw.n_configs >= 1 and sw.simulator.name in simulators.names()


# ---------------------------------------------------------------------- the protocol
def test_every_simulator_implements_the_protocol():
    from adamtheory.simulators import Param, Simulator
    from adamtheory.sweep import SweepBase

    assert {"engine", "distributed", "federated"} <= set(simulators.names())
    for name in simulators.names():
        sim = simulators.get(name)
        assert isinstance(sim, Simulator) and sim.name == name
        assert all(isinstance(p, Param) for p in sim.params.values())
        assert sim.sections and set(sim.metrics).isdisjoint(sim.finals)
    assert isinstance(simulators.get("toy"), Simulator)  # a module of plain functions
    # both layouts come out of the one loader as sweeps of the one base class
    assert isinstance(loads(FILE), SweepBase) and isinstance(loads(SMALL_ENGINE), SweepBase)
    with pytest.raises(Exception, match="did you mean 'distributed'"):
        simulators.get("distributd")


SMALL_ENGINE = """
[problem]
name = "reddi-sec5-online"
[optimizer]
alpha = "0.5 * t**(-s)"
beta = 0.9
theta = 0.99
[grid]
s = [0.5, 1.0]
[run]
steps = 50
"""

DIST = """
simulator = "distributed"
title = "distributed (s, r)"
[settings]
problem = "logreg-nonconvex"
theta = 0.5
[grid]
s = [0.2, 0.45, 0.7]
r = [0.3, 1.0, 1.6]
[run]
steps = 300
checkpoints = 4
"""


def test_run_sweep_takes_a_distributed_sweep_object(tmp_path):
    """run_sweep(loads(text)) through the Python API (it once took only engine sweeps)."""
    from adamtheory.distributed import sweep_plugin
    from adamtheory.sweep import run_sweep

    sw = loads(DIST)
    run_sweep(sw, tmp_path / "d", quiet=True)
    ds = open_results(tmp_path / "d").load()
    assert ds.gnorm.dims == ("s", "r", "seed", "step") and ds.attrs["simulator"] == "distributed"
    idx = np.unravel_index(np.arange(sw.n_configs), sw.shape)
    direct = sweep_plugin.compute(sw.settings(idx), sw.seeds[idx[-1]], sw.steps, sw.checkpoints)
    assert np.array_equal(ds.gnorm.values.reshape(sw.n_configs, -1), direct["gnorm"])


def test_distributed_optimizer_table():
    """[optimizer] like the engine's: default texts mean the old family; other texts change
    the fingerprint and the tables; parameters stay in [settings]."""
    from adamtheory.specs import OptimizerSpec

    def txt(spec):
        return (spec.alpha.describe(), spec.beta.describe(), spec.theta.describe(), spec.eps,
                spec.eps_mode, spec.bias_correction, spec.amsgrad)

    old = loads(DIST)
    assert "optimizer" not in old.canonical() and old.optimizer is None
    same = loads(DIST.replace("[run]", "[optimizer]\n[run]"))
    assert same.optimizer.texts == simulators.get("distributed").schedules
    cell = {"s": 0.45, "r": 1.0}
    assert txt(old.cell_spec(cell)) == txt(same.cell_spec(cell))
    spec = OptimizerSpec.from_text("0.1*t**(-0.45)", "0.9", "1 - 0.5*t**(-1)", eps=1e-8)
    assert txt(same.cell_spec(cell)) == txt(spec)
    mine = loads(DIST.replace("[run]", "[optimizer]\nalpha = \"a / t**s\"\na = 0.1\n[run]"))
    assert mine.fingerprint != same.fingerprint != old.fingerprint
    assert mine.depends == {"alpha": (0,), "beta": (), "theta": (1,)}
    for text, msg in [("lr = 0.2", "give its value in [settings]"),
                      ("alpha = \"b * t**(-s)\"", "'b' in the schedules has no value"),
                      ("q = 1", "unknown field 'q'")]:
        with pytest.raises(Exception, match=msg.replace("[", r"\[")):
            loads(DIST.replace("[run]", f"[optimizer]\n{text}\n[run]"))
    with pytest.raises(Exception, match="must be > 0"):  # the tables are range-checked
        from adamtheory.sweep.tables import validate

        validate(loads(DIST.replace("[run]", "[optimizer]\nalpha = \"s - 0.3\"\n[run]")))


def test_distributed_optimizer_tables_reach_the_kernel(tmp_path):
    """alpha = "a / t**s" with a = lr runs the default family (equal up to float64 rounding of
    the two evaluations); a = 2 lr runs a different one."""
    from adamtheory.sweep import run_sweep

    base = DIST.replace("s = [0.2, 0.45, 0.7]", "s = [0.45]")
    ref = None
    for name, a in (("same", 0.1), ("double", 0.2)):
        text = base.replace("[run]", f"[optimizer]\nalpha = \"a / t**s\"\na = {a}\n[run]")
        run_sweep(loads(text), tmp_path / name, quiet=True)
    run_sweep(loads(base), tmp_path / "ref", quiet=True)
    ref = open_results(tmp_path / "ref").gnorm.values
    same = open_results(tmp_path / "same").gnorm.values
    double = open_results(tmp_path / "double").gnorm.values
    assert np.allclose(same, ref, rtol=1e-9, atol=0)
    assert not np.allclose(double, ref, rtol=1e-3, atol=0)


def test_plot_phase_overlay_theory_on_distributed_sr(tmp_path, capsys):
    """adamtheory plot phase --overlay theory on a distributed (s, r) sweep: the hatched cells
    are exactly those where the checker, asked independently, guarantees convergence; drawing
    reads the stored verdicts and does not import numba."""
    import subprocess

    from adamtheory.conditions import check
    from adamtheory.specs import OptimizerSpec

    f = tmp_path / "d.toml"
    f.write_text(DIST)
    out = tmp_path / "d"
    assert main(["sweep", str(f), "-o", str(out), "--quiet"]) == 0
    png = tmp_path / "d.png"
    assert main(["plot", "phase", str(out), "--x", "s", "--y", "r", "--metric", "gnorm",
                 "--overlay", "theory", "--curve", "r=2s", "-o", str(png)]) == 0
    assert png.exists() and "Checker guarantees convergence" in capsys.readouterr().out
    from adamtheory.plotting.phase import phase_diagram

    ds = open_results(out)
    res = phase_diagram(ds, "s", "r", tmp_path / "e.png", metric="gnorm", overlay="theory")
    want = np.zeros((3, 3), bool)
    for i, r in enumerate(ds.r.values):
        for j, s in enumerate(ds.s.values):
            spec = OptimizerSpec.from_text(f"0.1*t**(-{s})", "0.9", f"1 - 0.5*t**(-{r})",
                                           eps=1e-8)
            want[i, j] = check(spec, numeric_range=10**5).converges is True
    assert np.array_equal(res.mask[0], want)
    assert 0 < want.sum() < want.size  # both sides of the SC3 boundary r = 2s are on the grid
    assert all(r <= 2 * s for i, r in enumerate(ds.r.values) for j, s in enumerate(ds.s.values)
               if want[i, j])
    code = ("import sys; from adamtheory.sweep import open_results; "
            "from adamtheory.plotting.phase import phase_diagram; "
            f"phase_diagram(open_results({str(out)!r}), 's', 'r', {str(tmp_path / 'f.png')!r}, "
            "metric='gnorm', overlay='theory'); print('numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
