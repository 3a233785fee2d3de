"""Distributed and mini-batch Adam, compression and Efficient-Adam (REFERENCE §5-6).

* :mod:`.compressors`: compressors with declared contraction factor / variance bound and exact
  bits per message (numba kernels and an explicit bit encoding);
* :mod:`.simulator`: the parameter-server simulator (two placements, error feedback on each
  side, exact uplink/downlink bit accounting), vectorized over configurations in one kernel;
* :mod:`.sweep_plugin`: ``simulator = "distributed"`` for sweep files;
* figures (f), (g), (h) are in :mod:`adamtheory.figures`; the ``distributed`` and
  ``compressors`` subcommands in :mod:`adamtheory.cli`.

The derivation of the N b dependence and the measured numbers are in docs/distributed.md.

>>> from adamtheory.distributed.compressors import get
>>> get("scaled_sign").bits(100)
132
"""
