r"""Compute functions of the torch experiments: the simulator ties and the claims on a CNN.

* :func:`least_squares_rank`: one rank of a data-parallel run on a catalog least-squares problem
  where rank i draws the parameter-server simulator's samples of worker i (sample k of round t
  is the oracle at ``sample_seed(seed, k)``, worker i holding k = i b .. i b + b - 1); runs
  :class:`~adamtheory.torch.EfficientAdam` or DDP with :func:`~adamtheory.torch.distributed.
  compressed_allreduce_hook` and :class:`~adamtheory.torch.GenericAdam`, and returns the
  trajectory, the bits and a mid-run checkpoint replay.
* :func:`compare_optimizers`, :func:`data_parallel`, :func:`compressed`: experiments (i)-(iii)
  on a small CNN (:func:`cnn`) trained on the digits data the package ships
  (:func:`adamtheory.federated.data.digits`), on CPU; figures (l)-(n).
"""

from __future__ import annotations

import io

import numpy as np
import torch

from .distributed import CompressionState, EfficientAdam, compressed_allreduce_hook
from .optim import GenericAdam

__all__ = ["least_squares_rank", "cnn", "digits_tensors", "compare_optimizers", "data_parallel",
           "compressed", "train_one", "lhs_estimate", "OPTIMIZERS", "COMPRESSORS"]


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
    ``ef_server``, ``steps`` (default ``cfg["steps"]``) and ``resume_at`` (a step at which
    optimizer and hook state go through ``torch.save``/``torch.load(weights_only=True)`` into
    fresh objects).
    """
    from torch.nn.parallel import DistributedDataParallel as DDP

    import counterexamples as cx

    from ..distributed.simulator import sample_seed

    prob = cx.get(cfg["problem"])
    seed, b = int(cfg["seed"]), int(cfg["batch"])
    sched = dict(alpha=cfg["alpha"], beta=cfg["beta"], theta=cfg["theta"], eps=cfg["eps"])
    x0 = np.broadcast_to(np.asarray(prob.x0, np.float64), (prob.dim,)).copy()
    out = {}
    for run in cfg["runs"]:
        kind = run["kind"]
        comp = run.get("compressor", "identity64")

        def build(state=None, kind=kind, comp=comp, run=run):
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


# ============================================================================ the CNN claims
#: Schedules of experiment (i): constant-θ Adam (torch's defaults), Generic Adam schedules from
#: the guaranteed region (θ_t = 1 - c t^{-r} with r ≤ 2s, α_t = a t^{-s}), and AMSGrad.
OPTIMIZERS = {
    "adam": dict(alpha="0.001", beta="0.9", theta="0.999", variant="torch",
                 label=r"Adam ($\alpha = 10^{-3}$, $\theta = 0.999$)"),
    "generic-s0.5-r1": dict(alpha="0.01/sqrt(t)", beta="0.9", theta="1 - 0.01/t",
                            label=r"Generic Adam $0.01/\sqrt{t}$, $1 - 0.01/t$"),
    "generic-s0.25-r0.5": dict(alpha="0.003*t**(-0.25)", beta="0.9", theta="1 - 0.01/sqrt(t)",
                               label=r"Generic Adam $0.003\,t^{-1/4}$, $1 - 0.01/\sqrt{t}$"),
    "amsgrad": dict(alpha="0.001", beta="0.9", theta="0.999", variant="torch", amsgrad="torch",
                    label=r"AMSGrad ($\alpha = 10^{-3}$, $\theta = 0.999$)"),
}
#: Experiments (ii) and (iii): the Generic Adam schedule every worker runs.
DP_SCHEDULE = dict(alpha="0.01/sqrt(t)", beta="0.9", theta="1 - 0.01/t")
#: Compressors of experiment (iii) (k for top-k/rand-k: 5 % of the coordinates).
COMPRESSORS = ("identity64", "bf16", "scaled_sign", "topk", "qsgd")


def digits_tensors():
    """The digits data as (images (1797, 1, 8, 8) float32, labels (1797,) int64)."""
    from ..federated.data import digits

    X, y = digits()
    imgs = torch.tensor(X[:, :64].reshape(-1, 1, 8, 8), dtype=torch.float32)
    return imgs, torch.tensor(y, dtype=torch.int64)


def cnn(seed: int = 0) -> torch.nn.Module:
    """A small CNN for 8x8 digits: conv 3x3 (8) - ReLU - pool - conv 3x3 (16) - ReLU - pool -
    linear (10); 1,898 parameters, initialized from ``seed``."""
    g = torch.random.fork_rng()
    with g:
        torch.manual_seed(seed)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(64, 10))
    return net


def full_loss_and_grad(model, X, y) -> tuple[float, float]:
    """Training loss f(x) on the full training set and ||∇f(x)|| (mean cross-entropy)."""
    params = [p for p in model.parameters()]
    loss = torch.nn.functional.cross_entropy(model(X), y)
    grads = torch.autograd.grad(loss, params)
    return float(loss.detach()), float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))


def eval_grid(steps: int, n: int = 40) -> np.ndarray:
    """About ``n`` log-spaced steps in [1, steps], always with ``steps``."""
    g = np.unique(np.round(np.geomspace(1, steps, n)).astype(np.int64))
    return np.union1d(g, [steps])


def lhs_estimate(grid: np.ndarray, gnorm: np.ndarray) -> np.ndarray:
    """The theorem's left side (E||∇f(x_τ)||^{4/3})^{3/2}, τ uniform on 1..T, for each T of
    ``grid``: the mean of ||∇f(x_t)||^{4/3} over t ≤ T with each measured step standing for the
    steps since the previous one (a step function on the grid), to the power 3/2."""
    w = np.diff(np.concatenate([[0], grid])).astype(float)
    c = np.cumsum(w * gnorm ** (4.0 / 3.0))
    return (c / grid) ** 1.5


def _batches(n: int, batch: int, seed: int, rank: int = 0):
    gen = torch.Generator().manual_seed(int(seed) * 1000 + int(rank))
    while True:
        yield torch.randint(0, n, (batch,), generator=gen)


def train_one(name: str, steps: int, seed: int, batch: int = 32, evals: int = 40) -> dict:
    """Experiment (i) for one optimizer of :data:`OPTIMIZERS` and one seed: minibatch training of
    :func:`cnn` with :class:`~adamtheory.torch.GenericAdam`; the full-set loss and gradient norm
    on :func:`eval_grid` (about ``evals`` steps), the left side (:func:`lhs_estimate`) and the
    checker's verdict."""
    from .check import check

    X, y = digits_tensors()
    # channels-last layout: the same network and data, a faster convolution for these shapes
    # (the full-set evaluation 22 -> 14 ms on one core); float32 results differ by rounding
    X = X.contiguous(memory_format=torch.channels_last)
    cfg = {k: v for k, v in OPTIMIZERS[name].items() if k != "label"}
    model = cnn(seed).to(memory_format=torch.channels_last)
    opt = GenericAdam(model.parameters(), **cfg)
    grid = eval_grid(steps, evals)
    loss, gn = [], []
    it = _batches(len(y), batch, seed)
    k = 0
    for t in range(1, steps + 1):
        idx = next(it)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
        opt.step()
        if t == grid[k]:
            f, g = full_loss_and_grad(model, X, y)
            loss.append(f)
            gn.append(g)
            k += 1
    (verdict,) = check(opt)
    gn = np.array(gn)
    return {"steps": grid.tolist(), "loss": loss, "gnorm": gn.tolist(),
            "lhs": lhs_estimate(grid, gn).tolist(), "converges": verdict.converges,
            "verdict": verdict.reason}


def compare_optimizers(steps: int = 3000, seeds=(0, 1), batch: int = 32, evals: int = 40) -> dict:
    """Experiment (i): every optimizer of :data:`OPTIMIZERS` over ``seeds``; per optimizer the
    per-seed curves (full-set measurements at about ``evals`` log-spaced steps), the mean final
    loss and left side, the verdict and the wall time."""
    import time

    torch.set_num_threads(1)  # one thread: the 2-core machine is shared (threads contend)
    out = {"steps": steps, "seeds": list(seeds), "batch": batch, "evals": evals,
           "optimizers": {}}
    for name in OPTIMIZERS:
        t0 = time.perf_counter()
        runs = [train_one(name, steps, s, batch, evals) for s in seeds]
        out["optimizers"][name] = {
            "label": OPTIMIZERS[name]["label"], "runs": runs,
            "final_loss": float(np.mean([r["loss"][-1] for r in runs])),
            "final_lhs": float(np.mean([r["lhs"][-1] for r in runs])),
            "converges": runs[0]["converges"], "verdict": runs[0]["verdict"],
            "seconds": round(time.perf_counter() - t0, 2)}
    return out


def _dp_rank(rank: int, world: int, cfg: dict) -> dict:
    """Experiment (ii), one rank: DDP (all-reduce average) + GenericAdam, per-rank minibatches;
    rank 0 alone measures the full-set loss every ``eval_every`` steps (its curve) and all stop
    at the target."""
    import time

    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    X, y = digits_tensors()
    out = {}
    for seed in cfg["seeds"]:
        model = cnn(seed)
        ddp = DDP(model) if world > 1 else model
        opt = GenericAdam(ddp.parameters(), **DP_SCHEDULE)
        it = _batches(len(y), cfg["batch"], seed, rank)
        hit, curve = -1, []
        t0 = time.perf_counter()
        for t in range(1, cfg["steps"] + 1):
            idx = next(it)
            opt.zero_grad()
            torch.nn.functional.cross_entropy(ddp(X[idx]), y[idx]).backward()
            opt.step()
            if t % cfg["eval_every"] == 0:
                flag = torch.zeros(1, dtype=torch.int64)
                if rank == 0:  # every rank holds the same parameters, bit for bit
                    with torch.no_grad():
                        f = float(torch.nn.functional.cross_entropy(model(X), y))
                    flag[0] = f <= cfg["target"]
                    curve.append((t, f))
                if world > 1:
                    dist.broadcast(flag, 0)
                if flag.item():
                    hit = t
                    break
        out[str(seed)] = {"iters": hit, "curve": curve,
                          "seconds": round(time.perf_counter() - t0, 2)}
    return out


def data_parallel(workers=(1, 2, 4), steps: int = 3000, seeds=(0, 1), batch: int = 16,
                  target: float = 0.15, eval_every: int = 10) -> dict:
    """Experiment (ii): iterations until the full-set loss is ≤ ``target`` with N workers of
    per-worker batch ``batch`` (effective batch N·batch), for N in ``workers``."""
    from .distributed import launch

    cfg = dict(steps=steps, seeds=list(seeds), batch=batch, target=target, eval_every=eval_every)
    res = {}
    for N in workers:
        r0 = launch(_dp_rank, N, cfg)[0]
        its = [r0[str(s)]["iters"] for s in seeds]
        res[str(N)] = {"iters": its, "curves": [r0[str(s)]["curve"] for s in seeds],
                       "seconds": sum(r0[str(s)]["seconds"] for s in seeds),
                       "mean_iters": float(np.mean(its)) if min(its) > 0 else float("nan")}
    return {"workers": list(workers), "batch": batch, "target": target, "steps": steps,
            "seeds": list(seeds), "schedule": DP_SCHEDULE, "results": res}


def _ea_rank(rank: int, world: int, cfg: dict) -> dict:
    """Experiment (iii), one rank: EfficientAdam with each (compressor, EF) of ``cfg``; rank 0
    measures the full-set loss."""
    import time

    X, y = digits_tensors()
    out = {}
    d = sum(p.numel() for p in cnn(0).parameters())
    for comp in cfg["compressors"]:
        for ef in (True, False):
            if comp == "identity64" and not ef:
                continue
            model = cnn(cfg["seed"])
            opt = EfficientAdam(model.parameters(), compressor=comp, k=max(1, d // 20),
                                ef_worker=ef, ef_server=ef, seed=cfg["seed"], **DP_SCHEDULE)
            it = _batches(len(y), cfg["batch"], cfg["seed"], rank)
            bits, loss = [], []
            t0 = time.perf_counter()
            for t in range(1, cfg["steps"] + 1):
                idx = next(it)
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
                opt.step()
                if t % cfg["eval_every"] == 0 or t == cfg["steps"]:
                    if rank == 0:  # every rank holds the same parameters, bit for bit
                        with torch.no_grad():
                            loss.append(float(torch.nn.functional.cross_entropy(model(X), y)))
                    bits.append(opt.bits_sent["uplink"] + opt.bits_sent["downlink"])
            out[f"{comp}|{'ef' if ef else 'no-ef'}"] = {
                "bits": bits, "loss": loss, "bits_per_step": bits[-1] / cfg["steps"],
                "seconds": round(time.perf_counter() - t0, 2)}
    return out


def compressed(workers: int = 2, steps: int = 600, seed: int = 0, batch: int = 16,
               compressors=COMPRESSORS, eval_every: int = 20) -> dict:
    """Experiment (iii): EfficientAdam's full-set loss against the bits sent (uplink +
    downlink) for each compressor, with and without error feedback, on ``workers`` ranks."""
    from .distributed import launch, load_codecs

    cfg = dict(steps=steps, seed=seed, batch=batch, compressors=list(compressors),
               eval_every=eval_every)
    d = sum(p.numel() for p in cnn(0).parameters())
    load_codecs(compressors, d, k=max(1, d // 20))   # once here, not in every forked rank
    r0 = launch(_ea_rank, workers, cfg)[0]
    return {"workers": workers, "steps": steps, "batch": batch, "seed": seed, "dim": d,
            "schedule": DP_SCHEDULE, "runs": r0}
