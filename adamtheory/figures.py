"""Every figure of the project from one command: ``adamtheory figures [--quick] [-o DIR]``.

=====  ==========================================  ===========================================
file   what                                        made by
=====  ==========================================  ===========================================
(a)    ``a_reddi_sec5.png``: Reddi et al. Section  engine runs (simulate_grid) of Adam, AMSGrad,
       5 online and stochastic, x_t and R_t/t      Generic Adam θ_t = 1 - 0.01/t
(b)    ``b_theta_r.png``: θ_t = 1 - 0.01 t^{-r},   examples/fig_b_sec5_{online,stochastic}.toml
       r in {0, 0.25, 0.5, 0.75, 1}
(c)    ``c_phase_sr.png``: (s, r) phase diagram    examples/phase_sr_sec5_online.toml
       with the checker's overlay                  (quick: fig_c_sr_quick.toml)
(c2)   ``c2_phase_sr_nonconvex.png``: (s, r) on    examples/phase_sr_nonconvex.toml
       nonconvex-separable, which the theorem      (quick: fig_c2_sr_nonconvex_quick.toml)
       covers (no guaranteed cell stuck)
(d)    ``d_phase_beta.png``: (β_1, β_2) diagram    examples/phase_beta_adam.toml
       of constant-θ Adam, β_1 = sqrt β_2          (quick: fig_d_beta_quick.toml)
(e)    ``e_rates.png``: measured rates against     examples/fig_e_rates.toml
       the checker's slopes                        (quick: fig_e_rates_quick.toml)
=====  ==========================================  ===========================================

Modules listed in :data:`EXTRA` add their own figures (distributed and federated simulations).

``DIR/manifest.json`` records, for each figure, the command, the sweep files (or the Python
call), the package version and what the figure shows in numbers (label counts, the mismatch
count, fitted slopes). The work is split into groups by problem family (numba compiles each
family's kernels once per process) and run in a pool of processes (two by default): the online
problems (reddi-sec5-online and reddi-thm2 share their kernels), reddi-sec5-stochastic with
nonconvex-separable, and one group per :data:`EXTRA` module.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import __version__
from .errors import InputError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SWEEPS = {  # figure part -> (full, quick) sweep file names in examples/
    "b_online": ("fig_b_sec5_online.toml", "fig_b_sec5_online_quick.toml"),
    "b_stochastic": ("fig_b_sec5_stochastic.toml", "fig_b_sec5_stochastic_quick.toml"),
    "c": ("phase_sr_sec5_online.toml", "fig_c_sr_quick.toml"),
    "c2": ("phase_sr_nonconvex.toml", "fig_c2_sr_nonconvex_quick.toml"),
    "d": ("phase_beta_adam.toml", "fig_d_beta_quick.toml"),
    "e": ("fig_e_rates.toml", "fig_e_rates_quick.toml"),
}
FILES = {"a": "a_reddi_sec5.png", "b": "b_theta_r.png", "c": "c_phase_sr.png",
         "c2": "c2_phase_sr_nonconvex.png",
         "d": "d_phase_beta.png", "e": "e_rates.png"}
A_PARAMS = {"lr": 0.5, "lr_decay": "sqrt", "beta1": 0.9, "beta2": 0.99, "theta_generic": 0.01}
#: Modules that add figures: each has ``FILES`` ({key: file name}, keys after "e") and
#: ``make(out: Path, quick: bool) -> {key: manifest entry}``, run in the same process pool.
EXTRA = ("adamtheory.federated.figures", "adamtheory.distributed.figures")
RECHECK_FACTOR = 10
TITLE_C2 = (r"$(s, r)$ phase diagram of Generic Adam, $\alpha_t = 0.1\,t^{-s}$, $\beta = 0.9$, "
            r"$\theta_t = 1 - 0.1\,t^{-r}$, on nonconvex-separable ($d = 10$, $\sigma = 0.1$)")
TITLE_C = (r"$(s, r)$ phase diagram of Generic Adam, $\alpha_t = 0.5\,t^{-s}$, $\beta = 0.9$, "
           r"$\theta_t = 1 - 0.01\,t^{-r}$, on reddi-sec5-online")


def examples_dir() -> Path:
    """The directory of the sweep files: the source tree's examples/ (a checkout or an editable
    install), else ./examples (``pip install .`` then run from the repository root)."""
    for d in (EXAMPLES, Path.cwd() / "examples"):
        if all((d / f).is_file() for pair in SWEEPS.values() for f in pair):
            return d
    raise InputError("the figure sweep files (examples/fig_*.toml, phase_*.toml) are not found; "
                     "run 'adamtheory figures' from the repository root")


def sweep_path(part: str, quick: bool) -> Path:
    return examples_dir() / SWEEPS[part][1 if quick else 0]


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(p.parent.parent))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------------- compute (in workers)
def _a_specs():
    from .specs import OptimizerSpec, amsgrad, named

    p = A_PARAMS
    return {
        r"Adam, $\theta = 0.99$": named("adam", lr=p["lr"], beta1=p["beta1"], beta2=p["beta2"]),
        r"AMSGrad, $\theta = 0.99$": amsgrad(lr=p["lr"], beta1=p["beta1"], beta2=p["beta2"]),
        r"Generic Adam, $\theta_t = 1 - 0.01/t$": OptimizerSpec.from_text(
            "0.5/sqrt(t)", "0.9", "1 - 0.01/t"),
    }


def _a_runs(problem_name: str, steps: int, seeds) -> dict:
    import counterexamples

    from .conditions import check
    from .simulate import simulate_grid

    from .engine import default_checkpoints

    specs = _a_specs()
    grid = simulate_grid(list(specs.values()), counterexamples.get(problem_name), steps,
                         seeds=seeds, checkpoints=default_checkpoints(steps, 150))
    b, ns = grid.batch, len(seeds)
    out = {"steps": np.asarray(b.steps), "series": {}}
    for k, (name, spec) in enumerate(specs.items()):
        cols = slice(k * ns, (k + 1) * ns)
        theory = ("outside the family" if not spec.in_family
                  else "guaranteed" if check(spec).converges else "no guarantee")
        out["series"][name] = {"x": b.x[:, cols].T.copy(), "regret": b.regret[:, cols].T.copy(),
                               "labels": [str(v) for v in grid.labels[cols]], "theory": theory}
    return out


def _b_runs(part: str, quick: bool, tmp: Path) -> dict:
    from .conditions import check
    from .sweep import load, open_results, run_sweep

    path = sweep_path(part, quick)
    run_sweep(path, tmp / part, quiet=True)
    ds = open_results(tmp / part).load()
    sweep = load(path)
    out = {"steps": ds["step"].values, "series": {}, "sweep": _rel(path)}
    for rv in ds["r"].values:
        d = ds.sel(r=rv)
        v = check(sweep.optimizer.spec({"r": float(rv)}))
        theory = ("guaranteed, " + v.rate) if v.converges else "no guarantee"
        out["series"][float(rv)] = {"x": d["x"].values, "regret": d["regret"].values,
                                    "labels": [str(x) for x in d["label"].values],
                                    "theory": theory}
    return out


def _recheck(sweep, cells: list, steps: int) -> dict:
    """Run the mismatched cells again for ``steps`` steps: how many converge with more steps."""
    from .simulate import simulate_grid

    if not cells:
        return {}
    problem = sweep.build_problem(0)
    names = set(sweep.optimizer.free)
    specs = [sweep.optimizer.spec({k: v for k, v in c.items() if k in names}) for c in cells]
    from .engine import default_checkpoints

    T = steps // RECHECK_FACTOR
    ck = np.union1d(default_checkpoints(steps), [T])
    grid = simulate_grid(specs, problem, steps, seeds=int(sweep.seeds[0]), checkpoints=ck)
    labels = [str(v) for v in grid.labels]
    b = grid.batch
    k = int(np.flatnonzero(np.asarray(b.steps) == T)[0])
    d_T, d_end = b.dist[k], b.dist[-1]
    return {"steps": steps, "labels": {k: labels.count(k) for k in sorted(set(labels))},
            "still_bad": int(sum(v in ("stuck", "diverged") for v in labels)),
            "closer": int((d_end < d_T - 1e-3).sum()),
            "dist_T": [round(float(v), 4) for v in d_T],
            "dist_10T": [round(float(v), 4) for v in d_end]}


def _phase_job(part: str, quick: bool, tmp: Path, out: Path) -> dict:
    from .plotting.phase import phase_diagram
    from .sweep import load, open_results, run_sweep

    path = sweep_path(part, quick)
    t0 = time.perf_counter()
    run_sweep(path, tmp / part, quiet=True)
    ds = open_results(tmp / part).load()
    sweep = load(path)
    fname = out / FILES[part]
    entry = {"sweep": _rel(path), "command": f"adamtheory sweep {_rel(path)} -o OUT"}
    if part == "c":
        args = dict(overlay="theory", curves=["r=2s", "s=1"])
        res = phase_diagram(ds, "s", "r", fname, **args,
                            title=TITLE_C)
        T = int(ds["step"].values[-1])
        recheck = _recheck(sweep, res.mismatch_cells, RECHECK_FACTOR * T)
        exps = [-min(c["r"] / 2, 1 - c["s"]) for c in res.mismatch_cells]
        entry.update(mismatch=res.mismatch, recheck=recheck)
        if res.mismatch:
            fast = [v.rate_exponent is not None and v.rate_exponent <= -0.25
                    for v in res.verdicts]
            fast_bad = int((np.array(fast).reshape(res.mask.shape)
                            & np.isin(res.labels, ["stuck", "diverged"])).sum())
            entry["mismatch_where_bound_decays_at_least_T^-1/4"] = fast_bad
            conv_exps = [v.rate_exponent for v, lab in zip(res.verdicts, res.labels.ravel())
                         if v.converges and lab == "converged"]
            note = (f"Cause of the {res.mismatch} mismatches: the problem is outside the "
                    "theorem's assumptions, and too few steps. The theorem bounds "
                    "$\\mathbb{E}\\|\\nabla f\\|^{4/3}$ for an unconstrained f with unbiased "
                    "stochastic gradients; here f_t is a fixed online sequence (A3 fails) and "
                    "f is linear on [-1, 1] with projection, so $\\|\\nabla \\bar f\\| = "
                    "10/101$ never vanishes: the guarantee cannot hold literally, and the label "
                    "asks whether $x_T$ reached $x^\\star = -1$. In the mismatched cells the "
                    "bound would decay no faster than "
                    f"$T^{{-{-min(exps):.2f}}}$ (s near 1 or r near 0; the converged cells reach "
                    f"$T^{{-{-min(conv_exps):.2f}}}$); there are {fast_bad} mismatches where it "
                    f"decays at least as $T^{{-1/4}}$. Run again for {RECHECK_FACTOR}T = "
                    f"{RECHECK_FACTOR * T:,} steps, {recheck['closer']} of {res.mismatch} end "
                    "closer to $x^\\star$ than at T but move less per decade than the "
                    "classifier's 'settled' threshold (labels at "
                    f"{RECHECK_FACTOR}T: {', '.join(f'{k} {n}' for k, n in recheck['labels'].items())}"
                    "); the others (r near 0) are still Adam-like, $\\theta_T$ far from 1.")
        else:
            note = "No guaranteed cell ends stuck or diverged at this horizon."
        res = phase_diagram(ds, "s", "r", fname, **args, note=note, verdicts=res.verdicts,
                            title=TITLE_C)
        entry["args"] = "--x s --y r --overlay theory --curve r=2s --curve s=1"
    elif part == "c2":
        args = dict(overlay="theory", curves=["r=2s", "s=1"], facet="seed")
        res = phase_diagram(ds, "s", "r", fname, **args, title=TITLE_C2)
        undecided = int((res.mask & (res.labels == "undecided")).sum())
        exps = [v.rate_exponent for v, lab in zip(res.verdicts, res.labels.ravel())
                if v.converges and lab == "undecided"]
        note = ("The theorem covers this problem (A1-A4 hold, no projection). "
                + (f"The {undecided} guaranteed cells labelled undecided are still moving at T: "
                   f"their bounds decay no faster than $T^{{-{-min(exps):.2f}}}$."
                   if undecided else "Every guaranteed cell is labelled converged."))
        res = phase_diagram(ds, "s", "r", fname, **args, note=note, verdicts=res.verdicts,
                            title=TITLE_C2)
        entry.update(mismatch=res.mismatch, guaranteed_undecided=undecided)
        entry["args"] = "--x s --y r --facet seed --overlay theory --curve r=2s --curve s=1"
    else:
        note = ("Constant $\\theta$ fails $\\Sigma_t\\, \\alpha_t\\sqrt{1-\\theta_t} = o(T\\alpha_T)$ "
                "in every cell: the checker guarantees convergence nowhere. Hatched: where "
                "SC4 ($\\beta_1^2 < \\theta$) holds, i.e. below $\\beta_1 = \\sqrt{\\beta_2}$. "
                "Reddi et al.'s Theorem 2 says Adam fails on such problems for "
                "$\\beta_1 < \\sqrt{\\beta_2}$ and C large.")
        from .plotting.phase import theory_cells

        cells = [{"beta1": b1, "beta2": b2} for b1 in ds["beta1"].values
                 for b2 in ds["beta2"].values]
        guaranteed = int(theory_cells(sweep, cells, "theory")[0].sum())
        note = f"Checker guarantees convergence on {guaranteed} of {len(cells)} cells. " + note
        res = phase_diagram(ds, "beta2", "beta1", fname, overlay="SC4",
                            curves=["beta1=sqrt(beta2)"], note=note,
                            title=r"$(\beta_1, \beta_2)$ diagram of Adam ($\theta_t = \beta_2$) "
                                  "on reddi-thm2, C = 50")
        entry.update(guaranteed_theory=guaranteed, mismatch=0)
        entry["args"] = "--x beta2 --y beta1 --overlay SC4 --curve beta1=sqrt(beta2)"
    entry["command"] += f"; adamtheory plot phase OUT {entry.pop('args')} -o {FILES[part]}"
    entry.update(res.summary())
    entry["seconds"] = round(time.perf_counter() - t0, 1)
    return entry


def _e_job(quick: bool, tmp: Path, out: Path) -> dict:
    from .plotting.rates import RATE_NOTE, rate_plot, rate_series
    from .sweep import open_results, run_sweep

    path = sweep_path("e", quick)
    t0 = time.perf_counter()
    run_sweep(path, tmp / "e", quiet=True)
    ds = open_results(tmp / "e").load()
    series, rows = rate_series(ds)
    note = RATE_NOTE.format(n=ds.sizes["seed"])
    rate_plot(series, out / FILES["e"], title="Measured rates of Generic Adam on "
              "nonconvex-separable", subtitle=r"$d = 10$, $\sigma = 0.1$, "
              r"$\alpha_t = 0.1\,t^{-s}$, $\beta = 0.9$, $\theta_t = 1 - 0.1\,t^{-r}$",
              note=note)
    return {"sweep": _rel(path), "command": f"adamtheory sweep {_rel(path)} -o OUT",
            "python": "adamtheory.figures._e_job", "rates": rows,
            "seconds": round(time.perf_counter() - t0, 1)}


def _group(name: str, quick: bool, tmp: str, out: str) -> dict:
    """One worker: every figure part whose problems share compiled kernels."""
    tmp, out = Path(tmp), Path(out)
    res = {}
    if name == "online":
        t0 = time.perf_counter()
        steps = 100_000 if quick else 1_000_000
        res["a_online"] = _a_runs("reddi-sec5-online", steps, [0])
        res["b_online"] = _b_runs("b_online", quick, tmp)
        res["ab_online_seconds"] = round(time.perf_counter() - t0, 1)
        res["c"] = _phase_job("c", quick, tmp, out)
        res["d"] = _phase_job("d", quick, tmp, out)
    else:
        t0 = time.perf_counter()
        steps = 100_000 if quick else 1_000_000
        seeds = list(range(4 if quick else 8))
        res["a_stochastic"] = _a_runs("reddi-sec5-stochastic", steps, seeds)
        res["b_stochastic"] = _b_runs("b_stochastic", quick, tmp)
        res["ab_stochastic_seconds"] = round(time.perf_counter() - t0, 1)
        res["e"] = _e_job(quick, tmp, out)
        res["c2"] = _phase_job("c2", quick, tmp, out)
    return res


def all_files() -> dict:
    """Every figure's key and file name: (a)-(e), (c2) and those of the :data:`EXTRA` modules."""
    import importlib

    files = dict(FILES)
    for m in EXTRA:
        files.update(importlib.import_module(m).FILES)
    return files


def _extra(module: str, quick: bool, out: str) -> dict:
    """One worker: the figures of an :data:`EXTRA` module."""
    import importlib

    return importlib.import_module(module).make(Path(out), quick)


# ---------------------------------------------------------------------- the trace figures
def _plot_a(res, out: Path) -> dict:
    from .plotting.traces import trace_figure

    rows = {"online": res["a_online"], "stochastic": res["a_stochastic"]}
    trace_figure(
        {"Reddi Sec. 5 online": rows["online"], "Reddi Sec. 5 stochastic": rows["stochastic"]},
        out / FILES["a"], r"Reddi et al. Section 5: $\alpha_t = 0.5/\sqrt{t}$, $\beta_1 = 0.9$, "
        r"$x_1 = 1$ (in brackets: the checker's verdict)")
    summary = {}
    for k, d in rows.items():
        summary[k] = {name.replace("$", ""): {"x_T_mean": float(np.mean(np.atleast_2d(tr["x"])[:, -1])),
                                            "labels": tr["labels"], "theory": tr["theory"]}
                      for name, tr in d["series"].items()}
    return {"python": "adamtheory.figures._a_runs(problem, steps, seeds) with "
            + json.dumps(A_PARAMS), "steps": int(rows["online"]["steps"][-1]),
            "seeds_stochastic": int(np.atleast_2d(
                next(iter(rows["stochastic"]["series"].values()))["x"]).shape[0]),
            "sweep": None, "result": summary}


def _plot_b(res, out: Path) -> dict:
    from .plotting.traces import trace_figure

    rows = {}
    for key, name in (("b_online", "Reddi Sec. 5 online"),
                      ("b_stochastic", "Reddi Sec. 5 stochastic")):
        d = res[key]
        rows[name] = {"steps": d["steps"], "series": {
            f"$r = {r:g}$": {**tr, "x": np.atleast_2d(tr["x"]),
                             "regret": np.atleast_2d(tr["regret"])}
            for r, tr in d["series"].items()}}
    trace_figure(rows, out / FILES["b"], r"Generic Adam, $\theta_t = 1 - 0.01\,t^{-r}$, "
                  r"$\alpha_t = 0.5/\sqrt{t}$, $\beta = 0.9$ ($r = 0$: Adam, $\theta = 0.99$)")
    return {"sweep": [res["b_online"]["sweep"], res["b_stochastic"]["sweep"]],
            "command": "; ".join(f"adamtheory sweep {res[k]['sweep']} -o OUT"
                                 for k in ("b_online", "b_stochastic")),
            "result": {key: {f"r={r:g}": {"labels": tr["labels"], "theory": tr["theory"],
                                          "x_T_mean": float(np.mean(np.atleast_2d(tr["x"])[..., -1]))}
                             for r, tr in res[key]["series"].items()}
                       for key in ("b_online", "b_stochastic")}}


# ---------------------------------------------------------------------- driver
def make_figures(out="figures", quick: bool = False, echo=print, processes: int = 2) -> dict:
    """Regenerate every figure into ``out`` (see :func:`all_files`) and write
    ``out/manifest.json``."""
    out = Path(out).expanduser().absolute()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"-o {out}: cannot create the directory ({exc.strerror})") from None
    started = time.perf_counter()
    examples_dir()  # fail early, in this process, if the sweep files are missing
    tmp = Path(tempfile.mkdtemp(prefix="adamtheory-figures-"))
    try:
        echo(f"adamtheory figures{' --quick' if quick else ''}: computing in {processes} "
             "process(es) (numba compiles each problem family once per process) ...")
        groups = ("online", "stochastic")
        if processes > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(processes, mp_context=mp.get_context("spawn")) as ex:
                futs = [ex.submit(_group, g, quick, str(tmp), str(out)) for g in groups]
                futs += [ex.submit(_extra, m, quick, str(out)) for m in EXTRA]
                parts = [f.result() for f in futs]
        else:
            parts = [_group(g, quick, str(tmp), str(out)) for g in groups]
            parts += [_extra(m, quick, str(out)) for m in EXTRA]
        res = {k: v for p in parts for k, v in p.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest = {"package": "adamtheory", "version": __version__,
                "command": "adamtheory figures" + (" --quick" if quick else ""),
                "quick": quick, "figures": {}}
    manifest["figures"]["a"] = {"file": FILES["a"], **_plot_a(res, out)}
    manifest["figures"]["b"] = {"file": FILES["b"], **_plot_b(res, out)}
    for k in ("c", "c2", "d", "e"):
        manifest["figures"][k] = {"file": FILES[k], **res[k]}
    for k, f in all_files().items():
        if k not in FILES:
            manifest["figures"][k] = {"file": f, **res[k]}
    for k, f in manifest["figures"].items():
        f["version"] = __version__
        f["made_by"] = manifest["command"]
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    tmpf = out / "manifest.json.tmp"
    tmpf.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=_json))
    tmpf.replace(out / "manifest.json")
    c = manifest["figures"]["c"]
    echo(f"  (c) (s, r): guaranteed {c['guaranteed']} cells, mismatch {c['mismatch']}")
    for k, f in manifest["figures"].items():
        echo(f"  ({k}) {out / f['file']}")
    echo(f"wrote {len(manifest['figures'])} figures and manifest.json to {out} in {manifest['seconds']} s")
    return manifest


def _json(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


EPILOG = """examples:
  adamtheory figures --quick -o out/figures      # about a minute on 2 cores
  adamtheory figures                             # the full versions, into figures/

writes a_reddi_sec5.png, b_theta_r.png, c_phase_sr.png, c2_phase_sr_nonconvex.png,
d_phase_beta.png, e_rates.png, f_speedup.png, g_bits.png, h_ef_counterexamples.png,
i_fed_curves.png, j_fed_drift.png, k_fed_speedup.png and manifest.json (for each figure: the command and sweep file that made it, the package version
and its numbers: label counts, mismatch count, fitted slopes)."""


def add_figures_parser(subparsers, formatter_class=argparse.RawDescriptionHelpFormatter):
    """Add the ``figures`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "figures", help="regenerate every figure (a)-(k) with a manifest",
        description="Regenerate the project's figures: Reddi Section 5 replays, the θ_t "
        "schedule family, the (s, r) and (β1, β2) phase diagrams with the checker's overlay, "
        "measured rates against the predicted slopes, distributed Adam's speedup, compression "
        "and error feedback, and FedLADA against the federated baselines.",
        epilog=EPILOG, formatter_class=formatter_class)
    p.add_argument("--quick", action="store_true",
                   help="small grids and fewer steps (about a minute on 2 cores)")
    p.add_argument("-o", "--out", default="figures", metavar="DIR",
                   help="output directory (default: figures/)")
    p.add_argument("--processes", type=int, default=2, metavar="N",
                   help="1: compute in this process; N > 1 (default 2): a pool of N processes "
                   "over the figure groups")
    p.set_defaults(func=cmd_figures)
    return p


def cmd_figures(args) -> int:
    if args.processes < 1:
        raise InputError("--processes must be at least 1")
    make_figures(args.out, quick=args.quick, processes=args.processes,
                 echo=lambda m: print(m, file=sys.stderr))
    return 0
