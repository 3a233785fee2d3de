"""Bounds on what a command may allocate, read or write, and strict JSON output.

Every command that allocates in proportion to a user's number (steps, dimension, clients,
workers) estimates the bytes first and refuses with one line, as ``adamtheory sweep`` does,
when the estimate exceeds the memory it may use: :data:`MEMORY_FRACTION` of the memory
available now, lowered by the process's own limits (``ulimit -v`` / ``RLIMIT_AS``,
``RLIMIT_DATA``) and by the environment variable ``ADAMTHEORY_MEMORY_LIMIT`` (e.g. ``2G``).

Input files are read with a size cap (:func:`read_text`), output paths are checked before any
work starts (:func:`check_output_file`, :func:`check_output_dir`), and JSON is written with
``null`` for non-finite numbers (:func:`dumps`), never the non-standard ``NaN``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from .errors import InputError

#: Fraction of the available memory a command may plan to use.
MEMORY_FRACTION = 0.8
#: Largest input file read (sweep files, problem lists): 16 MB.
MAX_INPUT_BYTES = 16 << 20
#: Largest integer accepted for counts and seeds from the command line (int64-safe).
MAX_INT = 2**63 - 1


def _parse_size(text: str) -> int | None:
    text = text.strip().upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    try:
        value = float(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value > 0 else None


def _rlimit_room() -> float:
    """Bytes left under RLIMIT_AS / RLIMIT_DATA (inf when unlimited or unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover
        return math.inf
    room = math.inf
    status = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmSize", "VmData"):
                    status[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    for which, key in ((resource.RLIMIT_AS, "VmSize"), (resource.RLIMIT_DATA, "VmData")):
        soft, _ = resource.getrlimit(which)
        if soft != resource.RLIM_INFINITY:
            room = min(room, max(0, soft - status.get(key, 0)))
    return room


def available_memory() -> int:
    """Bytes a command may use now (see the module docstring)."""
    avail = None
    try:
        import psutil

        avail = int(psutil.virtual_memory().available)
    except ImportError:
        try:
            with open("/proc/meminfo") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        avail = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    avail = (4 << 30) if avail is None else avail
    room = min(avail * MEMORY_FRACTION, _rlimit_room())
    env = os.environ.get("ADAMTHEORY_MEMORY_LIMIT")
    if env:
        limit = _parse_size(env)
        if limit is None:
            raise InputError(f"ADAMTHEORY_MEMORY_LIMIT={env!r}: write a size such as 8G or 512M")
        room = min(room, limit)
    return int(room)


def human(n: float) -> str:
    """Bytes as text: ``1.5 GB``."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000.0
    return f"{n:.3g} PB"


def require_memory(need: float, what: str, hint: str) -> None:
    """Raise a one-line :class:`InputError` when ``need`` bytes exceed :func:`available_memory`.

    ``what`` names the request (``"--steps 1000000000"``), ``hint`` how to make it smaller.
    """
    avail = available_memory()
    if not need <= avail:
        raise InputError(f"{what} needs about {human(need)} of memory but {human(avail)} is "
                         f"available; {hint}")


def check_int(value, name: str, lo: int = 0, hi: int = MAX_INT) -> int:
    """``value`` as an int in [lo, hi] or a one-line InputError naming the flag ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be an integer, got {value!r}") from None
        if not math.isfinite(f) or f != int(f):
            raise InputError(f"{name} must be a finite integer, got {value!r}")
        value = int(f)
    if not lo <= value <= hi:
        raise InputError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def check_float(value, name: str) -> float:
    """``value`` as a finite float or a one-line InputError."""
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(f):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return f


def _writable_dir(d: Path, shown: str) -> None:
    if not d.is_dir():
        raise InputError(f"cannot write {shown}: {str(d)!r} is not a directory")
    if not os.access(d, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {shown}: the directory {str(d)!r} is not writable")


def _check_name(path: Path, shown: str) -> None:
    try:
        max_name = os.pathconf(_existing_parent(path), "PC_NAME_MAX")
    except (OSError, ValueError):
        max_name = 255
    for part in path.parts:
        if len(os.fsencode(part)) > max_name:
            raise InputError(f"cannot write {shown}: the name {part[:20]!r}... has more than "
                             f"{max_name} bytes")
    if "\x00" in str(path):
        raise InputError(f"cannot write {shown}: the path contains a NUL character")


def _existing_parent(path: Path) -> Path:
    p = path.absolute().parent
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output_file(path, what: str = "output file") -> Path:
    """Check that a file can be created at ``path`` before any work starts.

    Refused (one line): an existing directory, a name longer than the file system allows, a
    parent that is not a writable directory (``/proc/x``, a read-only directory), an existing
    file that is not writable. Missing parent directories are fine if they can be created.
    """
    p = Path(os.fspath(path)).expanduser()
    shown = f"the {what} {str(p)[:80]!r}"
    _check_name(p, shown)
    if p.is_dir():
        raise InputError(f"cannot write {shown}: it is an existing directory; give a file name")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(f"cannot write {shown}: the file is not writable")
    parent = p.absolute().parent
    _writable_dir(parent if parent.exists() else _existing_parent(p), shown)
    if parent.exists() and not p.exists():
        # the definitive test (root ignores permission bits; /proc and read-only mounts do not):
        # create the file and remove it again
        try:
            with open(p, "xb"):
                pass
            p.unlink()
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    return p


def check_output_dir(path, what: str = "output directory") -> Path:
    """Check that ``path`` is, or can be created as, a writable directory, and create it
    (one-line refusal otherwise)."""
    p = Path(os.fspath(path)).expanduser()
    shown = f"the {what} {str(p)[:80]!r}"
    _check_name(p, shown)
    if p.exists():
        if not p.is_dir():
            raise InputError(f"cannot write {shown}: it exists and is not a directory")
        _writable_dir(p, shown)
    else:
        _writable_dir(_existing_parent(p), shown)
        try:
            p.mkdir(parents=True)
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(f"cannot create {shown}: {exc.strerror or exc}") from None
    return p


def read_text(path, what: str = "file", limit: int = MAX_INPUT_BYTES) -> str:
    """The text of ``path``, refusing (one line) a file larger than ``limit`` bytes or one that
    is not a regular file (``/dev/zero`` is never read past ``limit``)."""
    p = Path(os.fspath(path))
    try:
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what} {str(p)!r}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"the {what} {str(p)!r} is larger than {human(limit)}; is it the right "
                         "file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} {str(p)!r} is not UTF-8 text (byte {exc.start})") from None


def finite_or_none(obj):
    """``obj`` with every non-finite float (and numpy scalar/array element) replaced by None."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if np is not None:
        if isinstance(obj, np.ndarray):
            return finite_or_none(obj.tolist())
        if isinstance(obj, np.generic):
            return finite_or_none(obj.item())
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def dumps(obj, default=None, **kw) -> str:
    """Strict JSON: non-finite numbers become ``null`` (never ``NaN``/``Infinity``)."""
    def _default(o):
        if default is not None:
            return finite_or_none(default(o))
        return str(o)

    return json.dumps(finite_or_none(obj), allow_nan=False, default=_default, **kw)
