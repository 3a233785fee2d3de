"""Figures (f), (g), (h) in their quick form (the full ones are made by `adamtheory figures`):
files, manifest entries, and the must-show numbers the quick grids can carry."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from adamtheory.figures import FIGURES, run_group, sweeps_dir
from adamtheory.figures.f_speedup import proved_threshold

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("distfig")
    return out, run_group("distributed", out, quick=True)["entries"]


def test_files_and_manifest_entries(quick):
    out, m = quick
    files = {k: f.files[0] for k, f in FIGURES.items() if f.groups == ("distributed",)}
    assert set(m) == set(files) == {"f", "g", "h"}
    for k, f in files.items():
        assert (out / f).stat().st_size > 10_000
        assert "command" in m[k] and "python" in m[k]
        json.dumps(m[k])                                   # serialisable as the manifest needs


def test_speedup_slope_and_flattening(quick):
    """Quick grid (N = 1, 4, 16, 64, one seed): fitted slope within 0.15 of the heuristic -1
    (past the proved threshold, see below), and the large-N points sit on a plateau above the
    extrapolated -1 line (it flattens)."""
    r = quick[1]["f"]["result"]["nonconvex-separable"]
    assert abs(r["fitted_slope"] + 1) <= 0.15
    assert r["N_flat"] is not None and 64 <= r["N_flat"] <= 1024
    extrapolated = math.exp(r["fit_intercept"]) * 1024 ** r["fitted_slope"]
    assert r["iters_large"][-1] >= 3 * extrapolated


def _rel(a, b):
    return abs(a - b) / max(abs(a), abs(b))


def _max_abs_grad_1d(objective, params, data):
    """max_u |f'(u)| of a separable objective, found numerically (grid, then bounded search)."""
    from scipy.optimize import minimize_scalar

    g = np.empty(1)

    def neg(u):
        objective(np.array([u]), params, data, g)
        return -abs(g[0])

    us = np.linspace(-5, 5, 2001)
    u0 = us[np.argmin([neg(u) for u in us])]
    r = minimize_scalar(neg, bounds=(u0 - 0.01, u0 + 0.01), method="bounded",
                        options={"xatol": 1e-12})
    return -r.fun


def test_proved_threshold_nonconvex_separable_independent():
    """N_b* = d σ²/(G_f² + d ε) against G_f from a numerical maximisation of the problem's own
    gradient, and d σ² against a Monte Carlo estimate of the oracle's noise; a planted wrong
    formula (the declared A4 constant G in place of G_f, or G_f² without d) is rejected."""
    import counterexamples as cx

    d, sigma, eps = 4, 1.0, 1e-8
    thr = proved_threshold({"problem": "nonconvex-separable", "d": d, "sigma": sigma,
                              "eps": eps, "batch": 1})
    assert thr["applicable"]
    p1 = cx.get("nonconvex-separable", d=1, sigma=0.0)
    m = _max_abs_grad_1d(p1.objective, p1.params, p1.data)       # per-coordinate sup |r'|
    independent = d * sigma ** 2 / (d * m * m + d * eps)
    assert _rel(thr["N_b_star"], independent) < 1e-8
    assert _rel(thr["G_f"], math.sqrt(d) * m) < 1e-8
    p = cx.get("nonconvex-separable", d=d, sigma=sigma)          # the oracle's noise is d σ²
    x, g, g0 = np.full(d, 0.7), np.empty(d), np.empty(d)
    p.objective(x, p.params, p.data, g0)
    n = 20000
    dev = np.empty(n)
    for t in range(n):
        p.grad(x, t + 1, 12345, p.params, p.data, g)
        dev[t] = np.sum((g - g0) ** 2)
    assert abs(dev.mean() - thr["d_sigma2"]) <= 5 * dev.std() / math.sqrt(n)
    planted = {"declared G": d * sigma ** 2 / (p.constants["G"] ** 2 + d * eps),
               "G_f^2 without d": d * sigma ** 2 / (m * m + d * eps)}
    for name, val in planted.items():
        assert _rel(val, independent) > 0.5, name               # the comparison can fail
    assert 2.3 < thr["N_b_star"] < 2.4


def test_proved_threshold_logreg_independent():
    """logreg-nonconvex: G_f = ||A||₂/√n + λ sup|r'| √d (singular value, numerical sup) and
    d σ² = mean ||a_i||²; both bound the true quantities at sampled w (exact over the n
    samples), and a planted variant (Jensen's mean ||a_i|| in place of the spectral bound,
    which gives a different, looser threshold) is told apart."""
    from scipy.special import expit

    import counterexamples as cx

    lam = 0.1
    thr = proved_threshold({"problem": "logreg-nonconvex", "lam": lam, "eps": 1e-8,
                              "batch": 1})
    p = cx.get("logreg-nonconvex", lam=lam, batch=1)
    d, A, y = p.dim, p.data[:, :p.dim], p.data[:, p.dim]
    n = A.shape[0]
    p1 = cx.get("nonconvex-separable", d=1, sigma=0.0)
    rmax = _max_abs_grad_1d(p1.objective, p1.params, p1.data)
    Gf = np.linalg.svd(A, compute_uv=False)[0] / math.sqrt(n) + lam * rmax * math.sqrt(d)
    ds2 = float(np.einsum("ij,ij->", A, A)) / n
    independent = ds2 / (Gf * Gf + d * 1e-8)
    assert _rel(thr["N_b_star"], independent) < 1e-8
    rng = np.random.default_rng(0)
    g = np.empty(d)
    for scale in (0.01, 0.3, 1.0, 10.0, 100.0):
        for _ in range(20):
            w = rng.normal(size=d) * scale
            p.objective(w, p.params, p.data, g)
            assert np.linalg.norm(g) <= thr["G_f"]
            c = expit(A @ w) - y
            per = c[:, None] * A
            assert np.mean(np.sum((per - per.mean(0)) ** 2, axis=1)) <= thr["d_sigma2"]
    jensen = ds2 / ((np.mean(np.linalg.norm(A, axis=1)) + lam * rmax * math.sqrt(d)) ** 2)
    assert _rel(jensen, independent) > 0.2
    assert 1.8 < thr["N_b_star"] < 2.1


def test_proved_threshold_not_applicable():
    r = proved_threshold({"problem": "ef-least-squares"})
    assert r["applicable"] is False and "Theorem 1" in r["reason"]


def test_speedup_plateau_lies_past_the_proved_threshold(quick):
    """The measured flattening is in the heuristic region: N_flat > N_b* (the theorem proves the
    linear speedup only up to N_b*)."""
    r = quick[1]["f"]["result"]["nonconvex-separable"]
    assert r["proved_threshold"]["applicable"]
    assert r["N_flat"] > 10 * r["proved_threshold"]["N_b_star"]


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
    """Every figure sweep file dist_*.toml names the simulator, uses only PARAMS and passes validate on
    every grid point."""
    import itertools
    import tomllib

    from adamtheory.distributed.sweep_plugin import NAME, PARAMS, validate

    files = sorted(sweeps_dir().glob("dist_*.toml"))
    assert len(files) >= 9
    for f in files:
        raw = tomllib.loads(f.read_text())
        assert raw["simulator"] == NAME
        assert set(raw["settings"]) <= set(PARAMS) and set(raw["grid"]) <= set(PARAMS)
        fixed = {k: raw["settings"].get(k, v[1]) for k, v in PARAMS.items()}
        for combo in itertools.product(*raw["grid"].values()):
            validate({**fixed, **dict(zip(raw["grid"], combo))})
