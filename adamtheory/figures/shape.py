"""The declared shape of a figure (:class:`Figure`) and what its functions receive (:class:`Job`).

A figure is data: a key, its output files, its sweep files, a ``compute`` (the numbers, run in a
worker process) and a ``draw`` (the files and the manifest entry), and a one-line summary.
:mod:`adamtheory.figures` runs every registered figure; nothing in the driver knows a letter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError

#: The package directory holding the figure sweep files (package data).
SWEEPS_PACKAGE = "adamtheory.figures"
SWEEPS_DIR = "sweeps"


def sweeps_dir() -> Path:
    """The directory of the figure sweep files shipped with the package."""
    return Path(str(resources.files(SWEEPS_PACKAGE).joinpath(SWEEPS_DIR)))


def sweep_label(path: Path) -> str:
    """How a sweep file is named in the manifest: its path inside the source tree
    (``adamtheory/figures/sweeps/NAME.toml``), valid in a checkout and inside site-packages."""
    return f"adamtheory/figures/{SWEEPS_DIR}/{Path(path).name}"


@dataclass(frozen=True)
class Job:
    """What a figure's ``compute`` and ``draw`` receive.

    Attributes
    ----------
    figure : Figure
        The figure being made.
    out : Path
        The output directory (the figure's files go here).
    tmp : Path
        A scratch directory private to this run (sweep results).
    quick : bool
        Small grids and fewer steps.
    group : str
        The worker group this call runs in (one of ``figure.groups``).
    """

    figure: Figure
    out: Path
    tmp: Path
    quick: bool
    group: str

    def sweep(self, part: str) -> Path:
        """The sweep file of ``part`` (full or quick) in the package's sweep directory."""
        full, quick = self.figure.sweeps[part]
        name = quick if self.quick else full
        if name is None:
            raise InputError(f"figure ({self.figure.key}): part {part!r} has no "
                             f"{'quick' if self.quick else 'full'} sweep file")
        return sweeps_dir() / name

    def parts(self) -> list[str]:
        """The sweep parts that exist in this mode (a part may be full-only: quick = None)."""
        return [p for p, (full, quick) in self.figure.sweeps.items()
                if (quick if self.quick else full) is not None]

    def path(self, index: int = 0) -> Path:
        """The ``index``-th output file of the figure, inside ``out``."""
        return self.out / self.figure.files[index]


@dataclass(frozen=True)
class Figure:
    """One figure of ``adamtheory figures``.

    Attributes
    ----------
    key : str
        The manifest key and the letter in the README, e.g. ``"c2"``.
    files : tuple of str
        The files it writes into the output directory (the first is the manifest's ``file``).
    summary : str
        One line: what the figure shows.
    compute : callable or None
        ``compute(job) -> data``: the numbers (simulations, sweeps, checker verdicts), run once
        per group in ``groups`` inside that group's worker process; ``data`` must be picklable.
        None when the figure draws the data of another figure (``data_of``).
    draw : callable
        ``draw(job, parts) -> dict``: writes ``files`` and returns the manifest entry (its
        numbers: label counts, slopes, ...). ``parts`` maps each group to its ``compute``
        output. A single-group figure is drawn in its worker right after the computes of that
        group; a multi-group figure in the parent process, once every group has finished.
    sweeps : mapping
        ``{part: (full file, quick file)}``, file names in ``adamtheory/figures/sweeps/``; a
        ``None`` file means the part is not run in that mode.
    groups : tuple of str
        Worker groups: the figures of a group run in one process, so the kernels numba compiles
        for a problem family are compiled once. Default: a group of its own.
    data_of : str or None
        The key of the figure whose ``compute`` output this figure draws (same group).
    """

    key: str
    files: tuple[str, ...]
    summary: str
    compute: Callable[[Job], Any] | None
    draw: Callable[[Job, Mapping[str, Any]], dict]
    sweeps: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    data_of: str | None = None

    def __post_init__(self):
        if not self.groups:
            object.__setattr__(self, "groups", (self.key,))
        if (self.compute is None) == (self.data_of is None):
            raise ValueError(f"figure {self.key}: give exactly one of compute and data_of")
        if self.data_of is not None and len(self.groups) != 1:
            raise ValueError(f"figure {self.key}: data_of needs a single group")
