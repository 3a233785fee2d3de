"""Sweeps: run a grid of optimizer configurations from a TOML file into a labelled dataset.

>>> from adamtheory.sweep import load, run_sweep, open_results
>>> # sweep = load("examples/phase_sr_sec5_online_quick.toml")
>>> # run_sweep(sweep, "out/sr", workers=2)        # or dask_local=2, scheduler="tcp://..."
>>> # ds = open_results("out/sr"); ds.label.sel(seed=0).to_pandas()

Modules: :mod:`.frame` (the shared frame of every sweep file, the sweep base class, the one
fingerprint), :mod:`.config` (reading a sweep file: the engine's ``"problem"`` layout, dispatch
on ``simulator``), :mod:`.plugin` (the ``"settings"`` layout of the other simulators; see
:mod:`adamtheory.simulators`), :mod:`.axes`, :mod:`.optimizer`, :mod:`.tables`
(factorized schedule tables), :mod:`.plan` (chunks, estimates), :mod:`.compute` (one chunk with
the engine), :mod:`.store` (chunk files, checksums), :mod:`.dataset` (zarr assembly),
:mod:`.backends` (in-process, processes, Dask), :mod:`.runner` (the ``sweep`` subcommand is
:mod:`adamtheory.cli.sweep`),
:mod:`.identity` (the problem's identity and metadata for the fingerprint and the plots),
:mod:`.theory` (the checker's verdicts, computed when the sweep runs and stored with it).

Results are data: :func:`open_results` checks the store against its checksums and fingerprint
(``verify=False`` skips this for speed) and never imports or runs anything the results name.
"""

from .config import Sweep, load, loads
from .errors import StoreError, SweepFileError
from .frame import SweepBase
from .plan import Plan, make_plan
from .plugin import SettingsSweep
from .results import open_results
from .runner import run_sweep

__all__ = ["Sweep", "SettingsSweep", "SweepBase", "load", "loads", "run_sweep", "open_results",
           "make_plan", "Plan", "SweepFileError", "StoreError"]
