"""Phase diagrams: rendered images, label colours, the theory overlay against the checker, errors.

One small sweep on reddi-sec5-online (s, r) and one on reddi-thm2 (beta1, beta2); both problems
share their compiled kernels, so numba compiles once for this module.
"""

import matplotlib.image as mpimg
import numpy as np
import pytest

from adamtheory.cli import main
from adamtheory.conditions import check
from adamtheory.errors import InputError
from adamtheory.plotting import LABEL_COLORS, phase_diagram
from adamtheory.specs import OptimizerSpec, named
from adamtheory.sweep import open_results, run_sweep

SR = """
title = "test (s, r)"
[problem]
name = "reddi-sec5-online"
[optimizer]
alpha = "0.5 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"
[grid]
s = { start = 0.2, stop = 0.95, num = 6 }
r = { start = 0.0, stop = 1.0, num = 6 }
[run]
steps = 100000
seeds = 2
"""

BETA = """
title = "test beta"
[problem]
name = "reddi-thm2"
C = 50
[optimizer]
name = "adam"
lr = 0.1
[grid]
beta1 = { start = 0.0, stop = 0.9, num = 4 }
beta2 = { values = [0.5, 0.9, 0.99, 0.999] }
[run]
steps = 5000
"""


@pytest.fixture(scope="module")
def sr(tmp_path_factory):
    d = tmp_path_factory.mktemp("sr")
    (d / "sr.toml").write_text(SR)
    run_sweep(d / "sr.toml", d / "out", quiet=True)
    return d / "out", open_results(d / "out").load()


@pytest.fixture(scope="module")
def beta(tmp_path_factory):
    d = tmp_path_factory.mktemp("beta")
    (d / "b.toml").write_text(BETA)
    run_sweep(d / "b.toml", d / "out", quiet=True)
    return open_results(d / "out").load()


def _img(path):
    return mpimg.imread(path)[..., :3]


def _share(img, hexcolor):
    rgb = np.array([int(hexcolor[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return (np.abs(img - rgb).sum(axis=-1) < 0.03).mean()


def test_labels_render_with_colours_in_proportion(sr, tmp_path):
    _, ds = sr
    res = phase_diagram(ds, "s", "r", tmp_path / "p.png", slices={"seed": 0})
    img = _img(tmp_path / "p.png")
    assert img.shape[0] > 500 and img.shape[1] > 500 and img.std() > 0.1  # not blank
    labels = ds["label"].sel(seed=0).transpose("r", "s").values
    assert (res.labels[0] == labels).all()
    counts = {k: int((labels == k).sum()) for k in LABEL_COLORS}
    assert counts == {k: res.counts.get(k, 0) for k in LABEL_COLORS}
    assert counts["converged"] > 0 and counts["stuck"] > 0
    shares = {k: _share(img, c) for k, c in LABEL_COLORS.items()}
    total = sum(shares.values())
    for k, n in counts.items():  # pixel share of each label colour ~ its share of the cells
        assert abs(shares[k] / total - n / labels.size) < 0.08, (k, shares, counts)


def test_overlay_matches_the_checker_cell_by_cell(sr, tmp_path):
    _, ds = sr
    res = phase_diagram(ds, "s", "r", tmp_path / "o.png", slices={"seed": 1},
                        overlay="theory", curves=["r=2s", "s=1"])
    for i, r in enumerate(ds["r"].values):
        for j, s in enumerate(ds["s"].values):
            spec = OptimizerSpec.from_text("0.5 * t**(-s)", "0.9", "1 - 0.01 * t**(-r)",
                                           params={"s": float(s), "r": float(r)})
            v = check(spec)
            assert res.mask[0, i, j] == (v.converges is True)
            # and the closed form of REFERENCE section 2: 0 < r <= 2s, s < 1
            assert res.mask[0, i, j] == (0 < r <= 2 * s + 1e-12 and s < 1)
    labels = ds["label"].sel(seed=1).transpose("r", "s").values
    bad = res.mask[0] & np.isin(labels, ["stuck", "diverged"])
    assert res.mismatch == int(bad.sum()) == len(res.mismatch_cells)
    assert f"stuck or diverged: {res.mismatch} cells" in res.text
    img = _img(tmp_path / "o.png")
    assert img.std() > 0.1


def test_mismatches_only_where_the_bound_decays_slowly(sr, tmp_path):
    """reddi-sec5-online at T = 10^5: the guaranteed cells that end 'stuck' are those whose bound
    decays as T^p with p > -1/4 (s near 1 or r near 0); where p <= -1/4 there is no mismatch."""
    _, ds = sr
    res = phase_diagram(ds, "s", "r", tmp_path / "m.png", slices={"seed": 0}, overlay="theory")
    fast = [v.rate_exponent is not None and v.rate_exponent <= -0.25 for v in res.verdicts]
    fast = np.array(fast).reshape(res.mask.shape)
    assert fast.any()
    labels = res.labels
    assert not (fast & np.isin(labels, ["stuck", "diverged"])).any()
    for c in res.mismatch_cells:
        assert min(c["r"] / 2, 1 - c["s"]) < 0.25


def test_without_rendering_the_same_cells_and_nothing_written(sr, tmp_path):
    """render=False (the figures' computes) gives the drawn diagram's cells, overlay,
    mismatches and text, and writes no file."""
    _, ds = sr
    drawn = phase_diagram(ds, "s", "r", tmp_path / "r.png", facet="seed", overlay="theory",
                          curves=["r=2s"], note="a note")
    bare = phase_diagram(ds, "s", "r", None, facet="seed", overlay="theory", curves=["r=2s"],
                         note="a note", render=False)
    np.testing.assert_array_equal(bare.labels, drawn.labels)
    np.testing.assert_array_equal(bare.mask, drawn.mask)
    assert bare.mask.any() and (bare.mismatch, bare.guaranteed) == (drawn.mismatch,
                                                                     drawn.guaranteed)
    assert bare.mismatch_cells == drawn.mismatch_cells and bare.text == drawn.text
    assert bare.counts == drawn.counts and bare.path is None
    assert [p.name for p in tmp_path.iterdir()] == ["r.png"]


def test_metric_with_colour_bar_and_formats(sr, tmp_path):
    _, ds = sr
    for name in ("d.png", "d.pdf", "d.svg"):
        phase_diagram(ds, "s", "r", tmp_path / name, metric="dist", slices={"seed": 0},
                      overlay="theory")
        assert (tmp_path / name).stat().st_size > 5000
    img = _img(tmp_path / "d.png")
    assert img.std() > 0.1
    viridis_dark = np.array([0x44, 0x01, 0x54]) / 255  # colour-bar end of viridis
    assert (np.abs(img - viridis_dark).sum(axis=-1) < 0.15).mean() > 0.0005


def test_facet_over_seeds(sr, tmp_path):
    _, ds = sr
    res = phase_diagram(ds, "s", "r", tmp_path / "f.png", facet="seed", overlay="theory")
    assert res.labels.shape == (2, 6, 6) and res.mask.shape == (2, 6, 6)
    assert _img(tmp_path / "f.png").std() > 0.1


def test_beta_diagram_sc4_overlay_and_curve(beta, tmp_path):
    res = phase_diagram(beta, "beta2", "beta1", tmp_path / "b.png", overlay="SC4",
                        curves=["beta1=sqrt(beta2)"])
    for i, b1 in enumerate(beta["beta1"].values):
        for j, b2 in enumerate(beta["beta2"].values):
            v = check(named("adam", lr=0.1, beta1=float(b1), beta2=float(b2)))
            assert res.mask[0, i, j] == (v.conditions["SC4"].status == "holds")
            assert res.mask[0, i, j] == (b1 ** 2 < b2)
            assert v.converges is False  # constant theta: never guaranteed
    assert res.mismatch == 0
    assert _img(tmp_path / "b.png").std() > 0.1


@pytest.mark.parametrize("kw, message", [
    ({}, "axis seed has 2 values"),
    ({"slices": {"seed": 5}}, "not a value of the grid"),
    ({"slices": {"seed": 0}, "metric": "nope"}, "not a metric"),
    ({"slices": {"seed": 0}, "curves": ["beta1=sqrt(beta2)"]}, "relates the axes"),
    ({"slices": {"seed": 0}, "overlay": "SC9"}, "overlay SC9"),
])
def test_bad_input_is_one_line(sr, tmp_path, kw, message):
    _, ds = sr
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as e:
        phase_diagram(ds, "s", "r", tmp_path / "x.png", **kw)
    assert "\n" not in str(e.value)


def test_cli_plot_phase(sr, tmp_path, capsys):
    out, _ = sr
    png = tmp_path / "cli.png"
    assert main(["plot", "phase", str(out), "--x", "s", "--y", "r", "--slice", "seed=0",
                 "--overlay", "theory", "--curve", "r=2s", "-o", str(png)]) == 0
    assert png.exists() and "Guaranteed but labelled stuck or diverged" in capsys.readouterr().out
    assert main(["plot", "phase", str(out), "--x", "s", "--y", "r", "-o", str(png)]) == 2
    assert "slice it (seed=0)" in capsys.readouterr().err
    assert main(["plot", "phase", str(out), "--x", "s", "--y", "r", "--slice", "seed=0",
                 "-o", str(tmp_path / "x.jpg")]) == 2
    assert main(["plot", "phase", str(tmp_path / "missing"), "--x", "s", "--y", "r",
                 "-o", str(png)]) == 2
    assert main(["plot"]) == 2


MATCHING = """
title = "(s, r) on {name}"
[problem]
name = "{name}"
[optimizer]
alpha = "0.1 * t**(-s)"
beta  = 0.9
theta = "1 - 0.1 * t**(-r)"
[grid]
s = {{ start = 0.1, stop = 1.2, num = 12 }}
r = {{ values = [0.0, 0.25, 0.5, 1.0, 2.0] }}
[run]
steps = 20000
seeds = 2
"""


def test_problems_matching_the_theorem_have_no_mismatch(tmp_path):
    """On every catalog problem whose assumptions match the theorem (A1-A4, unconstrained), no
    cell the checker guarantees is labelled stuck or diverged; the classifier still calls cells
    outside the guarantee stuck, so the zero is not a classifier that never says stuck."""
    import counterexamples

    names = [p.name for p in counterexamples.catalog() if p.theorem_applies]
    assert set(names) >= {"nonconvex-separable", "logreg-nonconvex"}
    for name in names:
        f = tmp_path / f"{name}.toml"
        f.write_text(MATCHING.format(name=name))
        run_sweep(f, tmp_path / name, quiet=True)
        ds = open_results(tmp_path / name).load()
        res = phase_diagram(ds, "s", "r", tmp_path / f"{name}.png", facet="seed",
                            overlay="theory", curves=["r=2s"])
        s_, r_ = np.meshgrid(ds["s"].values, ds["r"].values)
        closed = (0 < r_) & (r_ <= 2 * s_ + 1e-12) & (s_ < 1)  # REFERENCE section 2
        assert (res.mask == closed).all() and closed.sum() == 20
        assert res.mismatch == 0, (name, res.mismatch_cells)
        labels = ds["label"].transpose("seed", "r", "s").values
        assert (labels[~res.mask] == "stuck").sum() > 0, name
        assert res.counts["converged"] > 0


def test_grid_values_are_clean_decimals():
    """linspace(0.1, 1.2, 12) holds 0.9999999999999999; the axis holds 1.0, which the checker
    (rightly) does not guarantee (s = 1 makes T α_T constant)."""
    from adamtheory.sweep.axes import parse_axis

    v = parse_axis("s", {"start": 0.1, "stop": 1.2, "num": 12}).values
    assert v[9] == 1.0 and v[2] == 0.3
    spec = OptimizerSpec.from_text("0.1 * t**(-s)", "0.9", "1 - 0.1 * t**(-r)",
                                   params={"s": float(v[9]), "r": 0.5})
    assert check(spec).converges is False
