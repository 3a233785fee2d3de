"""(n) ``n_torch_bits.png``: Efficient-Adam (:class:`adamtheory.torch.EfficientAdam`) training
the CNN on the digits data with 2 gloo processes: full-set training loss against the bits sent
(uplink + downlink) for each compressor, with (solid) and without (dashed) error feedback.
:func:`adamtheory.torch.experiments.compressed`.
"""

from __future__ import annotations

import numpy as np

from ..plotting.style import DPI, FONT, PALETTE, pyplot
from .shape import Figure, Job
from .torch_common import begin, draw_skipped, entry, style, torch_missing

TITLE = "(n) Efficient-Adam on a CNN: loss against bits sent"
QUICK = dict(workers=2, steps=100, compressors=("identity64", "scaled_sign", "topk"),
             eval_every=20)
FULL = dict(workers=2, steps=600, eval_every=20)
#: A run whose loss exceeds this (or is not finite) is drawn up to the frame and marked diverged.
DIVERGED = 1e3


def compute(job: Job):
    if torch_missing():
        return None
    begin()
    from ..torch.experiments import compressed

    return compressed(**(QUICK if job.quick else FULL))


def draw(job: Job, parts: dict) -> dict:
    data = parts[job.group]
    if data is None:
        return draw_skipped(job, TITLE)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0), dpi=DPI)
    names = list(dict.fromkeys(k.split("|")[0] for k in data["runs"]))
    summary = {}
    for name, color in zip(names, PALETTE):
        for ef, ls in (("ef", "-"), ("no-ef", "--")):
            r = data["runs"].get(f"{name}|{ef}")
            if r is None:
                continue
            bits, loss = np.array(r["bits"], float), np.array(r["loss"], float)
            diverged = bool(not np.all(np.isfinite(loss)) or loss.max() > DIVERGED)
            shown = np.where(np.isfinite(loss) & (loss <= DIVERGED), loss, np.nan)
            label = f"{name}, {'EF' if ef == 'ef' else 'no EF'}"
            label += " (diverged)" if diverged else ""
            ax.loglog(bits, shown, ls, color=color, label=label)
            summary[f"{name}|{ef}"] = {"final_loss": float(loss[-1]) if np.isfinite(loss[-1])
                                       else None, "diverged": diverged,
                                       "bits_per_step": r["bits_per_step"],
                                       "seconds": r["seconds"]}
    style(ax, f"{TITLE} (N = {data['workers']}, d = {data['dim']})",
          "bits sent (uplink + downlink)", "full-set training loss")
    ax.legend(fontsize=FONT["legend"], ncol=2)
    fig.tight_layout()
    fig.savefig(job.path(), dpi=DPI)
    plt.close(fig)
    return entry(job, "adamtheory.torch.experiments.compressed(workers, steps, compressors)",
                 {"workers": data["workers"], "steps": data["steps"], "dim": data["dim"],
                  "runs": summary})


FIGURE = Figure(
    key="n", files=("n_torch_bits.png",),
    summary="Efficient-Adam on a CNN: loss against bits per compressor, with and without EF",
    compute=compute, draw=draw, groups=("torch",))
