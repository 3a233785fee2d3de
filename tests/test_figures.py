"""`adamtheory figures --quick`: every figure is written, not blank, with a manifest; the
registry's declared shape holds (sweep files shipped and valid, keys unique)."""

import json
from dataclasses import replace

import matplotlib.image as mpimg
import numpy as np

from adamtheory import __version__
from adamtheory.figures import FIGURES, all_files, make_figures, sweeps_dir


def test_quick_figures_and_manifest(tmp_path):
    m = make_figures(tmp_path, quick=True, echo=lambda *a: None)
    saved = json.loads((tmp_path / "manifest.json").read_text())
    assert saved["version"] == __version__ and saved["quick"] is True
    assert list(saved["figures"]) == list(all_files()) == list(FIGURES)
    assert set(FIGURES) >= {"a", "b", "c", "c2", "d", "e", "f", "g", "h", "i", "j", "k"}
    for key, f in saved["figures"].items():
        assert f["version"] == __version__ and f["made_by"] == "adamtheory figures --quick"
        assert "sweep" in f and ("command" in f or "python" in f)
        img = mpimg.imread(tmp_path / f["file"])[..., :3]
        assert img.shape[0] > 500 and img.shape[1] > 500
        assert img.std() > 0.05, key  # not blank
    for key in ("c", "c2", "d", "e"):
        sweep = saved["figures"][key]["sweep"]
        assert sweep.startswith("adamtheory/figures/sweeps/")
        assert (sweeps_dir() / sweep.rsplit("/", 1)[1]).is_file()
    # (a): Adam (no guarantee) ends near +1 online; Generic Adam (guaranteed) next to x* = -1
    online = saved["figures"]["a"]["result"]["online"]
    adam = next(v for k, v in online.items() if k.startswith("Adam"))
    generic = next(v for k, v in online.items() if k.startswith("Generic"))
    assert adam["theory"] == "no guarantee" and adam["x_T_mean"] > 0.9
    assert generic["theory"] == "guaranteed" and generic["x_T_mean"] < -0.9
    # (c): the mismatch is counted, explained in the figure, and absent where the bound decays
    # at least as T^(-1/4)
    c = saved["figures"]["c"]
    assert c["guaranteed"] > 0 and c["mismatch"] == len(c["mismatch_cells"])
    if c["mismatch"]:
        assert "Cause of the" in c["text"] and c["recheck"]["steps"] == 10 * 100_000
        assert "outside the theorem's assumptions" in c["text"]
        assert 0 < c["recheck"]["closer"] <= c["mismatch"]  # still drifting towards x*
    # (c2): on a problem the theorem covers, no guaranteed cell is stuck or diverged
    c2 = saved["figures"]["c2"]
    assert c2["guaranteed"] > 0 and c2["mismatch"] == 0 and c2["label_counts"]["converged"] > 0
    # (d): constant theta is never guaranteed; the overlay is SC4 (beta1^2 < beta2)
    assert m["figures"]["d"]["guaranteed_theory"] == 0
    assert m["figures"]["d"]["overlay"] == "SC4"
    # (e): measured slopes are at least as steep as the checker's bound where it is guaranteed
    rates = saved["figures"]["e"]["rates"]
    assert any(r["converges"] for r in rates) and any(not r["converges"] for r in rates)
    for r in rates:
        if r["converges"]:
            assert np.isfinite(r["fit_last_decade"]) and r["bound_holds"], r


def test_registry_shape_and_sweep_files():
    """Every declared sweep file is shipped in the package and loads (validated by the sweep
    parser); every file name is unique; j draws the data of i in the same group."""
    from adamtheory.sweep import load

    names = [f for fig in FIGURES.values() for f in fig.files]
    assert len(names) == len(set(names))
    declared = {n for fig in FIGURES.values() for pair in fig.sweeps.values() for n in pair if n}
    assert declared == {p.name for p in sweeps_dir().glob("*.toml")}   # none missing, none stray
    for name in sorted(declared):
        assert load(sweeps_dir() / name).n_configs >= 1, name
    for fig in FIGURES.values():
        assert fig.summary and fig.groups and callable(fig.draw)
        if fig.data_of:
            assert FIGURES[fig.data_of].groups == fig.groups


def test_shape_refuses_an_inconsistent_figure():
    import pytest

    from adamtheory.figures import Figure

    with pytest.raises(ValueError, match="exactly one of compute and data_of"):
        Figure(key="z", files=("z.png",), summary="", compute=None, draw=lambda j, p: {})
    with pytest.raises(ValueError, match="exactly one of compute and data_of"):
        Figure(key="z", files=("z.png",), summary="", compute=lambda j: 0,
               draw=lambda j, p: {}, data_of="a")


def test_figures_run_outside_the_repository(tmp_path, monkeypatch):
    """The sweep files are package data: the directory they come from does not depend on the
    working directory, and `figures --list` works from an empty one."""
    import subprocess
    import sys

    monkeypatch.chdir(tmp_path)
    p = subprocess.run([sys.executable, "-m", "adamtheory", "figures", "--list"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert str(sweeps_dir()) in p.stdout and "(k)" in p.stdout
    p = subprocess.run([sys.executable, "-m", "adamtheory", "figures", "--processes", "0"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def _fake_figures():
    """Three tiny figures: one per group, one drawing another's data, one over two groups."""
    from adamtheory.figures import Figure

    def compute(job):
        return {"group": job.group}

    def draw(job, parts):
        return {"sweep": None, "python": "test", "groups": sorted(parts)}

    return {f.key: f for f in (
        Figure(key="p", files=("p.png",), summary="p", compute=compute, draw=draw,
               groups=("one",)),
        Figure(key="q", files=("q.png",), summary="q", compute=None, draw=draw,
               groups=("one",), data_of="p"),
        Figure(key="r", files=("r.png",), summary="r", compute=compute, draw=draw,
               groups=("one", "two")))}


def test_progress_lists_every_figure_and_its_seconds(tmp_path, monkeypatch):
    """Without a terminal, make_figures reports each figure's compute and draw as lines
    (``[done/total, elapsed]``), counts the figures done, ends with the seconds of every figure
    and stores them in the manifest."""
    import adamtheory.figures as figs

    monkeypatch.setattr(figs, "FIGURES", _fake_figures())
    lines = []
    m = figs.make_figures(tmp_path, quick=True, echo=lines.append, processes=1)
    text = "\n".join(lines)
    for key, group in (("p", "one"), ("r", "one"), ("r", "two")):
        assert f"computing ({key}) [{group}]" in text
    for key in "pqr":
        assert f"drawing ({key})" in text and f"({key}) done in" in text
    done = [ln for ln in lines if " done in " in ln]
    assert [ln.split("[", 1)[1].split(",")[0].strip() for ln in done] == ["1/3", "2/3", "3/3"]
    summary = next(ln for ln in lines if ln.startswith("seconds per figure"))
    assert all(f"({k})" in summary for k in "pqr")
    assert m["figures"]["r"]["groups"] == ["one", "two"]
    assert all(m["figures"][k]["seconds"] >= 0 for k in "pqr")


def test_figure_progress_counts_a_figure_once_drawn():
    """The reporter: computing does not count a figure as done, drawing does; a figure's
    seconds add its computes in every group and its draw."""
    from adamtheory.sweep.progress import FigureProgress

    lines = []
    with FigureProgress(["x", "y"], echo=lines.append) as fp:
        fp.event("compute", "x", "g1")
        fp.event("computed", "x", "g1", 2.0)
        fp.event("compute", "x", "g2")
        fp.event("computed", "x", "g2", 1.0)
        assert fp.done == 0
        fp.event("draw", "x")
        fp.event("drawn", "x", "", 0.5)
    assert fp.done == 1 and fp.seconds == {"x": 3.5, "y": 0.0}
    assert lines[-1].endswith("(x) done in 3.5 s") and "[ 1/2," in lines[-1]
    assert "computing (x) [g2]" in "\n".join(lines)
    assert fp.summary() == "seconds per figure: (x) 3.5, (y) 0.0"


def test_pool_makespan_by_hand():
    """The simulated pool: groups first come first served, a joined figure's draw queued when
    its groups are done (after the groups submitted before)."""
    from adamtheory.figures import pool_makespan

    groups = {"x": 4.0, "y": 1.0, "z": 3.0, "w": 2.0}
    joined = {"j": (("y", "w"), 2.0)}
    # x | z, w (j ready at 5, after y on the first worker) -> j on either at 5 -> 7
    assert pool_makespan(["x", "z", "w", "y"], groups, joined, 2) == 7.0
    # x | y, w (j ready at 3, queued after z) -> z on the second at 3, j on the first at 4 -> 6
    assert pool_makespan(["x", "y", "w", "z"], groups, joined, 2) == 6.0
    # y, w first: x and z run after them, j after z -> 7
    assert pool_makespan(["y", "w", "x", "z"], groups, joined, 2) == 7.0
    assert pool_makespan(["x", "y", "w", "z"], groups, joined, 1) == 12.0
    # j waits for the later of its groups (w, done at 2) although a worker is free at 1
    assert pool_makespan(["x", "y", "w"], {"x": 1.0, "y": 1.0, "w": 2.0}, joined, 3) == 4.0
    assert pool_makespan(["x", "y", "w", "z"], groups, {}, 4) == 4.0


def test_groups_are_ordered_by_the_last_runs_seconds(tmp_path, monkeypatch):
    """The pool takes the groups in the order whose simulated makespan is least, from the
    seconds of the manifest in the output directory, else of the record the last run on this
    machine left in the user cache (per mode), else in registry order; a damaged record only
    means registry order."""
    import itertools

    import adamtheory.figures as figs
    from adamtheory.usercache import write_entry

    def record(mode, groups, joined):
        write_entry(figs.TIMES_KIND, figs.__version__, mode, {"groups": groups, "joined": joined})

    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "cache"))
    fake = _fake_figures()
    for key, group in (("s", "x"), ("t", "z")):
        fake[key] = replace(fake["p"], key=key, files=(f"{key}.png",), groups=(group,))
    fake["r"] = replace(fake["r"], groups=("y", "w"))
    fake["p"] = replace(fake["p"], groups=("y",))
    fake["q"] = replace(fake["q"], groups=("y",))
    monkeypatch.setattr(figs, "FIGURES", fake)
    empty, names = tmp_path / "empty", ["z", "w", "y", "x"]
    assert figs.pool_order(names, empty, quick=True) == names
    groups = {"x": 4.0, "y": 1.0, "z": 3.0, "w": 2.0}
    record("figures --quick", groups, {"r": 2.0})
    record("figures", {"x": 1.0, "y": 1.0, "z": 1.0, "w": 1.0}, {"r": 0.0})
    order = figs.pool_order(names, empty, quick=True)
    best = min(figs.pool_makespan(o, groups, {"r": (("y", "w"), 2.0)}, 2)
               for o in itertools.permutations(names))
    assert best == 6.0 and figs.pool_makespan(order, groups, {"r": (("y", "w"), 2.0)}, 2) == 6.0
    # longest first would put y and w last: 7 s
    assert figs.pool_makespan(sorted(names, key=lambda g: -groups[g]), groups,
                              {"r": (("y", "w"), 2.0)}, 2) == 7.0
    # the same at 0.4 times the seconds: 0.4 s sooner is within the margin, longest first stays
    record("figures --quick", {g: 0.4 * v for g, v in groups.items()}, {"r": 0.8})
    assert figs.pool_order(names, empty, quick=True) == ["x", "z", "w", "y"]
    record("figures --quick", groups, {"r": 2.0})
    # equal seconds: every order ends at once, the registry order is kept
    assert figs.pool_order(names, empty, quick=False) == names
    # the manifest of the output directory comes first; one without the seconds does not
    (tmp_path / "out").mkdir()
    manifest = tmp_path / "out" / "manifest.json"
    manifest.write_text(json.dumps({"figures": {}, "pool_seconds": {
        "groups": {"x": 9.0, "y": 1.0, "z": 1.0, "w": 1.0}, "joined": {"r": 0.0}}}))
    assert "x" in figs.pool_order(names, tmp_path / "out", quick=True)[:2]
    manifest.write_text(json.dumps({"figures": {"p": {"seconds": 9.0}}}))
    assert figs.pool_order(names, tmp_path / "out", quick=True) == order
    # a damaged record is ignored as a whole (its good entries alone would reorder the groups)
    record("figures --quick", {**groups, "y": "slow"}, {"r": 2.0})
    assert figs.pool_order(names, empty, quick=True) == names
    record("figures --quick", groups, {"r": "slow"})
    assert figs.pool_order(names, empty, quick=True) == names


def test_a_run_records_its_seconds_for_the_next(tmp_path, monkeypatch):
    """The seconds of a group are those its worker spent: its computes and the draws of the
    figures that are its alone; r, drawn from both groups' data, is a task of its own."""
    import adamtheory.figures as figs
    from adamtheory.usercache import read_entry

    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "cache"))
    fake = _fake_figures()
    clock = {"t": 0.0}
    monkeypatch.setattr(figs.time, "perf_counter", lambda: clock["t"])

    def slow(seconds, fn):
        def run(*args):
            clock["t"] += seconds
            return fn(*args)
        return run

    p, q, r = fake["p"], fake["q"], fake["r"]
    monkeypatch.setattr(figs, "FIGURES", {
        "p": replace(p, compute=slow(1.0, p.compute), draw=slow(2.0, p.draw)),
        "q": replace(q, draw=slow(4.0, q.draw)),
        "r": replace(r, compute=slow(8.0, r.compute), draw=slow(16.0, r.draw))})
    m = figs.make_figures(tmp_path / "out", quick=True, echo=lambda *a: None, processes=1)
    assert m["pool_seconds"] == {"groups": {"one": 1.0 + 2.0 + 4.0 + 8.0, "two": 8.0},
                                 "joined": {"r": 16.0}}
    rec = read_entry(figs.TIMES_KIND, figs.__version__, "figures --quick")
    assert rec == m["pool_seconds"]
    assert read_entry(figs.TIMES_KIND, figs.__version__, "figures") is None
