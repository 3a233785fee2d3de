"""Figures (f), (g), (h) in their quick form (the full ones are made by `adamtheory figures`):
files, manifest entries, and the must-show numbers the quick grids can carry."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from adamtheory.distributed import figures as F

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("distfig")
    return out, F.make(out, quick=True)


def test_files_and_manifest_entries(quick):
    out, m = quick
    assert set(m) == set(F.FILES)
    for k, f in F.FILES.items():
        assert (out / f).stat().st_size > 10_000
        assert "command" in m[k] and "python" in m[k]
        json.dumps(m[k])                                   # serialisable as the manifest needs


def test_speedup_slope_and_flattening(quick):
    """Quick grid (N = 1, 4, 16, 64, one seed): fitted slope within 0.15 of the derived -1,
    and the large-N points sit on a plateau above the extrapolated -1 line (it flattens)."""
    r = quick[1]["f"]["result"]["nonconvex-separable"]
    assert abs(r["fitted_slope"] + 1) <= 0.15
    assert r["N_flat"] is not None and 64 <= r["N_flat"] <= 1024
    extrapolated = math.exp(r["fit_intercept"]) * 1024 ** r["fitted_slope"]
    assert r["iters_large"][-1] >= 3 * extrapolated


def test_scaled_sign_two_way_ef_factors(quick):
    r = quick[1]["g"]["result"]["nonconvex-separable"]["scaled_sign_two_way_ef"]
    assert r["bits_factor_vs_identity64"] >= 20 and r["bits_factor_vs_identity32"] >= 20
    assert r["iterations_factor"] <= 2.0


def test_ef_figure_numbers(quick):
    r = quick[1]["h"]["result"]
    for name, c0 in (("ef-least-squares", 2.0), ("ef-nonsmooth", 1.5)):
        for comp in ("sign", "scaled_sign"):
            assert r[name][f"{comp}|ef_worker=False"]["max_drift_of_x1_plus_x2"] <= 1e-12 * c0
        assert abs(r[name]["scaled_sign|ef_worker=True"]["x1_plus_x2_final"]) < 0.1


def test_cli_compressors_and_distributed_json():
    env = {"PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "adamtheory", "compressors", "--dim", "100",
                        "--json"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    rows = {r["name"]: r for r in json.loads(p.stdout)["compressors"]}
    assert rows["scaled_sign"]["bits_per_message"] == 132
    p = subprocess.run([sys.executable, "-m", "adamtheory", "distributed", "--workers", "1,2",
                        "--steps", "200", "--d", "3", "--json"], capture_output=True, text=True,
                       env=env, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    runs = json.loads(p.stdout)["runs"]
    assert [r["bits_up"] for r in runs] == [200 * 64 * 3, 2 * 200 * 64 * 3]
    p = subprocess.run([sys.executable, "-m", "adamtheory", "distributed", "--placement",
                        "worker-adam", "--compressor", "sign"], capture_output=True, text=True,
                       env=env, cwd=ROOT)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_example_sweep_files_validate():
    """Every examples/dist_*.toml names the simulator, uses only PARAMS and passes validate on
    every grid point."""
    import itertools
    import tomllib

    from adamtheory.distributed.sweep_plugin import NAME, PARAMS, validate

    files = sorted((ROOT / "examples").glob("dist_*.toml"))
    assert len(files) >= 9
    for f in files:
        raw = tomllib.loads(f.read_text())
        assert raw["simulator"] == NAME
        assert set(raw["settings"]) <= set(PARAMS) and set(raw["grid"]) <= set(PARAMS)
        fixed = {k: raw["settings"].get(k, v[1]) for k, v in PARAMS.items()}
        for combo in itertools.product(*raw["grid"].values()):
            validate({**fixed, **dict(zip(raw["grid"], combo))})
