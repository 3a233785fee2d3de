"""``adamtheory plot trajectories`` and ``adamtheory plot rates`` on a small sweep.

nonconvex-separable (d = 4), α_t = 0.1 t^{-s}, θ_t = 1 - 0.1 t^{-r}, 3 seeds, T = 5000.
"""

import json

import matplotlib.image as mpimg
import pytest

from adamtheory.cli import main
from adamtheory.plotting import theory_cells
from adamtheory.plotting.phase import stored_theory
from adamtheory.plotting.rates import fit_slope
from adamtheory.sweep import loads, open_results, run_sweep

SWEEP = """
title = "traces test"
[problem]
name = "nonconvex-separable"
d = 4
sigma = 0.1
[optimizer]
alpha = "0.1 * t**(-s)"
beta  = 0.9
theta = "1 - 0.1 * t**(-r)"
[grid]
s = { values = [0.25, 0.5, 0.75] }
r = { values = [0.0, 1.0] }
[run]
steps = 5000
seeds = 3
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("traces")
    (d / "s.toml").write_text(SWEEP)
    run_sweep(d / "s.toml", d / "out", quiet=True)
    return d / "out"


def _img(path):
    img = mpimg.imread(path)
    assert img.shape[0] > 300 and img.shape[1] > 600
    return img


def test_trajectories_render_and_refuse_averaging(results, tmp_path, capsys):
    out = tmp_path / "t.png"
    assert main(["plot", "trajectories", str(results), "--along", "s", "--slice", "r=1",
                 "-o", str(out)]) == 0
    assert "3 runs along s" in capsys.readouterr().out
    assert _img(out).std() > 0.1
    out2 = tmp_path / "t.svg"
    assert main(["plot", "trajectories", str(results), "--along", "r", "--slice", "s=0.5",
                 "--slice", "seed=1", "--panel", "gnorm", "--panel", "grad43",
                 "-o", str(out2)]) == 0
    assert out2.read_text().startswith("<?xml")
    capsys.readouterr()
    for argv, msg in [
        (["--along", "s"], "axis r has 2 values"),             # r neither along nor sliced
        (["--along", "seed", "--slice", "r=1"], "along = seed"),
        (["--along", "s", "--slice", "r=7"], "r=7"),
        (["--along", "s", "--slice", "r=1", "--panel", "nope"], "panel nope"),
    ]:
        assert main(["plot", "trajectories", str(results), *argv, "-o",
                     str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err.strip()
        assert msg in err and err.count("\n") == 0
    assert main(["plot", "trajectories", str(results), "--along", "s", "--slice", "r=1",
                 "-o", str(tmp_path / "x.jpg")]) == 2
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.jpg").exists()


def test_rates_match_the_data_and_the_checker(results, tmp_path, capsys):
    out = tmp_path / "r.png"
    assert main(["plot", "rates", str(results), "--json", "-o", str(out)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert _img(out).std() > 0.1
    ds = open_results(results).load()
    cells = [{"s": r["s"], "r": r["r"]} for r in rows]
    # the verdicts the plot read from the results are the checker's, computed now from the file
    mask, verdicts = theory_cells(loads(SWEEP), cells)
    stored_mask, stored = theory_cells(stored_theory(ds), cells)
    assert list(stored_mask) == list(mask)
    for a, b in zip(stored, verdicts):
        assert (a.converges, a.rate, a.rate_exponent) == (b.converges, b.rate, b.rate_exponent)
        assert {k: c.status for k, c in a.conditions.items()} == \
            {k: c.status for k, c in b.conditions.items()}
    assert len(rows) == 6
    T = ds["step"].values.astype(float)
    for row, v in zip(rows, verdicts):
        meas = ds["grad43"].sel(s=row["s"], r=row["r"]).mean("seed").values ** 1.5
        assert row["fit_last_decade"] == pytest.approx(fit_slope(T, meas), abs=1e-4)
        assert row["converges"] == v.converges
        assert row["predicted_exponent"] == (v.rate_exponent if v.converges else None)
    assert [r["converges"] for r in rows] == [bool(m) for m in mask]
    capsys.readouterr()
    assert main(["plot", "rates", str(results), "--slice", "s=0.5", "-o",
                 str(tmp_path / "r2.pdf")]) == 0
    text = capsys.readouterr().out
    assert text.count("fitted slope") == 2 and "s=" not in text.split("fitted")[0]
    assert (tmp_path / "r2.pdf").read_bytes()[:4] == b"%PDF"
    assert main(["plot", "rates", str(results), "--slice", "q=1", "-o",
                 str(tmp_path / "r3.png")]) == 2


def test_single_valued_axes_are_sliced_automatically(tmp_path, capsys):
    f = tmp_path / "one.toml"
    f.write_text(SWEEP.replace("r = { values = [0.0, 1.0] }", "r = { values = [1.0] }")
                 .replace("seeds = 3", "seeds = 2").replace("steps = 5000", "steps = 2000"))
    run_sweep(f, tmp_path / "one", quiet=True)
    assert main(["plot", "rates", str(tmp_path / "one"), "--json", "-o",
                 str(tmp_path / "one.png")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["s"] for r in rows] == [0.25, 0.5, 0.75] and all("r" not in r for r in rows)
    assert main(["plot", "trajectories", str(tmp_path / "one"), "--along", "s", "-o",
                 str(tmp_path / "t.png")]) == 0
