"""`adamtheory figures --quick`: every figure is written, not blank, with a manifest."""

import json

import matplotlib.image as mpimg
import numpy as np

from adamtheory import __version__
from adamtheory.figures import FILES, all_files, examples_dir, make_figures


def test_quick_figures_and_manifest(tmp_path):
    m = make_figures(tmp_path, quick=True, echo=lambda *a: None)
    saved = json.loads((tmp_path / "manifest.json").read_text())
    assert saved["version"] == __version__ and saved["quick"] is True
    assert set(saved["figures"]) == set(all_files()) >= set(FILES) == {"a", "b", "c", "c2", "d",
                                                                        "e"}
    for key, f in saved["figures"].items():
        assert f["version"] == __version__ and f["made_by"] == "adamtheory figures --quick"
        assert "sweep" in f and ("command" in f or "python" in f)
        img = mpimg.imread(tmp_path / f["file"])[..., :3]
        assert img.shape[0] > 500 and img.shape[1] > 500
        assert img.std() > 0.05, key  # not blank
    for key in ("c", "c2", "d", "e"):
        sweep = saved["figures"][key]["sweep"]
        assert sweep.startswith("examples/") and (examples_dir().parent / sweep).exists()
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
