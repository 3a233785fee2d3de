"""(c2) ``c2_phase_sr_nonconvex.png``: the (s, r) phase diagram on nonconvex-separable
(d = 10, σ = 0.1), a problem the theorem covers (A1-A4 hold, no projection): no guaranteed cell
ends stuck or diverged. α_t = 0.1 t^{-s}, β = 0.9, θ_t = 1 - 0.1 t^{-r}, one panel per seed.

Sweep files ``phase_sr_nonconvex.toml`` (quick: ``fig_c2_sr_nonconvex_quick.toml``).
"""

from __future__ import annotations

import time

from .common import sweep_dataset, sweep_entry
from .shape import Figure, Job

TITLE = (r"$(s, r)$ phase diagram of Generic Adam, $\alpha_t = 0.1\,t^{-s}$, $\beta = 0.9$, "
         r"$\theta_t = 1 - 0.1\,t^{-r}$, on nonconvex-separable ($d = 10$, $\sigma = 0.1$)")
ARGS = {"overlay": "theory", "curves": ["r=2s", "s=1"], "facet": "seed"}
CLI_ARGS = "--x s --y r --facet seed --overlay theory --curve r=2s --curve s=1"


def compute(job: Job) -> dict:
    from ..plotting.phase import phase_diagram

    t0 = time.perf_counter()
    ds, path = sweep_dataset(job, "c2")
    res = phase_diagram(ds, "s", "r", None, **ARGS, render=False)  # drawn in draw()
    undecided = int((res.mask & (res.labels == "undecided")).sum())
    exps = [v.rate_exponent for v, lab in zip(res.verdicts, res.labels.ravel())
            if v.converges and lab == "undecided"]
    note = ("The theorem covers this problem (A1-A4 hold, no projection). "
            + (f"The {undecided} guaranteed cells labelled undecided are still moving at T: "
               f"their bounds decay no faster than $T^{{-{-min(exps):.2f}}}$."
               if undecided else "Every guaranteed cell is labelled converged."))
    return {"ds": ds, "verdicts": res.verdicts, "note": note, "undecided": undecided,
            "entry": sweep_entry(path), "t0": t0}


def draw(job: Job, parts: dict) -> dict:
    from ..plotting.phase import phase_diagram

    d = parts[job.group]
    res = phase_diagram(d["ds"], "s", "r", job.path(), **ARGS, note=d["note"],
                        verdicts=d["verdicts"], title=TITLE)
    entry = dict(d["entry"])
    entry.update(mismatch=res.mismatch, guaranteed_undecided=d["undecided"])
    entry["command"] += f"; adamtheory plot phase OUT {CLI_ARGS} -o {job.figure.files[0]}"
    entry.update(res.summary())
    entry["seconds"] = round(time.perf_counter() - d["t0"], 1)
    return entry


FIGURE = Figure(
    key="c2", files=("c2_phase_sr_nonconvex.png",),
    summary="(s, r) phase diagram on nonconvex-separable, which the theorem covers: no "
            "guaranteed cell stuck",
    compute=compute, draw=draw, groups=("stochastic",),
    sweeps={"c2": ("phase_sr_nonconvex.toml", "fig_c2_sr_nonconvex_quick.toml")})
