"""Figures: matplotlib (Agg backend), colour-blind-safe (Okabe-Ito) palette, paper-column sizes.

* :func:`theory_map`: the checker's (s, r) map;
* :func:`trace_figure`, :func:`trajectory_plot`: x_t, R_t/t (or other metrics) against t (:mod:`.traces`);
* :func:`phase_diagram`: a 2-d slice of a sweep's results (labels or a metric), with the
  checker's verdict on the same cells drawn over it (:mod:`.phase`);
* :func:`rate_plot`: measured (E||∇f||^{4/3})^{3/2} against T beside the predicted slopes;
* :mod:`.style`: the one palette and sizes; the ``adamtheory plot`` subcommand is
  :mod:`adamtheory.cli.plot`.
"""

from ._basic import COLORS, theory_map
from .phase import CURVES, LABEL_COLORS, PhaseResult, phase_diagram, select_cells, theory_cells
from .rates import rate_plot, rate_series
from .traces import trace_figure, trajectory_plot

__all__ = ["COLORS", "LABEL_COLORS", "CURVES", "theory_map", "trace_figure", "trajectory_plot",
           "phase_diagram", "select_cells", "theory_cells", "PhaseResult", "rate_plot",
           "rate_series"]
