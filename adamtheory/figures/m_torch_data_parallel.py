"""(m) ``m_torch_data_parallel.png``: data-parallel training of the CNN on the digits data with
N = 1, 2, 4 gloo processes (DDP all-reduce, Generic Adam on the average, per-worker batch b):
iterations until the full-set training loss reaches a target, against N, with the 1/N line.
:func:`adamtheory.torch.experiments.data_parallel`.
"""

from __future__ import annotations

import numpy as np

from ..plotting.style import DPI, FONT, PALETTE, pyplot
from .shape import Figure, Job
from .torch_common import begin, draw_skipped, entry, style, torch_missing

TITLE = "(m) data-parallel CNN: iterations to target against N"
QUICK = dict(workers=(1, 2, 4), steps=800, seeds=(0,), target=0.15, eval_every=20)
FULL = dict(workers=(1, 2, 4), steps=3000, seeds=(0, 1), target=0.05, eval_every=25)


def compute(job: Job):
    if torch_missing():
        return None
    begin()
    from ..torch.experiments import data_parallel

    return data_parallel(**(QUICK if job.quick else FULL))


def draw(job: Job, parts: dict) -> dict:
    data = parts[job.group]
    if data is None:
        return draw_skipped(job, TITLE)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8), dpi=DPI)
    Ns = np.array(data["workers"], float)
    res = data["results"]
    its = np.array([res[str(int(n))]["mean_iters"] for n in Ns])
    axes[0].loglog(Ns, its, "o-", color=PALETTE[0], label="measured (mean over seeds)")
    if np.isfinite(its[0]):
        axes[0].loglog(Ns, its[0] / Ns, ":", color="k", label=r"ideal $1/N$")
    ok = np.isfinite(its)
    slope = float(np.polyfit(np.log(Ns[ok]), np.log(its[ok]), 1)[0]) if ok.sum() >= 2 else None
    from matplotlib.ticker import NullFormatter

    axes[0].xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_xticks(Ns)
    axes[0].set_xticklabels([str(int(n)) for n in Ns])
    style(axes[0], f"iterations to loss ≤ {data['target']} (slope {slope:.2f})" if slope is not
          None else "iterations to target", "workers N", "iterations")
    axes[0].legend(fontsize=FONT["legend"])
    for n, color in zip(Ns, PALETTE):
        for k, curve in enumerate(res[str(int(n))]["curves"]):
            c = np.array(curve)
            axes[1].semilogy(c[:, 0], c[:, 1], color=color, alpha=0.9,
                             label=f"N = {int(n)}" if k == 0 else None)
    axes[1].axhline(data["target"], color="k", ls=":", lw=0.8)
    style(axes[1], "full-set training loss", "iteration", "loss")
    axes[1].legend(fontsize=FONT["legend"])
    fig.suptitle(f"{TITLE} (per-worker batch {data['batch']})", fontsize=FONT["title"])
    fig.tight_layout()
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    summary = {str(int(n)): {"iters": res[str(int(n))]["iters"],
                             "mean_iters": res[str(int(n))]["mean_iters"],
                             "seconds": res[str(int(n))]["seconds"]} for n in Ns}
    return entry(job, "adamtheory.torch.experiments.data_parallel(workers, steps, seeds, "
                 "batch, target)", {"target": data["target"], "batch": data["batch"],
                                    "seeds": data["seeds"], "slope": slope, "results": summary})


FIGURE = Figure(
    key="m", files=("m_torch_data_parallel.png",),
    summary="data-parallel CNN training on gloo: iterations to a target loss against N = 1, 2, 4",
    compute=compute, draw=draw, groups=("torch",))
