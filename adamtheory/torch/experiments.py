r"""Compute functions of the torch experiments: the simulator ties and the claims on a CNN.

* :func:`least_squares_rank`: one rank of a data-parallel run on a catalog least-squares problem
  where rank i draws the parameter-server simulator's samples of worker i (sample k of round t
  is the oracle at ``sample_seed(seed, k)``, worker i holding k = i b .. i b + b - 1); runs
  :class:`~adamtheory.torch.EfficientAdam` or DDP with :func:`~adamtheory.torch.distributed.
  compressed_allreduce_hook` and :class:`~adamtheory.torch.GenericAdam`, and returns the
  trajectory, the bits and a mid-run checkpoint replay.
"""

from __future__ import annotations

import io

import numpy as np
import torch

from .distributed import CompressionState, EfficientAdam, compressed_allreduce_hook
from .optim import GenericAdam

__all__ = ["least_squares_rank"]


class _Linear(torch.nn.Module):
    """x ↦ <x, g>: backward gives the gradient g the caller computed with the oracle."""

    def __init__(self, x0):
        super().__init__()
        self.x = torch.nn.Parameter(torch.tensor(np.asarray(x0, np.float64)))

    def forward(self, g):
        return (self.x * g).sum()


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def least_squares_rank(rank: int, world: int, cfg: dict) -> dict:
    """Runs of ``cfg["runs"]`` on this rank; returns {name: {"x": (T, d), "bits_up", ...}}.

    ``cfg``: ``problem`` (catalog name), ``steps``, ``seed``, ``batch`` (b), ``alpha``,
    ``beta``, ``theta``, ``eps`` (schedule texts, v_0), ``runs``: a list of dicts with ``name``,
    ``kind`` ("efficient" or "hook"), ``compressor``, ``downlink``, ``ef_worker``,
    ``ef_server``, ``steps`` (default ``cfg["steps"]``) and ``resume_at`` (a step at which optimizer and hook state go through
    ``torch.save``/``torch.load(weights_only=True)`` into fresh objects).
    """
    import counterexamples as cx
    from torch.nn.parallel import DistributedDataParallel as DDP

    from ..distributed.simulator import sample_seed

    prob = cx.get(cfg["problem"])
    seed, b = int(cfg["seed"]), int(cfg["batch"])
    sched = dict(alpha=cfg["alpha"], beta=cfg["beta"], theta=cfg["theta"], eps=cfg["eps"])
    x0 = np.broadcast_to(np.asarray(prob.x0, np.float64), (prob.dim,)).copy()
    out = {}
    for run in cfg["runs"]:
        kind = run["kind"]
        comp = run.get("compressor", "identity64")

        def build(state=None):
            if kind == "efficient":
                mod = _Linear(x0)
                opt = EfficientAdam(mod.parameters(), compressor=comp,
                                    downlink=run.get("downlink"), ef_worker=run["ef_worker"],
                                    ef_server=run["ef_server"], seed=seed, **sched)
                if state is not None:
                    mod.load_state_dict(state["model"])
                    opt.load_state_dict(state["opt"])
                return mod, mod, opt, None
            mod = _Linear(x0)
            if state is not None:
                mod.load_state_dict(state["model"])
            ddp = DDP(mod)
            hs = CompressionState(comp, ef=run["ef_worker"], seed=seed)
            if state is not None:
                hs.load_state_dict(state["hook"])
            ddp.register_comm_hook(hs, compressed_allreduce_hook)
            opt = GenericAdam(ddp.parameters(), **sched)
            if state is not None:
                opt.load_state_dict(state["opt"])
            return mod, ddp, opt, hs

        mod, net, opt, hs = build()
        T = int(run.get("steps", cfg["steps"]))
        traj = np.empty((T, prob.dim))
        g = np.empty(prob.dim)
        gs = np.empty(prob.dim)
        prm, data = prob.params, prob.data
        for t in range(1, T + 1):
            if t - 1 == run.get("resume_at"):
                state = {"model": mod.state_dict(), "opt": opt.state_dict()}
                if hs is not None:
                    state["hook"] = hs.state_dict()
                mod, net, opt, hs = build(_roundtrip(state))
            xv = mod.x.detach().numpy()
            gs[:] = 0.0
            for k in range(rank * b, (rank + 1) * b):
                prob.grad(xv, t, sample_seed(seed, k), prm, data, g)
                gs += g
            gr = torch.from_numpy(gs / b)
            opt.zero_grad()
            if kind == "efficient":
                mod.x.grad = gr
            else:
                net(gr).backward()
            opt.step()
            traj[t - 1] = mod.x.detach().numpy()
        bits = opt.bits_sent if kind == "efficient" else hs.bits_sent
        out[run["name"]] = {"x": torch.from_numpy(traj), "bits_up": int(bits["uplink"]),
                            "bits_down": int(bits["downlink"])}
    return out
