"""Problem registry: catalog names to factories, and loading of users' problem files.

``get(name, **params)`` builds a problem. ``name`` is either a catalog name (see :func:`names`)
or ``"path/to/file.py:attr"`` naming a factory function (called with ``params``) or a
:class:`~counterexamples._base.Problem` object in a user's Python file, which is imported from
its location with :mod:`importlib` (nothing is evaluated from a string). ``"path/to/file.py"``
alone means ``attr = "make"``. Every failure raises a one-line
:class:`~counterexamples.errors.ProblemError`.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from ._base import Problem
from .errors import ProblemError, ProblemFileError, ProblemParameterError, UnknownProblemError

#: catalog name -> module (inside this package) exposing ``make(**params) -> Problem``
_REGISTRY = {
    "reddi-thm1": "reddi_thm1",
    "reddi-thm2": "reddi_thm2",
    "reddi-thm3": "reddi_thm3",
    "reddi-sec5-online": "reddi_sec5_online",
    "reddi-sec5-stochastic": "reddi_sec5_stochastic",
    "nonconvex-separable": "nonconvex_separable",
    "logreg-nonconvex": "logreg_nonconvex",
    "two-layer-net": "two_layer_net",
    "ef-least-squares": "ef_least_squares",
    "ef-nonsmooth": "ef_nonsmooth",
    "adam-escape": "adam_escape",
}


def names() -> list[str]:
    """The catalog's problem names, in catalog order."""
    return list(_REGISTRY)


def catalog() -> list[Problem]:
    """Every catalog problem with its default parameters."""
    return [get(n) for n in _REGISTRY]


def _closest(word: str, choices) -> str:
    choices = list(choices)
    folded = {c.lower().replace("_", "-"): c for c in choices}
    key = word.lower().replace("_", "-")
    if key in folded:
        return folded[key]
    match = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.0)
    return folded[match[0]] if match else ""


def module_of(name: str) -> str:
    """The module (``counterexamples.X``) whose ``make`` builds catalog problem ``name``."""
    return f"counterexamples.{_REGISTRY[name]}"


def is_user_spec(name: str) -> bool:
    """Whether ``name`` names a user problem file (``path/to/file.py[:attr]``), not the catalog."""
    path = name.rpartition(":")[0] if ":" in name else name
    return path.endswith(".py") or name.endswith(".py")


def _call_factory(factory, label: str, params: dict) -> Problem:
    """Calls ``factory(**params)`` after checking the parameter names against its signature."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        sig = None
    if sig is not None and not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        known = [k for k, p in sig.parameters.items()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        for key in params:
            if key not in known:
                if not known:
                    raise ProblemParameterError(f"{label} takes no parameters, got {key!r}")
                raise ProblemParameterError(
                    f"{label} has no parameter {key!r}; did you mean {_closest(key, known)!r}? "
                    f"(its parameters: {', '.join(known)})")
        missing = [k for k, p in sig.parameters.items() if p.default is p.empty
                   and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and k not in params]
        if missing:
            raise ProblemParameterError(f"{label} needs parameter(s) {', '.join(missing)}; pass "
                                        "them as keyword arguments")
    try:
        problem = factory(**params)
    except ProblemError:
        raise
    except SystemExit as exc:
        raise ProblemFileError(f"{label} called sys.exit({exc.code!r}) instead of returning a "
                               "Problem") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        # a factory's own check of its parameters (or numpy refusing a size): the user's input
        raise ProblemParameterError(f"{label}({_params_text(params)}) failed: "
                                    f"{_describe(exc)}") from None
    except Exception as exc:
        raise ProblemFileError(f"{label}({_params_text(params)}) raised {_describe(exc)}") from exc
    if not isinstance(problem, Problem):
        raise ProblemFileError(f"{label} returned {type(problem).__name__}, not a Problem; "
                               "make it return counterexamples.Problem(...)")
    return problem


def _params_text(params: dict) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return text if len(text) <= 60 else text[:57] + "..."


def get(name: str, **params) -> Problem:
    """Build a problem by catalog name or from a user file ``"file.py:attr"``.

    Parameters
    ----------
    name : str
        A catalog name (``names()``) or ``"path/to/file.py[:attr]"``.
    **params
        Parameters of the problem's factory (see each module's ``make``).

    Raises
    ------
    UnknownProblemError
        Unknown catalog name; the message names the closest known one.
    ProblemParameterError
        Unknown parameter or a value out of range.
    ProblemFileError
        Missing file, missing attribute, or an attribute that is not a factory or Problem.
    """
    if not isinstance(name, str):
        raise UnknownProblemError(f"problem name must be a string, got {type(name).__name__}")
    if is_user_spec(name):
        return load_user_problem(name, **params)
    if name not in _REGISTRY:
        hint = _closest(name, _REGISTRY)
        raise UnknownProblemError(
            f"unknown problem {name!r}; did you mean {hint!r}? (known: {', '.join(_REGISTRY)}; "
            "or give a file as path/to/file.py:make)")
    module = importlib.import_module(f".{_REGISTRY[name]}", __package__)
    return _call_factory(module.make, name, params)


def _import_file(path: Path):
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    modname = f"_adamtheory_user_problem_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ProblemFileError(f"cannot import {str(path)!r} as a Python module; "
                               "give a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module  # lets numba and pickling find the module's functions
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:
        # a file that calls sys.exit() (or exit()) at import must not end the caller's process,
        # least of all with status 0
        sys.modules.pop(modname, None)
        raise ProblemFileError(f"importing {str(path)!r} called sys.exit({exc.code!r}); a "
                               "problem file must define a factory, not exit") from None
    except Exception as exc:
        sys.modules.pop(modname, None)
        raise ProblemFileError(f"importing {str(path)!r} failed: {_describe(exc)}") from exc
    return module


def _describe(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 200 characters)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    out = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return out if len(out) <= 200 else out[:197] + "..."


def load_user_problem(spec: str, **params) -> Problem:
    """Load ``"path/to/file.py:attr"`` (``attr`` defaults to ``make``) as a Problem.

    ``attr`` may be a callable returning a :class:`Problem` (called with ``params``) or a
    :class:`Problem` object (then ``params`` must be empty). The file is imported from its
    location with :mod:`importlib`; relative paths are relative to the current directory.
    """
    if spec.endswith(".py"):
        file_part, attr = spec, "make"
    else:
        file_part, _, attr = spec.rpartition(":")
    path = Path(file_part).expanduser()
    label = f"{file_part}:{attr}"
    if not attr.isidentifier():
        raise ProblemFileError(f"{attr!r} in {spec!r} is not a Python name; write "
                               "path/to/file.py:make")
    if not path.is_file():
        raise ProblemFileError(f"problem file {file_part!r} not found (from {spec!r}); "
                               "give the path of an existing .py file")
    module = _import_file(path.resolve())
    if not hasattr(module, attr):
        public = [k for k in vars(module) if not k.startswith("_")]
        candidates = [k for k in public
                      if callable(getattr(module, k)) or isinstance(getattr(module, k), Problem)]
        hint = _closest(attr, candidates or public)
        raise ProblemFileError(f"{file_part!r} defines no {attr!r}"
                               + (f"; did you mean {hint!r}?" if hint else ""))
    obj = getattr(module, attr)
    if isinstance(obj, Problem):
        if params:
            raise ProblemParameterError(f"{label} is a Problem object, so it takes no parameters "
                                        f"(got {', '.join(params)}); export a factory instead")
        return obj
    if hasattr(obj, "py_func"):
        raise ProblemFileError(f"{label} is a compiled oracle, not a factory; name the function "
                               "that returns the Problem (e.g. make)")
    if callable(obj) and not isinstance(obj, type):
        return _call_factory(obj, label, params)
    raise ProblemFileError(f"{label} is a {type(obj).__name__}, not a Problem or a function "
                           "returning one")
