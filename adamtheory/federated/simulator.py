"""The federated simulator: settings per configuration in, metrics per checkpoint round out.

:func:`compute` is the single entry point (the sweep plug-in, the figures, the CLI and the tests
all call it). ``settings`` maps every name of :data:`PARAMS` to an array over n configurations;
configurations are grouped by problem (one kernel call per problem: ``digits`` shares one data
bank, ``lsq`` stacks each configuration's own synthetic clients) and run in one numba call, each
configuration independently of the others, so any grouping of the configurations gives the same
numbers bit for bit (configurations run in parallel threads; the kernel is loaded from the kernel
cache, compiled once per machine: :data:`KERNELS`).

Example
-------
>>> import numpy as np
>>> from adamtheory.federated.simulator import run
>>> out = run("fedlada", "lsq", rounds=20, M=8, S=4, K=5, lr_local=0.02, zeta=1.0)
>>> out["loss"].shape
(1, 20)
"""

from __future__ import annotations

import numpy as np

from ..engine.cache import Template, compiled, is_cached
from ..errors import InputError
from . import kernels as kn
from .data import N_CLASSES, digits, dirichlet_partition, heterogeneous_lsq
from .settings import DEFAULT_TARGET, FINALS, METRICS, PARAMS, PROBLEMS  # noqa: F401 - re-exported

#: the kernel's template: :mod:`.kernels`, copied once into the kernel cache (nothing bound)
KERNELS = Template("adamtheory.federated.kernels", ("run_configs",))


def kernels_cached() -> bool:
    """Whether the federated kernel is in the kernel cache, intact (a run then loads it)."""
    return is_cached(KERNELS, ())


def validate(s: dict) -> None:
    """Raise InputError (one line) for one bad configuration ``{param: value}``."""
    def bad(msg):
        raise InputError(msg)

    if not 1 <= s["S"] <= s["M"]:
        bad(f"S = {s['S']} sampled clients with M = {s['M']}: give 1 <= S <= M")
    if s["problem"] == "digits" and s["M"] > 898:
        bad(f"M = {s['M']} clients for 1797 digits: give M <= 898 (two samples per client)")
    if s["K"] < 1:
        bad(f"K = {s['K']} local steps: give K >= 1")
    if s["batch"] < 0:
        bad(f"batch = {s['batch']}: give batch >= 1, or 0 for full local gradients")
    for k in ("lr_local", "lr_global"):
        if not s[k] > 0:
            bad(f"{k} = {s[k]}: give a positive learning rate")
    if not 0 <= s["a"] <= 1:
        bad(f"a = {s['a']}: the amendment weight must lie in [0, 1]")
    for k in ("beta1", "beta2"):
        if not 0 <= s[k] < 1:
            bad(f"{k} = {s[k]}: give 0 <= {k} < 1")
    if not s["alpha"] >= 0:
        bad(f"alpha = {s['alpha']}: give a Dirichlet concentration > 0, or 0 for IID")
    for k in ("zeta", "noise"):
        if not s[k] >= 0:
            bad(f"{k} = {s[k]}: give {k} >= 0")
    for k in ("eps", "l2"):
        v = s.get(k)
        if v is not None and not (np.isnan(v) or v >= 0):
            bad(f"{k} = {v}: give {k} >= 0 (leave it out for the default)")
    if s.get("eps") is not None and s["eps"] == 0 and s["algorithm"] in (
            "fedlada", "local-adam", "fedadam"):
        bad(f"eps = 0 divides by zero in {s['algorithm']}; give eps > 0")
    if s["dim"] < 1 or s["n_local"] < 1:
        bad(f"dim = {s['dim']}, n_local = {s['n_local']}: give both >= 1")


def defaults(**kw) -> dict:
    """One configuration's settings: the PARAMS defaults overridden by ``kw`` (checked)."""
    unknown = set(kw) - set(PARAMS)
    if unknown:
        raise InputError(f"unknown federated setting(s) {sorted(unknown)}; known: "
                         f"{', '.join(PARAMS)}")
    s = {k: v[1] for k, v in PARAMS.items()}
    s.update(kw)
    return s


def _arrays(configs: list[dict]) -> dict:
    out = {}
    for name, (kind, _, _) in PARAMS.items():
        vals = [c[name] for c in configs]
        if isinstance(kind, tuple):
            out[name] = np.array(vals, dtype=str)
        elif kind == "bool":
            out[name] = np.array(vals, dtype=bool)
        elif kind == "int":
            out[name] = np.array(vals, dtype=np.int64)
        else:
            out[name] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
    return out


def _hyper(st: dict, idx: np.ndarray, problem: str) -> np.ndarray:
    n = idx.size
    h = np.empty((n, kn.N_HYPER))
    alg = st["algorithm"][idx]
    eps = st["eps"][idx].astype(np.float64)
    eps = np.where(np.isnan(eps), np.where(alg == "fedadam", 1e-3, 1e-8), eps)
    l2 = st["l2"][idx].astype(np.float64)
    l2 = np.where(np.isnan(l2), 1e-3 if problem == "digits" else 0.0, l2)
    tg = st["target"][idx].astype(np.float64)
    tg = np.where(np.isnan(tg), DEFAULT_TARGET[problem], tg)
    h[:, kn.H_LRL] = st["lr_local"][idx]
    h[:, kn.H_LRG] = st["lr_global"][idx]
    h[:, kn.H_A] = st["a"][idx]
    h[:, kn.H_B1] = st["beta1"][idx]
    h[:, kn.H_B2] = st["beta2"][idx]
    h[:, kn.H_EPS] = eps
    h[:, kn.H_TARGET] = tg
    h[:, kn.H_L2] = l2
    h[:, kn.H_LINSCALE] = st["linear_scaling"][idx].astype(np.float64)
    h[:, kn.H_CARRYV] = st["carry_v"][idx].astype(np.float64)
    return h


def _bank(problem: str, st: dict, idx: np.ndarray, seeds: np.ndarray, hyper: np.ndarray):
    """(kind, X, yb, C, rows, offsets, fstar) for the configurations idx of one problem."""
    n = idx.size
    Ms = st["M"][idx].astype(np.int64)
    offsets = np.zeros((n, int(Ms.max()) + 1), dtype=np.int64)
    fstar = np.full(n, np.nan)
    if problem == "digits":
        X, y = digits()
        rows = np.empty((n, y.size), dtype=np.int64)
        for q, i in enumerate(idx):
            r, o = dirichlet_partition(y, int(st["M"][i]), float(st["alpha"][i]), int(seeds[q]))
            rows[q] = r
            offsets[q, : o.size] = o
        return kn.LOGREG, np.array(X), np.array(y), N_CLASSES, rows, offsets, fstar
    d = int(st["dim"][idx[0]])
    parts, bs, sizes = [], [], []
    for q, i in enumerate(idx):
        P = heterogeneous_lsq(int(st["M"][i]), int(st["n_local"][i]), d, float(st["zeta"][i]),
                              float(st["noise"][i]), int(seeds[q]), l2=float(hyper[q, kn.H_L2]))
        parts.append(P["A"])
        bs.append(P["b"])
        sizes.append(P["b"].size)
        fstar[q] = P["fstar"]
        nl = int(st["n_local"][i])
        offsets[q, : int(st["M"][i]) + 1] = np.arange(int(st["M"][i]) + 1) * nl
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows = np.zeros((n, max(sizes)), dtype=np.int64)
    for q in range(n):
        rows[q, : sizes[q]] = start[q] + np.arange(sizes[q])
    return kn.LSQ, np.ascontiguousarray(np.concatenate(parts)), np.concatenate(bs), 0, rows, \
        offsets, fstar


def compute(settings: dict, seeds, steps: int, checkpoints) -> dict:
    """Run n configurations for ``steps`` rounds (the sweep plug-in's ``compute``).

    Returns ``{metric: (n, n_checkpoints)}`` for :data:`METRICS` and ``{final: (n,)}`` for
    :data:`FINALS`, float64. A checkpoint is a round number in [1, steps].
    """
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    ck = np.asarray(checkpoints, dtype=np.int64).reshape(-1)
    n = seeds.size
    st = {k: np.asarray(v) for k, v in settings.items()}
    for name in ("algorithm", "problem"):
        bad = sorted(set(map(str, st[name])) - set(PARAMS[name][0]))
        if bad:
            raise InputError(f"{name} {bad} is unknown; choose from {', '.join(PARAMS[name][0])}")
    metrics = np.full((n, len(kn.METRIC_NAMES), ck.size), np.nan)
    finals = np.full((n, len(kn.FINAL_NAMES)), np.nan)
    for problem in PROBLEMS:
        sel = np.flatnonzero(st["problem"] == problem)
        if problem == "lsq" and sel.size:  # one bank per dimension
            groups = [sel[st["dim"][sel] == dv] for dv in np.unique(st["dim"][sel])]
        else:
            groups = [sel] if sel.size else []
        for idx in groups:
            hyper = _hyper(st, idx, problem)
            kind, X, yb, C, rows, offs, fstar = _bank(problem, st, idx, seeds[idx], hyper)
            algo = np.array([kn.ALGORITHMS.index(str(a)) for a in st["algorithm"][idx]],
                            dtype=np.int64)
            m = np.full((idx.size, len(kn.METRIC_NAMES), ck.size), np.nan)
            f = np.full((idx.size, len(kn.FINAL_NAMES)), np.nan)
            args = (np.int64(kind), X, np.ascontiguousarray(yb, dtype=np.float64),
                    np.int64(C), rows, offs, st["M"][idx].astype(np.int64), algo,
                    st["S"][idx].astype(np.int64), st["K"][idx].astype(np.int64),
                    st["batch"][idx].astype(np.int64), hyper, fstar, seeds[idx],
                    np.int64(steps), ck, m, f)
            compiled(KERNELS, (), "run_configs", args, "the federated simulator")(*args)
            metrics[idx] = m
            finals[idx] = f
    out = {name: np.ascontiguousarray(metrics[:, i]) for i, name in enumerate(kn.METRIC_NAMES)}
    out.update({name: finals[:, i].copy() for i, name in enumerate(kn.FINAL_NAMES)})
    return out


def run(algorithm: str = "fedlada", problem: str = "digits", rounds: int = 100, seeds=(0,),
        checkpoints=None, **kw) -> dict:
    """Run one setting (over ``seeds``): ``{metric: (n_seeds, n_checkpoints)}``, finals and
    ``"rounds"`` (the checkpoint rounds; every round by default)."""
    s = defaults(algorithm=algorithm, problem=problem, **kw)
    validate(s)
    seeds = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    ck = np.arange(1, rounds + 1) if checkpoints is None else np.asarray(checkpoints)
    out = compute(_arrays([s] * seeds.size), seeds, rounds, ck)
    out["rounds"] = ck
    return out


def run_many(configs: list[dict], rounds: int, seeds=(0,), checkpoints=None) -> dict:
    """Run a list of settings dicts (each over every seed) in one call: arrays have a leading
    axis of length len(configs) × len(seeds) (configuration-major)."""
    seeds = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    full = []
    for c in configs:
        s = defaults(**c)
        validate(s)
        full += [s] * seeds.size
    ck = np.arange(1, rounds + 1) if checkpoints is None else np.asarray(checkpoints)
    out = compute(_arrays(full), np.tile(seeds, len(configs)), rounds, ck)
    out["rounds"] = ck
    return out
