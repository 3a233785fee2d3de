"""The error-feedback counterexamples (Karimireddy et al. 2019) replayed by the simulator:
sign compression without error feedback stays on the invariant line x1 + x2 = const and does
not reach the optimum; with error feedback (scaled sign) it converges. In two-way compression
(Efficient-Adam), worker-side EF fixes the uplink and server-side EF the downlink.

All runs use the SGD form of the update (θ = 0, ε = 1: v stays 1; β = 0), α_t = 0.05/√t."""

from __future__ import annotations

import numpy as np
import pytest

import counterexamples as cx
from adamtheory.distributed import sweep_plugin as P
from counterexamples.conformance import check_problem

T = 20000
CK = np.array([10, 100, 1000, 10000, T])
PROBLEMS = ["ef-least-squares", "ef-nonsmooth"]
LINE = {"ef-least-squares": 2.0, "ef-nonsmooth": 1.5}       # x1 + x2 of the default x0


def run(problem, rows):
    """rows: list of dicts of settings; returns the plug-in's outputs for them (one call)."""
    base = dict(problem=problem, beta=0.0, theta=0.0, eps=1.0, lr=0.05, s=0.5,
                placement="worker-adam", workers=1)
    keys = set(base) | set().union(*rows)
    st = {k: np.array([{**base, **r}.get(k, P.PARAMS[k][1]) for r in rows]) for k in keys}
    return P.compute(st, np.zeros(len(rows), np.int64), T, CK)


@pytest.mark.parametrize("name", PROBLEMS)
def test_problem_conforms(name):
    check_problem(cx.get(name)).raise_if_failed()


@pytest.mark.parametrize("name", PROBLEMS)
def test_sign_stays_on_the_invariant_line_and_ef_converges(name):
    p = cx.get(name)
    rows = [dict(compressor="sign", downlink="identity64", placement="server-adam"),   # signSGD
            dict(compressor="scaled_sign", downlink="identity64"),                      # no EF
            dict(compressor="scaled_sign", downlink="identity64", ef_worker=True),      # EF
            dict(compressor="identity64")]                                              # SGD
    out = run(name, rows)
    s = out["x1"] + out["x2"]
    for i in (0, 1):
        np.testing.assert_allclose(s[i], LINE[name], rtol=1e-12)
        # on the line f is at least the line's minimum: the optimum f* = 0 is out of reach
        assert np.all(out["fgap"][i] >= p.meta["line_minimum"] * (1 - 1e-9))
    for i in (2, 3):
        assert abs(s[i, -1]) < 0.1 * LINE[name]
        assert out["fgap"][i, -1] < 0.01 * p.meta["line_minimum"]


@pytest.mark.parametrize("name", PROBLEMS)
def test_each_error_feedback_fixes_its_own_side(name):
    """One-way compression (scaled sign) on one side only: without the EF of that side the run
    stays on the invariant line whatever the other side does; with it, it converges."""
    p = cx.get(name)
    rows = []
    for up, down in (("scaled_sign", "identity64"), ("identity64", "scaled_sign")):
        for efw in (False, True):
            for efs in (False, True):
                rows.append(dict(compressor=up, downlink=down, ef_worker=efw, ef_server=efs))
    out = run(name, rows)
    s = out["x1"] + out["x2"]
    for i, r in enumerate(rows):
        needed = r["ef_worker"] if r["compressor"] == "scaled_sign" else r["ef_server"]
        if needed:
            assert out["fgap"][i, -1] < 0.01 * p.meta["line_minimum"], r
        else:
            np.testing.assert_allclose(s[i], LINE[name], rtol=1e-12, err_msg=str(r))


def test_two_way_efficient_adam_needs_both_sides():
    """Two-way scaled sign, N = 4 workers, least squares: no worker EF -> on the line (with or
    without server EF); worker EF only -> converges but the biased downlink leaves f at least
    3x higher than with both; both -> converges like uncompressed SGD."""
    p = cx.get("ef-least-squares")
    rows = [dict(compressor="scaled_sign", workers=4, ef_worker=w, ef_server=s)
            for w in (False, True) for s in (False, True)]
    rows.append(dict(compressor="identity64", workers=4))
    out = run("ef-least-squares", rows)
    f, s = out["fgap"][:, -1], out["x1"] + out["x2"]
    for i in (0, 1):
        np.testing.assert_allclose(s[i], 2.0, rtol=1e-12)
    assert f[3] < 0.01 * p.meta["line_minimum"]
    assert f[2] > 3 * f[3]
    assert f[3] < 2 * f[4]
