"""Shared by the federated figures (i)-(k): colours per algorithm, axis style, level names."""

from __future__ import annotations

from ..plotting.style import OKABE_ITO

#: one colour per algorithm (FedLADA black, FedAvg dashed blue)
COLORS = {"fedavg": OKABE_ITO["blue"], "fedadam": OKABE_ITO["orange"],
          "local-adam": OKABE_ITO["vermillion"], "fedcm": OKABE_ITO["green"],
          "scaffold": OKABE_ITO["purple"], "fedlada": OKABE_ITO["black"],
          "fedlada, fresh v": OKABE_ITO["sky"]}
PYTHON = ("adamtheory.federated.experiments.comparison(problem, rounds, seeds) and "
          "speedup(rounds, seeds)")


def style(ax, title, xlabel, ylabel):
    """Title, labels, grid; no minor tick labels on a log y axis."""
    from matplotlib.ticker import NullFormatter

    if ax.get_yscale() == "log":
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)


def level_name(problem, lev):
    """The panel title of a heterogeneity level."""
    if problem == "digits":
        return "IID" if lev == 0 else rf"Dirichlet $\alpha = {lev:g}$"
    return rf"$\zeta = {lev:g}$" + (" (IID)" if lev == 0 else "")


def command(quick: bool) -> str:
    return "adamtheory figures" + (" --quick" if quick else "")
