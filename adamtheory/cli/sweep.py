"""``adamtheory sweep``: run a sweep file's grid into a result store (zarr)."""

from __future__ import annotations

import re

from ..errors import InputError
from .args import FORMATTER

EPILOG = """examples:
  adamtheory sweep examples/phase_sr_sec5_online_quick.toml -o out/sr
  adamtheory sweep adamtheory/figures/sweeps/phase_sr_sec5_online.toml -o out/sr-full --workers 2
  adamtheory sweep adamtheory/figures/sweeps/phase_sr_sec5_online.toml -o out/sr-full --resume
  adamtheory sweep adamtheory/figures/sweeps/phase_beta_adam.toml -o out/beta --dask-local 2
  adamtheory sweep examples/rates_nonconvex.toml -o out/rates --scheduler tcp://SCHEDULER-HOST:8786

results: OUT/results.zarr, read with adamtheory.sweep.open_results("OUT") or
xarray.open_zarr("OUT/results.zarr"); ds.to_dataframe() gives a pandas table.
A killed sweep keeps its finished chunks: run the same command with --resume."""


def memory_size(text: str) -> int:
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgGtT]?)[bB]?\s*", text or "")
    if not m:
        raise InputError(f"--memory-limit {text!r}: write a size such as 8G or 512M")
    try:
        value = float(m.group(1))
    except ValueError:
        raise InputError(f"--memory-limit {text!r}: write a size such as 8G or 512M") from None
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}[m.group(2).lower()]
    if value <= 0:
        raise InputError(f"--memory-limit {text!r} must be > 0")
    return int(value * scale)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a grid of configurations from a TOML sweep file into a dataset",
        description="Run every configuration of a sweep file's grid on its problem, chunk by "
        "chunk, into a result store (zarr); resumable, locally or on a Dask cluster.",
        epilog=EPILOG, formatter_class=FORMATTER)
    p.add_argument("file", metavar="FILE",
                   help="sweep file (TOML), see examples/*.toml and adamtheory/figures/sweeps/")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output directory")
    p.add_argument("--resume", action="store_true",
                   help="finish the sweep already in OUT (finished chunks are kept)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="local worker processes (default 1: this process)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS", help="address of a Dask scheduler")
    g.add_argument("--dask-local", type=int, metavar="N",
                   help="start a Dask cluster of N workers on 127.0.0.1 for this sweep")
    p.add_argument("--chunk-size", type=int, metavar="N",
                   help="configurations per chunk (default: about 2e8 configuration-steps)")
    p.add_argument("--stream", action="store_true",
                   help="assemble the results on disk chunk by chunk (results larger than memory)")
    p.add_argument("--memory-limit", metavar="SIZE",
                   help="memory the sweep may use, e.g. 8G (default: 80%% of the available)")
    p.add_argument("--quiet", action="store_true", help="no estimate, progress bar or messages")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    """Run the sweep described by ``args``; raises InputError/ProblemError on bad input."""
    from ..sweep import run_sweep

    run_sweep(args.file, args.out, resume=args.resume, workers=args.workers,
              scheduler=args.scheduler, dask_local=args.dask_local, chunk_size=args.chunk_size,
              stream=True if args.stream else None,
              memory_limit=memory_size(args.memory_limit) if args.memory_limit else None,
              quiet=args.quiet)
    return 0
