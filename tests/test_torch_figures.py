"""Figures (l)-(n): drawn from their data, drawn as skipped without torch; the left-side
estimate of experiment (i)."""

import numpy as np
import pytest

from adamtheory.figures import FIGURES, torch_common
from adamtheory.figures.shape import Job


def _job(tmp_path, key):
    return Job(FIGURES[key], tmp_path, tmp_path, True, "torch")


@pytest.mark.parametrize("key", ["l", "m", "n"])
def test_skipped_without_torch(tmp_path, monkeypatch, capsys, key):
    mod = __import__(FIGURES[key].compute.__module__, fromlist=["x"])
    monkeypatch.setattr(mod, "torch_missing", lambda: True)
    job = _job(tmp_path, key)
    data = FIGURES[key].compute(job)
    assert data is None
    entry = FIGURES[key].draw(job, {"torch": data})
    assert entry["skipped"] == torch_common.SKIPPED
    assert job.path().is_file()
    assert "skipped" in capsys.readouterr().err


def test_draw_from_data(tmp_path):
    pytest.importorskip("torch")
    steps = [1, 10, 100]
    run = {"steps": steps, "loss": [2.0, 1.0, 0.5], "gnorm": [1.0, 0.5, 0.2],
           "lhs": [1.0, 0.6, 0.3], "converges": True, "verdict": "converges"}
    opt = {"label": "x", "runs": [run], "final_loss": 0.5, "final_lhs": 0.3, "converges": True,
           "verdict": "converges", "seconds": 1.0}
    e = FIGURES["l"].draw(_job(tmp_path, "l"), {"torch": {
        "steps": 100, "seeds": [0], "batch": 32, "evals": 3, "optimizers": {"a": opt, "b": {
            **opt, "converges": False}}}})
    assert e["optimizers"]["a"]["final_loss"] == 0.5
    res = {str(n): {"iters": [it], "mean_iters": float(it), "curves": [[[10, 1.0], [it, 0.1]]],
                    "seconds": 1.0} for n, it in ((1, 400), (2, 200), (4, 100))}
    e = FIGURES["m"].draw(_job(tmp_path, "m"), {"torch": {
        "workers": [1, 2, 4], "batch": 16, "target": 0.1, "seeds": [0], "results": res}})
    assert e["slope"] == pytest.approx(-1.0)
    runs = {"a|ef": {"bits": [10, 20], "loss": [1.0, 0.5], "bits_per_step": 10, "seconds": 1},
            "a|no-ef": {"bits": [10, 20], "loss": [1.0, float("inf")], "bits_per_step": 10,
                        "seconds": 1}}
    e = FIGURES["n"].draw(_job(tmp_path, "n"), {"torch": {
        "workers": 2, "steps": 2, "dim": 5, "runs": runs}})
    assert e["runs"]["a|no-ef"]["diverged"] and not e["runs"]["a|ef"]["diverged"]


def test_left_side_estimate():
    pytest.importorskip("torch")
    from adamtheory.torch.experiments import lhs_estimate

    rng = np.random.default_rng(0)
    g = rng.uniform(0.1, 2.0, 50)
    t = np.arange(1, 51)
    direct = (np.cumsum(g ** (4 / 3)) / t) ** 1.5
    np.testing.assert_allclose(lhs_estimate(t, g), direct, rtol=1e-14)
    grid = np.array([1, 4, 10, 50])
    # on a coarse grid each measurement stands for the steps since the previous one
    held = np.repeat(g[grid - 1], np.diff(np.concatenate([[0], grid])))
    np.testing.assert_allclose(lhs_estimate(grid, g[grid - 1]),
                               (np.cumsum(held ** (4 / 3)) / t)[grid - 1] ** 1.5, rtol=1e-14)
    assert lhs_estimate(grid, np.full(4, 0.7))[-1] == pytest.approx(0.7 ** 2)  # (c^(4/3))^(3/2)


def test_train_one_small():
    pytest.importorskip("torch")
    from adamtheory.torch.experiments import cnn, train_one

    assert sum(p.numel() for p in cnn(0).parameters()) == 1898
    r = train_one("generic-s0.5-r1", 30, 0)
    assert r["steps"][-1] == 30 and r["converges"] is True
    assert r["loss"][-1] < r["loss"][0]


def test_data_parallel_stops_every_rank_at_rank_zeros_target():
    pytest.importorskip("torch")
    from adamtheory.torch.experiments import data_parallel

    # a target every loss meets: rank 0's first measurement stops all ranks (a rank that did not
    # hear it would wait in its next all-reduce and the launch would fail)
    hit = data_parallel(workers=(1, 2), steps=40, seeds=(0,), target=1e9, eval_every=10)
    for n in ("1", "2"):
        assert hit["results"][n]["iters"] == [10]
        assert [p[0] for p in hit["results"][n]["curves"][0]] == [10]
    # a target none meets: every measurement of rank 0 is on the curve, and none is a hit
    miss = data_parallel(workers=(2,), steps=40, seeds=(0,), target=0.0, eval_every=10)
    r = miss["results"]["2"]
    assert r["iters"] == [-1] and [p[0] for p in r["curves"][0]] == [10, 20, 30, 40]
    assert np.isnan(r["mean_iters"]) and r["curves"][0][-1][1] < r["curves"][0][0][1]
