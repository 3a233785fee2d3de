"""Figures: matplotlib (Agg backend), colour-blind-safe (Okabe-Ito) palette, paper-column sizes.

* :func:`theory_map`: the checker's (s, r) map;
* :func:`trace_figure`, :func:`trajectory_plot`: x_t, R_t/t (or other metrics) against t
  (:mod:`.traces`);
* :func:`phase_diagram`: a 2-d slice of a sweep's results (labels or a metric), with the
  checker's verdict on the same cells drawn over it (:mod:`.phase`);
* :mod:`.cells` (slices and facets of results), :mod:`.geometry` (cell edges, outlines,
  boundary curves); the checker's verdicts on cells come from :mod:`adamtheory.sweep.theory`;
* :func:`rate_plot`: measured (E||∇f||^{4/3})^{3/2} against T beside the predicted slopes;
* :mod:`.style`: the one palette and sizes; the ``adamtheory plot`` subcommand is
  :mod:`adamtheory.cli.plot`.
"""

from ..sweep.theory import theory_cells
from ._basic import COLORS, output_path, theory_map
from .cells import select_cells
from .geometry import CURVES
from .phase import LABEL_COLORS, PhaseResult, phase_diagram
from .rates import rate_plot, rate_series
from .traces import trace_figure, trajectory_plot

__all__ = ["COLORS", "LABEL_COLORS", "CURVES", "theory_map", "trace_figure", "trajectory_plot",
           "phase_diagram", "select_cells", "theory_cells", "PhaseResult", "rate_plot",
           "rate_series", "output_path"]
