"""The compiled-kernel cache (adamtheory.engine.cache): compile once, load later, never trust a
damaged entry, recompile a changed problem."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import counterexamples as cx
from adamtheory.engine import cache, run_batch

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import counterexamples as cx
    from adamtheory.engine import run_batch
    T = 500
    t = np.arange(1, T + 1, dtype=float)
    A = 0.5 / np.sqrt(t)[:, None] * np.array([1.0, 0.5])
    res = run_batch(cx.get("reddi-thm1"), A, np.full(T, 0.9), 1 - 0.01 / t, grad_metrics=False)
    from adamtheory.engine.cache import _LOADED
    (mod,) = _LOADED.values()
    hits = sum(mod.run.stats.cache_hits.values())
    print(json.dumps({"x": res.x.tolist(), "hits": hits}))
""")


def _fresh(monkeypatch, path):
    """A cold in-process state pointing at the cache directory ``path``."""
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(path))
    monkeypatch.setattr(cache, "_LOADED", {})
    cache._entry.cache_clear()


def _run(problem):
    T = 400
    t = np.arange(1, T + 1, dtype=float)
    A = 0.3 / np.sqrt(t)[:, None] * np.array([1.0, 0.7, 0.4])
    return run_batch(problem, A, np.full(T, 0.9), 1 - 0.05 / t, seeds=[0, 1, 2],
                     grad_metrics=False)


def test_second_process_loads_from_the_cache(tmp_path):
    env = {**__import__("os").environ, "ADAMTHEORY_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                           text=True, timeout=600) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert "compiling kernels for reddi-thm1, once" in runs[0].stderr
    assert "compiling" not in runs[1].stderr
    assert first["hits"] == 0 and second["hits"] == 1  # numba loaded the machine code
    assert first["x"] == second["x"]
    (entry,) = [p for p in (tmp_path / "kernels").iterdir() if p.is_dir()]
    man = json.loads((entry / "MANIFEST.json").read_text())
    assert man["files"] and len(man["signatures"]) == 1


def test_corrupt_or_foreign_cache_files_are_rebuilt(tmp_path, monkeypatch, capsys):
    prob = cx.get("nonconvex-separable", d=3, sigma=0.2)
    _fresh(monkeypatch, tmp_path)
    ref = _run(prob)
    assert "compiling kernels for nonconvex-separable, once" in capsys.readouterr().err
    (entry,) = [p for p in (tmp_path / "kernels").iterdir() if p.is_dir()]
    (nbc,) = list((entry / "__pycache__").glob("*.nbc"))
    data = bytearray(nbc.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64  # damaged object code
    nbc.write_bytes(bytes(data))

    _fresh(monkeypatch, tmp_path)
    again = _run(prob)
    assert "compiling kernels for nonconvex-separable" in capsys.readouterr().err
    np.testing.assert_array_equal(again.x, ref.x)
    np.testing.assert_array_equal(again.x_final, ref.x_final)

    _fresh(monkeypatch, tmp_path)  # the rebuilt entry is trusted again
    np.testing.assert_array_equal(_run(prob).x, ref.x)
    assert "compiling" not in capsys.readouterr().err

    (entry / "__pycache__" / "planted.nbc").write_bytes(b"not numba's")  # a file not listed
    (entry / "MANIFEST.json").write_text("{")  # and a truncated manifest
    _fresh(monkeypatch, tmp_path)
    assert not cache.kernels_cached(prob)
    np.testing.assert_array_equal(_run(prob).x, ref.x)
    assert "compiling kernels for nonconvex-separable" in capsys.readouterr().err
    assert not (entry / "__pycache__" / "planted.nbc").exists()
    assert cache.kernels_cached(prob)


USER = textwrap.dedent("""
    import numpy as np
    from numba import njit
    from counterexamples import Problem

    C = {c}

    @njit
    def grad(x, t, seed, params, data, g):
        g[0] = C * x[0]
        return 0.5 * C * x[0] * x[0]

    @njit
    def objective(x, params, data, g):
        return grad(x, 1, 0, params, data, g)

    def make():
        return Problem(name="quad", title="quad", dim=1, grad=grad, objective=objective,
                       params=np.zeros(1))
""")


def _key(p):
    return cache.oracle_key(p.grad, p.objective, p.grad1, "_block_d")


def test_key_follows_the_problem_file_and_closures(tmp_path):
    f = tmp_path / "quad.py"
    f.write_text(USER.format(c=2.0))
    k1 = _key(cx.get(f"{f}:make"))
    assert _key(cx.get(f"{f}:make")) == k1  # same file, same key (a reload does not recompile)
    f.write_text(USER.format(c=3.0))
    assert _key(cx.get(f"{f}:make")) != k1  # a changed file recompiles
    # catalog problems: keyed by source, not by their parameters (runtime data)
    assert _key(cx.get("logreg-nonconvex", lam=0.1)) == _key(cx.get("logreg-nonconvex", lam=0.3))
    assert _key(cx.get("logreg-nonconvex")) != _key(cx.get("two-layer-net"))

    from numba import njit

    def closure(c):
        @njit
        def g(x, t, seed, params, data, out):
            out[0] = c * x[0]
            return 0.0
        return g

    assert cache.oracle_key(closure(1.0), closure(1.0), None, "b") == \
        cache.oracle_key(closure(1.0), closure(1.0), None, "b")
    assert cache.oracle_key(closure(1.0), closure(1.0), None, "b") != \
        cache.oracle_key(closure(2.0), closure(2.0), None, "b")
    ns = {}
    exec("from numba import njit\n@njit\ndef h(x, t, seed, params, data, g):\n    return 0.0",
         ns)
    with pytest.raises(cache.Uncacheable, match="not defined in a file"):
        cache.oracle_key(ns["h"], ns["h"], None, "b")


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ADAMTHEORY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    if sys.platform.startswith("linux"):
        assert cache.cache_dir() == tmp_path / "x" / "adamtheory"


SIMULATORS = textwrap.dedent("""
    import json
    import numpy as np
    import counterexamples as cx
    from adamtheory.distributed.simulator import family_tables, simulate
    from adamtheory.engine import cache
    from adamtheory.distributed.simulator import kernels_cached as dist_cached
    from adamtheory.federated.simulator import kernels_cached as fed_cached
    from adamtheory.federated.simulator import run
    prob = cx.get("nonconvex-separable", d=3, sigma=0.5)
    before = [dist_cached(prob), fed_cached()]
    A, B, TH = family_tables(300, lr=[0.1, 0.05], s=0.5, beta=0.9, theta=[1.0, 0.1], r=1.0)
    d = simulate(prob, 300, seeds=[0, 1],
                 workers=[1, 4], compressor=["identity64", "scaled_sign"], ef_worker=[0, 1],
                 alpha=A, beta=B, theta=TH, checkpoints=[10, 300])
    f = run("fedlada", "lsq", rounds=6, seeds=(0, 1), M=6, S=3, K=3, batch=2, dim=4,
            n_local=8)
    hits = {m.__name__: sum(sum(getattr(m, fn).stats.cache_hits.values())
                            for fn in ("run", "family", "run_configs") if hasattr(m, fn))
            for m in cache._LOADED.values()}
    print(json.dumps({"tables": A.tolist(), "x1": d["x1"].tolist(), "gnorm": d["gnorm"].tolist(),
                      "bits": d["bits_up"].tolist(), "loss": f["loss"].tolist(),
                      "drift": f["drift"].tolist(), "hits": hits, "cached": before,
                      "cached_after": [dist_cached(prob), fed_cached()]}))
""")
LABELS = ("nonconvex-separable (parameter server)", "the federated simulator",
          "the schedule tables")


def _simulators(env):
    r = subprocess.run([sys.executable, "-c", SIMULATORS], env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def _numbers(res):
    return {k: v for k, v in res.items() if k not in ("hits", "cached", "cached_after")}


def _entries(root):
    """{(template, function): entry directory} of the cache at ``root``."""
    out = {}
    for man in (root / "kernels").glob("*/MANIFEST.json"):
        data = json.loads(man.read_text())
        for sig in data["signatures"]:
            out[(data["template"], sig.split("(")[0])] = man.parent
    return out


def test_simulator_kernels_load_from_the_cache_and_damaged_entries_are_rebuilt(tmp_path):
    """The distributed (per oracle pair) and federated (nothing bound) kernels: a second process
    loads them (no compilation, numba cache hits, the same numbers); a damaged object file, a
    foreign file and a truncated manifest each make their entry compile again, to the same
    numbers, after which the entries are trusted again."""
    env = {**__import__("os").environ, "ADAMTHEORY_CACHE_DIR": str(tmp_path)}
    first, err = _simulators(env)
    for label in LABELS:
        assert f"compiling kernels for {label}, once" in err
    assert set(first["hits"].values()) == {0}
    assert first["cached"] == [False, False] and first["cached_after"] == [True, True]
    second, err = _simulators(env)
    assert "compiling" not in err and second["cached"] == [True, True]
    assert len(second["hits"]) == 3 and set(second["hits"].values()) == {1}
    assert _numbers(second) == _numbers(first)

    entries = _entries(tmp_path)
    assert set(entries) == {("adamtheory.distributed.kernels", "run"),
                            ("adamtheory.distributed.kernels", "family"),
                            ("adamtheory.federated.kernels", "run_configs")}
    (nbc,) = (entries["adamtheory.distributed.kernels", "run"] / "__pycache__").glob("*.nbc")
    data = bytearray(nbc.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64  # damaged object code
    nbc.write_bytes(bytes(data))
    planted = entries["adamtheory.federated.kernels", "run_configs"] / "__pycache__" / "x.nbc"
    planted.write_bytes(b"not numba's")  # a file the manifest does not list
    (entries["adamtheory.distributed.kernels", "family"] / "MANIFEST.json").write_text("{")
    third, err = _simulators(env)
    for label in LABELS:
        assert f"compiling kernels for {label}, once" in err
    assert not planted.exists()
    assert third["cached"] == [False, False]
    assert _numbers(third) == _numbers(first)
    fourth, err = _simulators(env)
    assert "compiling" not in err and set(fourth["hits"].values()) == {1}


COMPRESSORS = textwrap.dedent("""
    import json
    import numpy as np
    from adamtheory.distributed import compressors as C
    from adamtheory.engine import cache
    x = np.array([0.3, -1.25, 0.0, 2.5, -0.7])
    out = {n: C.get(n, k=2, s=3).apply(x, seed=5, t=2, stream=7).tolist() for n in C.NAMES}
    bits = {n: C.get(n, k=2, s=3).bits(5) for n in C.NAMES}
    msg = C.encode(C.get("randk", k=2), x, seed=5, t=2, stream=7)
    scale = C.qsgd_scale(x)
    hits = {fn: sum(getattr(m, fn).stats.cache_hits.values()) for m in cache._LOADED.values()
            for fn in C.CODEC.functions if getattr(m, fn).signatures}
    print(json.dumps({"out": out, "bits": bits, "msg": msg, "scale": scale,
                      "hits": hits}))
""")


def test_compressors_called_from_python_load_from_the_cache(tmp_path):
    """Compressor.apply / bits / encode (the torch path) use the cached copy of the compressors'
    module: the first process compiles and says so, a second loads (cache hits, no compilation)
    and gets the same values, which are those of the module's own numba functions."""
    from adamtheory.distributed import compressors as C

    env = {**__import__("os").environ, "ADAMTHEORY_CACHE_DIR": str(tmp_path)}
    runs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", COMPRESSORS], env=env, capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        runs.append((json.loads(r.stdout), r.stderr))
    (first, err1), (second, err2) = runs
    assert "compiling kernels for the compressors (compress), once" in err1
    assert set(first["hits"].values()) == {0}
    assert "compiling" not in err2
    assert set(second["hits"]) == {"compress", "message_bits", "shared_uniform", "qsgd_radius"}
    assert set(second["hits"].values()) == {1}
    assert {k: v for k, v in second.items() if k != "hits"} == \
        {k: v for k, v in first.items() if k != "hits"}
    x = np.array([0.3, -1.25, 0.0, 2.5, -0.7])
    for n in C.NAMES:  # the module's own (uncached) dispatcher gives the same values
        q, ref = C.get(n, k=2, s=3), np.empty(5)
        C.compress(q.code, x, ref, 2, 3, np.int64(5), np.int64(2), np.int64(7))
        assert first["out"][n] == ref.tolist(), n
        assert first["bits"][n] == int(C.message_bits(q.code, 5, 2, 3))
