"""Shared by the torch figures (l)-(n): the skip when torch is absent, settings, axis style."""

from __future__ import annotations

import importlib.util
import sys

from ..plotting.style import DPI, FONT, GREY, pyplot

#: The message of a torch figure when torch is not installed.
SKIPPED = "skipped: PyTorch is not installed (pip install 'adamtheory[torch]')"
PYTHON = "adamtheory.torch.experiments"


def torch_missing() -> bool:
    """True when ``import torch`` would fail (the figure is then drawn as skipped)."""
    return importlib.util.find_spec("torch") is None


def begin():
    """One thread for torch (the 2-core machine is shared; intra-op threads only contend)."""
    import torch

    torch.set_num_threads(1)


def draw_skipped(job, title: str) -> dict:
    """A placeholder image saying the figure was skipped, and its manifest entry."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.6), dpi=DPI)
    ax.set_facecolor(GREY)
    ax.text(0.5, 0.5, f"{title}\n\n{SKIPPED}", ha="center", va="center", wrap=True,
            fontsize=FONT["title"], transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    print(f"figure ({job.figure.key}) {SKIPPED}", file=sys.stderr)
    return {"skipped": SKIPPED, "sweep": None, "python": PYTHON}


def entry(job, python: str, data: dict) -> dict:
    """The manifest entry of a torch figure: command, Python call, versions and the numbers."""
    import torch

    from .common import finite

    return finite({"command": "adamtheory figures" + (" --quick" if job.quick else ""),
                   "python": python, "python_version": sys.version.split()[0],
                   "torch_version": torch.__version__, "sweep": None, **data})


def style(ax, title, xlabel, ylabel):
    """Title, labels and grid in the project's sizes."""
    ax.set_title(title, fontsize=FONT["title"])
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.tick_params(which="both", labelsize=FONT["tick"])
    ax.grid(True, which="both", alpha=0.3)
