"""(d) ``d_phase_beta.png``: the (β_1, β_2) diagram of constant-θ Adam (θ_t = β_2) on reddi-thm2
(C = 50), with SC4 (β_1² < θ) hatched and the curve β_1 = √β_2. Constant θ fails
Σ_t α_t √(1 - θ_t) = o(T α_T): the checker guarantees convergence in no cell.

Sweep files ``phase_beta_adam.toml`` (quick: ``fig_d_beta_quick.toml``).
"""

from __future__ import annotations

import time

from .common import sweep_dataset, sweep_entry
from .shape import Figure, Job

TITLE = r"$(\beta_1, \beta_2)$ diagram of Adam ($\theta_t = \beta_2$) on reddi-thm2, C = 50"
CLI_ARGS = "--x beta2 --y beta1 --overlay SC4 --curve beta1=sqrt(beta2)"


def compute(job: Job) -> dict:
    from ..sweep import load
    from ..sweep.theory import theory_cells

    t0 = time.perf_counter()
    ds, path = sweep_dataset(job, "d")
    sweep = load(path)
    note = ("Constant $\\theta$ fails $\\Sigma_t\\, \\alpha_t\\sqrt{1-\\theta_t} = o(T\\alpha_T)$ "
            "in every cell: the checker guarantees convergence nowhere. Hatched: where "
            "SC4 ($\\beta_1^2 < \\theta$) holds, i.e. below $\\beta_1 = \\sqrt{\\beta_2}$. "
            "Reddi et al.'s Theorem 2 says Adam fails on such problems for "
            "$\\beta_1 < \\sqrt{\\beta_2}$ and C large.")
    cells = [{"beta1": b1, "beta2": b2} for b1 in ds["beta1"].values
             for b2 in ds["beta2"].values]
    guaranteed = int(theory_cells(sweep, cells, "theory")[0].sum())
    note = f"Checker guarantees convergence on {guaranteed} of {len(cells)} cells. " + note
    return {"ds": ds, "note": note, "guaranteed": guaranteed, "entry": sweep_entry(path),
            "t0": t0}


def draw(job: Job, parts: dict) -> dict:
    from ..plotting.phase import phase_diagram

    d = parts[job.group]
    res = phase_diagram(d["ds"], "beta2", "beta1", job.path(), overlay="SC4",
                        curves=["beta1=sqrt(beta2)"], note=d["note"], title=TITLE)
    entry = dict(d["entry"])
    entry.update(guaranteed_theory=d["guaranteed"], mismatch=0)
    entry["command"] += f"; adamtheory plot phase OUT {CLI_ARGS} -o {job.figure.files[0]}"
    entry.update(res.summary())
    entry["seconds"] = round(time.perf_counter() - d["t0"], 1)
    return entry


FIGURE = Figure(
    key="d", files=("d_phase_beta.png",),
    summary="(β_1, β_2) diagram of constant-θ Adam: no guarantee anywhere, SC4 hatched",
    compute=compute, draw=draw, groups=("online",),
    sweeps={"d": ("phase_beta_adam.toml", "fig_d_beta_quick.toml")})
