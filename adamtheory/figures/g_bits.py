"""(g) ``g_bits.png``: f - f* against transmitted bits (uplink + downlink) for every compressor,
error feedback on both sides (solid) and off (dashed); the factors of scaled sign with two-way EF
against the uncompressed run (iterations to the target, and bits).

Sweep files ``dist_bits_quick.toml`` (quick), ``dist_bits.toml`` and ``dist_bits_logreg.toml``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..plotting.style import SERIES_NO_BLACK, pyplot
from .common import distributed_arrays, gmean, sweep_entry
from .shape import Figure, Job

#: panels: problem -> part of :data:`FIGURE`'s sweeps
PANELS = {"nonconvex-separable": "bits", "logreg-nonconvex": "bits_logreg"}


def bits_numbers(res: dict) -> dict:
    """Iterations and bits of every (compressor, EF) cell, and the factors of scaled sign with
    two-way EF against identity64 (iterations ratio, bits ratio) and against identity32."""
    from ..distributed.compressors import get

    ax = res["axes"]
    comps = ax["compressor"]
    o = res["out"]
    cells = {}
    fx = res["fixed"]
    d = int(fx["d"]) if fx["problem"] == "nonconvex-separable" else 31
    down = {c: c if fx["downlink"] == "same" else fx["downlink"] for c in comps}
    per_round = {c: float(fx["workers"] * (get(c, k=fx["k"], s=fx["levels"]).bits(d) + get(
        down[c], k=fx["k"], s=fx["levels"]).bits(d))) for c in comps}   # N up and N down
    for i, c in enumerate(comps):
        for a, w in enumerate(ax["ef_worker"]):
            for b, s in enumerate(ax["ef_server"]):
                it = gmean(o["iters_to_target"][i, a, b])
                cells[f"{c}|ef_worker={w}|ef_server={s}"] = {
                    "iters_to_target": None if not np.isfinite(it) else round(float(it), 3),
                    "bits_per_round": per_round[c],
                    "diverged_seeds": int(np.isnan(o["fgap"][i, a, b, :, -1]).sum()),
                    "final_fgap": float(gmean(o["fgap"][i, a, b, :, -1]))}
    ref = cells["identity64|ef_worker=False|ef_server=False"]
    ss = cells["scaled_sign|ef_worker=True|ef_server=True"]
    out = {"target": float(res["fixed"]["target"]), "cells": cells, "dim": d}
    if ref["iters_to_target"] and ss["iters_to_target"]:
        out["scaled_sign_two_way_ef"] = {
            "iterations_factor": round(ss["iters_to_target"] / ref["iters_to_target"], 4),
            "bits_factor_vs_identity64": round(ref["bits_per_round"] / ss["bits_per_round"], 3),
            "bits_factor_vs_identity32": round(get("identity32").bits(d)
                                               / get("scaled_sign").bits(d), 3),
            "bits_to_target_factor_vs_identity64": round(
                ref["bits_per_round"] * ref["iters_to_target"]
                / (ss["bits_per_round"] * ss["iters_to_target"]), 3)}
    return out


def _plot_bits(panels: list, path: Path):
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(2.9 * len(panels) + 1.3, 3.7), dpi=150,
                             squeeze=False)
    for ax, (name, res, num) in zip(axes[0], panels):
        o, comps = res["out"], res["axes"]["compressor"]
        for i, c in enumerate(comps):
            col = SERIES_NO_BLACK[i % len(SERIES_NO_BLACK)]
            for ef, ls in ((True, "-"), (False, "--")):
                a = res["axes"]["ef_worker"].index(ef)
                b = res["axes"]["ef_server"].index(ef)
                bits = (o["bits_up"][i, a, b] + o["bits_down"][i, a, b])[0]   # same per seed
                f = gmean(np.maximum(o["fgap"][i, a, b], 1e-300), axis=0)
                ax.plot(bits, f, ls, color=col, lw=1.1,
                        label=f"{c}" if ef else None)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("transmitted bits (uplink + downlink)", fontsize=8)
        ax.set_ylabel(r"$f(x_t) - f^\star$" if name != "logreg-nonconvex" else
                      r"$f(x_t)$  ($f^\star$ unknown, $\geq 0$)", fontsize=8)
        fac = num.get("scaled_sign_two_way_ef", {})
        extra = (f"\nscaled sign, 2-way EF: {fac.get('bits_factor_vs_identity64', 0):.0f}× "
                 f"fewer bits,\n{fac.get('iterations_factor', math.nan):.2f}× iterations "
                 "(vs identity64)") if fac else ""
        ax.set_title(f"{name} (d = {num['dim']}, N = {int(res['fixed']['workers'])}){extra}",
                     fontsize=7)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(True, which="both", lw=0.3, alpha=0.4)
    h, lab = axes[0, 0].get_legend_handles_labels()
    h += [plt.Line2D([], [], color="#555555", ls=ls) for ls in ("-", "--")]
    lab += ["EF on both sides", "no EF"]
    fig.legend(h, lab, loc="center right", fontsize=6.5, frameon=False)
    fig.suptitle("Efficient-Adam (workers send compressed local Adam steps):\nloss against "
                 "transmitted bits", fontsize=8.5)
    fig.tight_layout(rect=(0, 0, 1 - 1.25 / fig.get_figwidth(), 1))
    fig.savefig(path)
    plt.close(fig)


def compute(job: Job) -> dict:
    t0 = time.perf_counter()
    panels, result, files = [], {}, []
    for name, part in PANELS.items():
        if part not in job.parts():
            continue
        res = distributed_arrays(job, part)
        num = bits_numbers(res)
        panels.append((name, res, num))
        result[name] = num
        files.append(res["path"])
    return {"panels": panels, "result": result, "files": files, "t0": t0}


def draw(job: Job, parts: dict) -> dict:
    d = parts[job.group]
    _plot_bits(d["panels"], job.path())
    entries = [sweep_entry(f) for f in d["files"]]
    return {"sweep": [e["sweep"] for e in entries],
            "command": "; ".join(e["command"] for e in entries),
            "python": "adamtheory.figures.g_bits.compute",
            "result": d["result"], "seconds": round(time.perf_counter() - d["t0"], 1)}


FIGURE = Figure(
    key="g", files=("g_bits.png",),
    summary="Efficient-Adam: loss against transmitted bits for every compressor, with and "
            "without error feedback",
    compute=compute, draw=draw, groups=("distributed",),
    sweeps={"bits": ("dist_bits.toml", "dist_bits_quick.toml"),
            "bits_logreg": ("dist_bits_logreg.toml", None)})
