"""The registry of figures: every figure module, in the order of the manifest and the README.

To add a figure, import its module here and append it to :data:`MODULES`.
"""

from __future__ import annotations

from . import (
    a_reddi,
    b_theta_r,
    c2_phase_sr_nonconvex,
    c_phase_sr,
    d_phase_beta,
    e_rates,
    f_speedup,
    g_bits,
    h_ef,
    i_fed_curves,
    j_fed_drift,
    k_fed_speedup,
    l_torch_optimizers,
    m_torch_data_parallel,
    n_torch_bits,
)
from .shape import Figure

MODULES = (a_reddi, b_theta_r, c_phase_sr, c2_phase_sr_nonconvex, d_phase_beta, e_rates,
           f_speedup, g_bits, h_ef, i_fed_curves, j_fed_drift, k_fed_speedup, l_torch_optimizers,
           m_torch_data_parallel, n_torch_bits)


def _collect(modules) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for m in modules:
        fig = m.FIGURE
        if fig.key in figures:
            raise ValueError(f"figure key {fig.key!r} declared twice ({m.__name__})")
        figures[fig.key] = fig
    for fig in figures.values():
        if fig.data_of is not None and figures[fig.data_of].groups != fig.groups:
            raise ValueError(f"figure {fig.key}: data_of {fig.data_of!r} is in another group")
    return figures


#: key -> Figure, in registry order
FIGURES = _collect(MODULES)
