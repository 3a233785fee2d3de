"""(l) ``l_torch_optimizers.png``: a small CNN on the digits data (CPU), constant-θ Adam against
Generic Adam schedules from the guaranteed region and AMSGrad: training loss on the full training
set and the theorem's left side (E||∇f(x_τ)||^{4/3})^{3/2} (τ uniform on 1..T, estimated on a
log grid of full-gradient measurements), with each optimizer's verdict from
:func:`adamtheory.torch.check`. :func:`adamtheory.torch.experiments.compare_optimizers`.
"""

from __future__ import annotations

import numpy as np

from ..plotting.style import DPI, FONT, PALETTE, pyplot
from .shape import Figure, Job
from .torch_common import begin, draw_skipped, entry, style, torch_missing

TITLE = "(l) CNN on digits: Adam, Generic Adam, AMSGrad"
QUICK = dict(steps=200, seeds=(0,), evals=16)
FULL = dict(steps=3000, seeds=(0, 1), evals=40)


def compute(job: Job):
    if torch_missing():
        return None
    begin()
    from ..torch.experiments import compare_optimizers

    return compare_optimizers(**(QUICK if job.quick else FULL))


def draw(job: Job, parts: dict) -> dict:
    data = parts[job.group]
    if data is None:
        return draw_skipped(job, TITLE)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8), dpi=DPI)
    verdict_word = {True: "guaranteed", False: "no guarantee", None: "outside the family"}
    summary = {}
    for (name, d), color in zip(data["optimizers"].items(), PALETTE):
        steps = np.asarray(d["runs"][0]["steps"])
        loss = np.mean([r["loss"] for r in d["runs"]], axis=0)
        lhs = np.mean([r["lhs"] for r in d["runs"]], axis=0)
        label = f"{d['label']}: {verdict_word[d['converges']]}"
        ls = {True: "-", False: "--", None: ":"}[d["converges"]]
        lw = 2.2 if d["converges"] is None else 1.4
        axes[0].loglog(steps, loss, ls, color=color, label=label, lw=lw)
        axes[1].loglog(steps, lhs, ls, color=color, label=label, lw=lw)
        summary[name] = {k: d[k] for k in ("final_loss", "final_lhs", "converges", "verdict",
                                           "seconds")}
    style(axes[0], "training loss (full training set)", "step t", r"$f(x_t)$")
    style(axes[1], r"theorem's left side $(E\|\nabla f(x_\tau)\|^{4/3})^{3/2}$, $\tau \leq T$",
          "T", "left side")
    axes[0].legend(fontsize=FONT["legend"])
    fig.suptitle(f"{TITLE} ({len(data['seeds'])} seed(s), batch {data['batch']})",
                 fontsize=FONT["title"])
    fig.tight_layout()
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    return entry(job, "adamtheory.torch.experiments.compare_optimizers(steps, seeds, evals)",
                 {"steps": data["steps"], "seeds": data["seeds"], "evals": data["evals"],
                  "optimizers": summary})


FIGURE = Figure(
    key="l", files=("l_torch_optimizers.png",),
    summary="CNN on digits: loss and the theorem's left side, Adam vs Generic Adam vs AMSGrad",
    compute=compute, draw=draw, groups=("torch",))
