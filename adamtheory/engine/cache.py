"""Compile once: kernels built so that numba's disk cache applies, for the engine and the other
simulators.

Numba caches a function on disk only when its machine code depends on nothing but its own module:
a kernel that closes over the problem's oracles (or takes them as arguments) is compiled again in
every process. So a kernel's source is a *template module* (:class:`Template`: the engine's
:mod:`.kernels`, :mod:`adamtheory.distributed.kernels`, :mod:`adamtheory.federated.kernels`,
:mod:`adamtheory.distributed.compressors` for the compressors called from Python),
with a line ``CACHE = False`` and its entry functions decorated ``cache=CACHE``. Per *binding*
(the values of the template's bound names: the problem's oracles, the engine's block loop; none
for a template without oracles) the cache writes a *copy* of the template (its source text, with
``CACHE = True``) into the kernel cache and binds the values as module globals at the end of the
copy; the copy's entry functions are ordinary ``cache=True`` functions
(:func:`compiled`; the engine's :func:`compiled_kernel`).

Cache entries
-------------
An entry is a directory ``<cache dir>/kernels/<key>/`` holding the generated module, numba's
index and object files and ``MANIFEST.json``. The key is a SHA-256 of

* the template: its module name, the bytes of every source file its functions reach (through
  their globals, down to the numba functions they call; plus the template's ``files``) and the
  numeric globals they use;
* the binding: for the oracles, the bytes of every source file that defines them or a numba
  function they reach through their globals or closures, the values of the closure cells and the
  numeric globals they use (so a changed problem file, or a different closure, gives a different
  key); strings (the engine's block loop) as they are;
* the numba, numpy and Python versions and the machine.

Oracles defined outside a file (e.g. typed in an interactive session) or closing over values of
unknown type cannot be keyed: they are compiled in a per-process temporary directory (as before
this cache existed).

An entry is trusted only if its manifest lists exactly the files present with their SHA-256,
the generated module is the expected text and the manifest names the function and signature
asked for; anything else (a stale, truncated, corrupted or foreign file) wipes the entry and
compiles it again. Building an entry holds an exclusive ``flock`` on ``<key>.lock``, so concurrent
processes (sweep workers) compile once and the others load. A use marks the entry (its directory's
modification time); a compilation removes the entries not used for
:func:`adamtheory.usercache.max_age_days` (30 by default), so the cache does not keep the kernels
of every source a user ever ran.

The cache directory is ``$ADAMTHEORY_CACHE_DIR`` if set, else the per-user cache directory
(``$XDG_CACHE_HOME/adamtheory`` or ``~/.cache/adamtheory`` on Linux, ``~/Library/Caches/
adamtheory`` on macOS, ``%LOCALAPPDATA%\\adamtheory\\Cache`` on Windows). If it cannot be
written, the kernels are compiled in a temporary directory (correct, just not reused).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numba
import numpy as np

from ..usercache import (  # noqa: F401 - cache_dir re-exported
    atomic_write,
    cache_dir,
    mark_used,
    max_age_days,
    prune,
)

try:  # pragma: no cover - Windows has no fcntl; the cache then works without the lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

_ENGINE = Path(__file__).resolve().parent
_CACHE_LINE = "CACHE = False\n"
#: compile time of one kernel on a quiet 2-core machine, seconds (used by estimates)
COMPILE_SECONDS = 15.0

# modules whose functions the key does not follow (their version is part of the key)
_SYSTEM_ROOTS = {"numpy", "numba", "math", "cmath", "builtins", "llvmlite", "operator"}

_BOUND: dict[str, tuple] = {}  # key -> the bound values, for generated modules
_LOADED: dict[str, types.ModuleType] = {}


@dataclass(frozen=True)
class Template:
    """A kernel module that the cache copies once per binding (see the module docstring).

    Parameters
    ----------
    module : str
        Dotted name of the template module. Its source contains the line ``CACHE = False``
        exactly once and decorates each of ``functions`` with ``cache=CACHE``; it imports with
        absolute imports only (the copy lives outside the package).
    functions : tuple of str
        The entry functions (numba dispatchers) that :func:`compiled` compiles.
    names : tuple of str
        Module globals bound at the end of each copy, in order, to the binding's values (numba
        functions, strings or None).
    tail : str
        Source lines appended after the binding (e.g. globals derived from the bound ones).
    files : tuple of str
        Further source files whose bytes enter the key, besides those the template's functions
        reach.
    """

    module: str
    functions: tuple = ("run",)
    names: tuple = ()
    tail: str = ""
    files: tuple = ()

    def source(self) -> Path:
        """The template module's file."""
        return Path(importlib.util.find_spec(self.module).origin).resolve()


#: the engine's kernels (:mod:`.kernels`): bound to a problem's oracles and block loop
ENGINE = Template(
    "adamtheory.engine.kernels", ("run",),
    ("grad", "objective", "grad1", "grad_block", "objective_block", "_block_name"),
    "grad_block = _no_grad_block if grad_block is None else grad_block\n"
    "objective_block = (_no_objective_block if objective_block is None\n"
    "                   else objective_block)\n"
    "BLOCK = globals()[_block_name]\n"
    "BATCHED = _block_name == '_block_b'\n",
    (str(_ENGINE / "codes.py"), str(_ENGINE / "update.py")))


class Uncacheable(Exception):
    """The oracles cannot be keyed by their source (the message says why)."""


def bound_oracles(key: str) -> tuple:
    """The values bound to the template's ``names`` in the generated module of entry ``key``
    (called by that module when it is imported; for the engine ``(grad, objective, grad1,
    grad_block, objective_block, block)``, ``block`` naming the kernel's block loop)."""
    return _BOUND[key]


# ------------------------------------------------------------------------------ keys
def _is_dispatcher(obj) -> bool:
    return hasattr(obj, "py_func") and hasattr(obj, "targetoptions")


def _names(code) -> set:
    out = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _names(c)
    return out


class _Hasher:
    """Walks oracles (numba dispatchers) through globals and closures; collects files and values."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.files: set[str] = set()
        self.seen: set[int] = set()

    def value(self, v, where: str, strict: bool) -> None:
        if _is_dispatcher(v):
            self.h.update(repr(sorted(v.targetoptions.items(), key=str)).encode())
            self.function(v.py_func)
        elif isinstance(v, types.FunctionType):
            self.function(v)
        elif isinstance(v, types.ModuleType):
            root = v.__name__.split(".")[0]
            if root not in _SYSTEM_ROOTS and getattr(v, "__file__", None):
                self.files.add(str(Path(v.__file__).resolve()))
        elif v is None or isinstance(v, (bool, int, float, complex, str, bytes, np.generic)):
            self.h.update(f"{type(v).__name__}:{v!r}".encode())
        elif isinstance(v, np.ndarray):
            self.h.update(f"{v.dtype.str}{v.shape}".encode())
            self.h.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, (tuple, list)):
            self.h.update(f"{type(v).__name__}{len(v)}".encode())
            for e in v:
                self.value(e, where, strict)
        elif strict:
            raise Uncacheable(f"{where} holds a {type(v).__name__}")
        else:  # a global the oracle names but numba could not use as data (a class, ...)
            self.h.update(f"{type(v).__module__}.{type(v).__qualname__}".encode())
            mod = sys.modules.get(getattr(v, "__module__", "") or "")
            if mod is not None:
                self.value(mod, where, False)

    def function(self, f) -> None:
        if id(f) in self.seen:
            return
        self.seen.add(id(f))
        root = (getattr(f, "__module__", "") or "").split(".")[0]
        if root in _SYSTEM_ROOTS:
            self.h.update(f"{f.__module__}.{f.__qualname__}".encode())
            return
        src = f.__code__.co_filename
        if not src or src.startswith("<") or not os.path.isfile(src):
            raise Uncacheable(f"{f.__qualname__} is not defined in a file")
        self.files.add(str(Path(src).resolve()))
        self.h.update(f"{f.__qualname__}".encode())
        for cell in f.__closure__ or ():
            try:
                content = cell.cell_contents
            except ValueError:
                raise Uncacheable(f"{f.__qualname__} has an empty closure cell") from None
            self.value(content, f"a closure cell of {f.__qualname__}", True)
        for name in sorted(_names(f.__code__)):
            if name in f.__globals__:
                self.h.update(name.encode())
                self.value(f.__globals__[name], f"global {name} of {f.__qualname__}", False)
        self.value(f.__defaults__, f"the defaults of {f.__qualname__}", True)

    def digest(self) -> str:
        for path in sorted(self.files):
            self.h.update(hashlib.sha256(Path(path).read_bytes()).digest())
        return self.h.hexdigest()


@cache
def _template_digest(template: Template) -> str:
    """SHA-256 of the template: every function it defines, followed through its globals to the
    numba functions it calls, their source files, the template's ``files``, and the versions."""
    hs = _Hasher()
    hs.h.update(template.module.encode())
    mod = importlib.import_module(template.module)
    for name, obj in sorted(vars(mod).items()):
        fn = obj.py_func if _is_dispatcher(obj) else obj
        if isinstance(fn, types.FunctionType) and fn.__module__ == template.module:
            hs.h.update(name.encode())
            hs.value(obj, f"{template.module}.{name}", False)
    hs.files.add(str(template.source()))
    hs.files.update(str(Path(f).resolve()) for f in template.files)
    hs.h.update(f"numba {numba.__version__} numpy {np.__version__} {sys.version} "
                f"{platform.machine()} {sys.platform}".encode())
    return hs.digest()


def binding_key(template: Template, bound: tuple) -> str:
    """SHA-256 key of the copy of ``template`` with ``bound`` (one value per ``template.names``:
    a numba function, a string or None); raises :class:`Uncacheable` when an oracle cannot be
    keyed (see the module docstring)."""
    if len(bound) != len(template.names):
        raise ValueError(f"{template.module} binds {len(template.names)} names "
                         f"{template.names}; got {len(bound)} values")
    hs = _Hasher()
    hs.h.update(_template_digest(template).encode())
    for label, v in zip(template.names, bound):
        hs.h.update(label.encode())
        if v is None:
            hs.h.update(b"None")
        elif isinstance(v, str):
            hs.h.update(f"str:{v}".encode())
        elif _is_dispatcher(v):
            hs.value(v, label, True)
        else:
            raise Uncacheable(f"{label} is not a numba function")
    return hs.digest()[:32]


def oracle_key(grad, objective, grad1, block: str, grad_block=None,
               objective_block=None) -> str:
    """SHA-256 key of the engine's kernel for these oracles and block loop (see the module
    docstring); raises :class:`Uncacheable` when the oracles cannot be keyed."""
    return binding_key(ENGINE, (grad, objective, grad1, grad_block, objective_block, block))


# ------------------------------------------------------------------------------ entries
class _Entry:
    def __init__(self, template: Template, key: str, root: Path, persistent: bool,
                 why: str = ""):
        self.template, self.key, self.persistent, self.why = template, key, persistent, why
        self.dir = root / key
        self.module_name = f"adamtheory_kernels_{key}"
        self.module_path = self.dir / f"{self.module_name}.py"
        self.manifest = self.dir / "MANIFEST.json"
        self.lock = root / f"{key}.lock"
        self.rewritten = False

    def text(self) -> str:
        tpl = self.template
        src = tpl.source().read_text(encoding="utf-8")
        if src.count(_CACHE_LINE) != 1:  # pragma: no cover - guards an edit of a template
            raise RuntimeError(f"{tpl.source()} must contain the line "
                               f"{_CACHE_LINE.strip()!r} exactly once")
        src = src.replace(_CACHE_LINE, f"CACHE = {self.persistent}\n")
        out = (src + f"\n\n# ---- bound by adamtheory.engine.cache (template {tpl.module}, "
               f"entry {self.key}) ----\n")
        if tpl.names:
            out += ("from adamtheory.engine.cache import bound_oracles as _bound_oracles  # noqa\n"
                    "\n" + ", ".join(tpl.names) + ("," if len(tpl.names) == 1 else "")
                    + f" = _bound_oracles({self.key!r})\n")
        return out + tpl.tail


_TMP_ROOT: list[Path] = []


def _temp_root() -> Path:
    if not _TMP_ROOT:
        path = Path(tempfile.mkdtemp(prefix="adamtheory-kernels-"))
        atexit.register(shutil.rmtree, path, True)
        _TMP_ROOT.append(path)
    return _TMP_ROOT[0]


def _kernel_root() -> Path | None:
    root = cache_dir() / "kernels"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return None
    return root


@cache
def _entry(template: Template, bound: tuple, root_text: str) -> _Entry:
    try:
        key = binding_key(template, bound)
    except Uncacheable as exc:
        ids = " ".join(str(id(v)) for v in bound)
        key = hashlib.sha256(f"{template.module} {ids} {os.getpid()}".encode()).hexdigest()[:32]
        return _Entry(template, key, _temp_root(), False, str(exc))
    root = _kernel_root() if root_text else None
    if root is None:
        return _Entry(template, key, _temp_root(), False, f"the cache directory {cache_dir()} "
                      "cannot be written")
    return _Entry(template, key, root, True)


@contextlib.contextmanager
def _locked(entry: _Entry):
    if fcntl is None or not entry.persistent:
        yield
        return
    with open(entry.lock, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_files(path: Path) -> dict:
    if not path.is_dir():
        return {}
    return {p.name: p for p in sorted(path.iterdir()) if p.is_file() and ".tmp." not in p.name}


def _numba_dir(entry: _Entry, module) -> Path:
    """Numba's cache directory of the copy (one for all its functions: it follows the file)."""
    return Path(getattr(module, entry.template.functions[0])._cache._cache_path)


def _trusted_manifest(entry: _Entry, module) -> dict | None:
    """The manifest if the entry is intact (files and hashes as listed), else None."""
    try:
        man = json.loads(entry.manifest.read_text(encoding="utf-8"))
        if man.get("key") != entry.key or not isinstance(man.get("files"), dict) \
                or not isinstance(man.get("signatures"), list):
            return None
        files = _cache_files(_numba_dir(entry, module))
        if set(files) != set(man["files"]):
            return None
        for name, p in files.items():
            if _sha(p) != man["files"][name]:
                return None
        return man
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _wipe(entry: _Entry, module) -> None:
    with contextlib.suppress(OSError):
        entry.manifest.unlink()
    for p in _cache_files(_numba_dir(entry, module)).values():
        with contextlib.suppress(OSError):
            p.unlink()


def _write_manifest(entry: _Entry, module, signatures: list) -> None:
    files = {n: _sha(p) for n, p in _cache_files(_numba_dir(entry, module)).items()}
    data = json.dumps({"key": entry.key, "template": entry.template.module,
                       "signatures": sorted(set(signatures)), "files": files}, indent=1)
    atomic_write(entry.manifest, data.encode())


def _module(entry: _Entry, bound: tuple):
    """Import the entry's generated module (writing it first if absent or not the expected text)."""
    mod = _LOADED.get(str(entry.module_path))
    if mod is not None:
        return mod
    text = entry.text()
    entry.dir.mkdir(parents=True, exist_ok=True)
    try:
        current = entry.module_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    entry.rewritten = current != text
    if entry.rewritten:
        atomic_write(entry.module_path, text.encode())
    _BOUND[entry.key] = bound
    spec = importlib.util.spec_from_file_location(entry.module_name, entry.module_path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[entry.module_name] = mod
    spec.loader.exec_module(mod)
    _LOADED[str(entry.module_path)] = mod
    return mod


def signature_of(args) -> tuple:
    """The numba argument types of a kernel call (what :meth:`Dispatcher.compile` takes)."""
    return tuple(numba.typeof(a) for a in args)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def compiled(template: Template, bound: tuple, function: str, args, label: str,
             announce=None):
    """The compiled ``function`` of ``template``'s copy for ``bound``, ready for ``f(*args)``.

    Loads the machine code from the kernel cache when the entry is intact and holds this
    signature; otherwise compiles (announcing it once) and records it.

    Parameters
    ----------
    template : Template
        The kernel module.
    bound : tuple
        One value per ``template.names`` (the problem's oracles, ...).
    function : str
        One of ``template.functions``.
    args : tuple
        The call's arguments (their numba types select the compiled signature).
    label : str
        What the kernels are for, in the announcement ("compiling kernels for <label>, once").
    announce : callable, optional
        Called with one line before a compilation (default: print it on stderr).
    """
    if function not in template.functions:
        raise ValueError(f"{function!r} is not an entry function of {template.module} "
                         f"(one of {template.functions})")
    bound = tuple(bound)
    entry = _entry(template, bound, str(cache_dir()))
    mod = _LOADED.get(str(entry.module_path))
    sig = signature_of(args)
    if mod is not None and sig in getattr(mod, function).signatures:
        return getattr(mod, function)
    say = announce if announce is not None else _stderr
    tag = f"{function}{sig}"
    max_age_days()  # a bad $ADAMTHEORY_CACHE_MAX_AGE_DAYS is an error before a compilation
    with _locked(entry):
        mod = _module(entry, bound)
        disp = getattr(mod, function)
        man = _trusted_manifest(entry, mod) if entry.persistent else None
        if entry.persistent and (man is None or entry.rewritten):
            _wipe(entry, mod)
        if man is None or entry.rewritten:
            man = {"signatures": []}
        entry.rewritten = False  # wiped once; later signatures add to the entry
        fresh = tag not in man["signatures"]
        if fresh:
            where = (f"later runs load them from {entry.dir.parent}" if entry.persistent
                     else f"not cached: {entry.why}")
            say(f"compiling kernels for {label}, once ({where}) ...")
        t0 = time.perf_counter()
        disp.compile(sig)
        if entry.persistent and (fresh or disp.stats.cache_misses.get(sig)):
            with contextlib.suppress(OSError):
                _write_manifest(entry, mod, man["signatures"] + [tag])
        mod.compile_seconds = time.perf_counter() - t0
    if entry.persistent:
        mark_used(entry.dir)
        mark_used(entry.lock)
        if fresh:  # a new entry: entries unused for a month (old sources) go
            prune("kernels", keep=[entry.dir, entry.lock])
    return disp


def is_cached(template: Template, bound: tuple, function: str | None = None) -> bool:
    """Whether the copy of ``template`` for ``bound`` is in the cache, intact, with a compiled
    signature of ``function`` (default: of any entry function); a call then loads it."""
    entry = _entry(template, tuple(bound), str(cache_dir()))
    names = template.functions if function is None else (function,)
    mod = _LOADED.get(str(entry.module_path))
    if mod is not None and any(getattr(mod, f).signatures for f in names):
        return True
    if not entry.persistent or not entry.manifest.is_file():
        return False
    with _locked(entry):
        man = _trusted_manifest(entry, _module(entry, tuple(bound)))
    return bool(man) and any(s.startswith(f"{f}(") for s in man["signatures"] for f in names)


# ------------------------------------------------------------------------------ the engine
def _oracles(problem, block: str) -> tuple:
    """What the engine's copy binds: the oracles its block loop calls, and the loop's name."""
    return (problem.grad, problem.objective, problem.grad1 if block == "_block1" else None,
            problem.grad_block if block == "_block_b" else None,
            problem.objective_block if block == "_block_b" else None, block)


def block_loop(problem, path: str = "auto") -> str:
    """The kernel loop a run of ``problem`` uses: ``"_block1"`` (one-dimensional, ``grad1``),
    ``"_block_b"`` (block oracles) or ``"_block_d"`` (the general loop); ``path`` as in
    :func:`adamtheory.engine.run_batch` (``"scalar"``, ``"batched"``, ``"general"`` force one)."""
    if problem.dim == 1 and problem.grad1 is not None and path in ("auto", "scalar"):
        return "_block1"
    if path == "scalar":
        raise ValueError("the scalar path needs a one-dimensional problem with grad1")
    has_block = problem.grad_block is not None and problem.objective_block is not None
    if has_block and path in ("auto", "batched"):
        return "_block_b"
    if path == "batched":
        raise ValueError("the batched path needs a problem with grad_block and objective_block")
    return "_block_d"


def compiled_kernel(problem, block: str, args, announce=None):
    """The compiled driver ``run`` of the engine's :mod:`.kernels` for ``problem``, ready for
    ``run(*args)`` (:func:`compiled` with the :data:`ENGINE` template).

    Parameters
    ----------
    problem : counterexamples.Problem
        Its oracles are bound into the kernel.
    block : str
        The block loop (:func:`block_loop`).
    args : tuple
        The call's arguments (their numba types select the compiled signature).
    announce : callable, optional
        Called with one line before a compilation (default: print it on stderr).
    """
    return compiled(ENGINE, _oracles(problem, block), "run", args, problem.name, announce)


def kernels_cached(problem, path: str = "auto") -> bool:
    """Whether the engine's kernels of ``problem`` are in the cache, intact (a run then loads
    them).

    ``path`` as in :func:`adamtheory.engine.run_batch` (``"auto"``: the scalar path for
    one-dimensional problems with ``grad1``). Entries whose files fail their check count as
    not cached.
    """
    return is_cached(ENGINE, _oracles(problem, block_loop(problem, path)))
