"""One vocabulary: the engine's metrics table, the labels, statuses and variant names, and the one
range rule of the schedules, each defined once and used by every layer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from adamtheory import specs
from adamtheory.engine import codes, metrics
from adamtheory.engine.batch import BatchResult
from adamtheory.engine.classify import LABELS, Label
from adamtheory.errors import ScheduleError


def test_metrics_table_drives_results_dataset_and_plots():
    from adamtheory.plotting.phase import METRIC_TEXT
    from adamtheory.plotting.traces import PANEL_TEXT
    from adamtheory.simulate import METRICS as RUN_METRICS
    from adamtheory.sweep.dataset import DESCRIPTIONS
    from adamtheory.sweep.store import CHUNK_KEYS

    fields = [f.name for f in dataclasses.fields(BatchResult)]
    assert tuple(fields[1:1 + len(metrics.NAMES)]) == metrics.NAMES  # the kernels' output order
    assert tuple(RUN_METRICS) == metrics.NAMES
    assert CHUNK_KEYS[:len(metrics.NAMES)] == metrics.NAMES
    for name in metrics.NAMES:
        assert DESCRIPTIONS[name] == metrics.DESCRIPTIONS[name]
        assert METRIC_TEXT[name] == PANEL_TEXT[name] == metrics.METRICS[name].tex


def test_switch_names_are_defined_once():
    assert [codes.EPS_MODES[m] for m in specs.EpsMode] == list(range(len(specs.EpsMode)))
    assert [codes.AMSGRAD_MODES[m] for m in specs.Amsgrad] == [1, 2, 3]
    assert codes.EPS_MODES["keras"] == codes.EPS_KERAS and codes.AMSGRAD_MODES[None] == 0
    assert list(specs.VARIANTS) == [v.value for v in specs.Variant]
    for v, sw in specs.VARIANTS.items():
        spec = specs.OptimizerSpec.from_text("1/sqrt(t)", "0.9", "0.99").with_variant(v)
        assert spec.eps_mode == sw["eps_mode"] and spec.bias_correction == sw["bias_correction"]
        assert sw["eps_mode"] in codes.EPS_MODES
    assert specs.Variant.TORCH == "torch" and str(specs.Variant.TORCH) == "torch"


def test_labels_are_a_strenum_in_code_order():
    assert LABELS == (Label.CONVERGED, Label.STUCK, Label.DIVERGED, Label.UNDECIDED)
    assert np.array(list(LABELS), dtype="<U9").tolist() == ["converged", "stuck", "diverged",
                                                             "undecided"]


@pytest.mark.parametrize("role, text, ok", [
    ("alpha", "0.5/sqrt(t)", True), ("alpha", "t - 3", False),
    ("beta", "0.9", True), ("beta", "1 - 0.5/t", True), ("beta", "1.0", False),
    ("theta", "1 - 2/t", False), ("theta", "1 - 1e-20/t", True),  # exact < 1, rounds to 1.0
    ("theta", "1 + 1e-20/t", False),                                # exact > 1, rounds to 1.0
])
def test_one_range_rule_for_checker_and_sweeps(role, text, ok):
    """specs.check_range decides on the exact value at the edge; the checker
    (conditions.validate) and the sweep tables (sweep.tables.check_row) both call it."""
    from adamtheory.schedules import Schedule

    sched = Schedule.parse(text)
    vals = sched.values(50)
    if ok:
        rounded = specs.check_range(role, sched, vals)
        assert rounded == ([] if "e-20" not in text else [1, 2, 3, 4, 5])  # the first five
    else:
        with pytest.raises(ScheduleError, match=specs.RANGES[role][1].replace("[", r"\[")
                           .replace(")", r"\)") + "|not finite"):
            specs.check_range(role, sched, vals)
