"""One real run on flwr's simulation engine (Ray, the machine's cores): FedLADA's global model
after every round equals the in-process run of the same strategy (issue 17, "a real Flower run").
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("flwr")
pytest.importorskip("ray")

from adamtheory.flower import run_flower, run_inprocess  # noqa: E402

KW = dict(M=6, S=3, K=4, batch=8, lr_local=0.05, alpha=0.1)


@pytest.mark.slow
def test_flower_simulation_equals_inprocess():
    ref = run_inprocess("fedlada", "digits", rounds=5, seed=4, **KW)
    out = run_flower("fedlada", "digits", rounds=5, seed=4, **KW)
    scale = np.max(np.abs(ref["x"]))
    assert np.max(np.abs(out["final"] - ref["x"][-1])) <= 1e-12 * scale
    assert np.max(np.abs(out["x"] - ref["x"])) <= 1e-12 * scale
    np.testing.assert_allclose(out["drift"], ref["drift"], rtol=1e-12)
    np.testing.assert_allclose(out["loss"], ref["loss"], rtol=1e-12)
