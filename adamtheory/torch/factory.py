"""``adamtheory check --torch FILE.py:NAME``: verdicts for a user's optimizer factory.

The factory is a function ``NAME`` in the Python file ``FILE.py`` that takes no argument and
returns an optimizer, or a pair (optimizer, scheduler) (the scheduler may be None). The file is
the user's own code and is run as such (as ``python FILE.py`` would run it), in a module of its
own name; only its factory's result is used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

import torch

from ..errors import InputError
from .check import check

__all__ = ["load_factory", "check_factory"]


def load_factory(target: str):
    """(optimizer, scheduler) from ``"FILE.py:NAME"`` (InputError in one line otherwise)."""
    if not isinstance(target, str) or ":" not in target:
        raise InputError(f"--torch takes FILE.py:NAME (a factory function in a Python file), got "
                         f"{str(target)[:60]!r}")
    path, name = target.rsplit(":", 1)
    if not path.endswith(".py"):
        raise InputError(f"--torch: {path!r} is not a .py file; give FILE.py:NAME")
    if not name.isidentifier():
        raise InputError(f"--torch: {name!r} is not a Python name; give FILE.py:NAME")
    if not os.path.isfile(path):
        raise InputError(f"--torch: no file {path!r}")
    modname = "_adamtheory_factory_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise InputError(f"--torch: {path} line {exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # the user's file failed: one line, no traceback
        raise InputError(f"--torch: running {path} raised {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    fn = getattr(module, name, None)
    if fn is None or not callable(fn):
        raise InputError(f"--torch: {path} has no function {name!r}")
    try:
        out = fn()
    except Exception as exc:
        raise InputError(f"--torch: {name}() raised {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    if isinstance(out, torch.optim.Optimizer):
        return out, None
    if isinstance(out, (tuple, list)) and len(out) == 2 \
            and isinstance(out[0], torch.optim.Optimizer):
        return out[0], out[1]
    raise InputError(f"--torch: {name}() must return an optimizer or (optimizer, scheduler), got "
                     f"{type(out).__name__}")


def check_factory(target: str, horizon: int | None = None, as_json: bool = False) -> int:
    """Print the verdict of every param group of the factory's optimizer; returns 0."""
    optimizer, scheduler = load_factory(target)
    verdicts = check(optimizer, scheduler, horizon=horizon)
    if as_json:
        print(json.dumps([v.to_dict() for v in verdicts], indent=2, ensure_ascii=False,
                         default=str))
    else:
        sched = f" with {type(scheduler).__name__}" if scheduler is not None else ""
        print(f"{type(optimizer).__name__}{sched}: {len(verdicts)} param group(s)")
        for v in verdicts:
            print(v)
    return 0
