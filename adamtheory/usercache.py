"""The per-user cache directory, and inert JSON entries kept in it.

Two things are cached per user: compiled kernels (:mod:`adamtheory.engine.cache`) and the
checker's verdicts (:func:`adamtheory.conditions.check` with ``cache=True``). This module holds
what both share: where the directory is, and a store of JSON entries that are data only (nothing
in them is imported, unpickled or run).

The directory is ``$ADAMTHEORY_CACHE_DIR`` if set, else the per-user cache directory
(``$XDG_CACHE_HOME/adamtheory`` or ``~/.cache/adamtheory`` on Linux, ``~/Library/Caches/
adamtheory`` on macOS, ``%LOCALAPPDATA%\\adamtheory\\Cache`` on Windows).

JSON entries
------------
An entry is ``<cache dir>/<kind>/<salt[:32]>/<sha256(key)>.json`` holding
``{"salt": salt, "key": key, "value": value}``. The *salt* names what produced the value (for
verdicts: a SHA-256 of the checker's source, so a changed checker starts an empty directory);
the *key* is the full text of the question (for verdicts: the spec). :func:`read_entry` returns
the value only if the file parses and names exactly that salt and key; anything else (absent,
truncated, corrupted or another question's file) reads as absent, is computed again and
overwritten. :func:`write_entry` writes through :func:`atomic_write` (a temporary file renamed
into place, the one writer of the project's caches and sweep stores), so a killed process leaves
no half-written entry; a directory that cannot be written only means nothing is reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

from .errors import InputError

#: A cache entry (a kernel's directory, a salt's directory of JSON entries) not used for this
#: many days is removed when a new entry of its kind is made; ``$ADAMTHEORY_CACHE_MAX_AGE_DAYS``
#: overrides it (0: keep every entry).
MAX_AGE_DAYS = 30.0


def cache_dir() -> Path:
    """The cache's root: ``$ADAMTHEORY_CACHE_DIR`` or the per-user cache directory."""
    env = os.environ.get("ADAMTHEORY_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":  # pragma: no cover - platform specific
        return Path.home() / "Library" / "Caches" / "adamtheory"
    if os.name == "nt":  # pragma: no cover
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "adamtheory" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "adamtheory"


def max_age_days() -> float:
    """:data:`MAX_AGE_DAYS`, or ``$ADAMTHEORY_CACHE_MAX_AGE_DAYS`` when set."""
    text = os.environ.get("ADAMTHEORY_CACHE_MAX_AGE_DAYS", "").strip()
    if not text:
        return MAX_AGE_DAYS
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not (math.isfinite(days) and days >= 0):
        raise InputError(f"ADAMTHEORY_CACHE_MAX_AGE_DAYS={text}: give a number of days >= 0 "
                         "(0 keeps every cache entry)")
    return days


_MARKED: set = set()


def mark_used(path: Path) -> None:
    """Record that the cache entry ``path`` was used now (its modification time, which
    :func:`prune` reads), once per process and entry; nothing if it cannot be written."""
    key = str(path)
    if key in _MARKED:
        return
    with contextlib.suppress(OSError):
        os.utime(path)
        _MARKED.add(key)


def prune(kind: str, keep=(), now: float | None = None) -> list:
    """Remove what ``<cache dir>/<kind>/`` holds (entry directories and files) not used for
    :func:`max_age_days` (by its modification time, see :func:`mark_used`), except the paths in
    ``keep``; returns the paths removed. Called when a new entry of ``kind`` is made, so the
    cache does not grow with every changed source or checker; what cannot be removed is left."""
    days = max_age_days()
    if days == 0:
        return []
    cutoff = (time.time() if now is None else now) - days * 86400.0
    keep = {str(p) for p in keep}
    removed = []
    try:
        children = list((cache_dir() / kind).iterdir())
    except OSError:
        return []
    for child in children:
        try:
            if str(child) in keep or child.lstat().st_mtime >= cutoff:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        except OSError:
            continue
        removed.append(child)
    return removed


def entry_path(kind: str, salt: str, key: str) -> Path:
    """The file of entry ``key`` of ``kind`` under ``salt``."""
    name = hashlib.sha256(key.encode()).hexdigest()
    return cache_dir() / kind / salt[:32] / f"{name}.json"


def read_entry(kind: str, salt: str, key: str):
    """The value stored for ``key`` under ``salt``, or None (absent or not trusted)."""
    try:
        entry = json.loads(entry_path(kind, salt, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("salt") != salt or entry.get("key") != key:
        return None
    mark_used(entry_path(kind, salt, key).parent)
    return entry.get("value")


def write_entry(kind: str, salt: str, key: str, value) -> None:
    """Store ``value`` (strict JSON) for ``key`` under ``salt`` (:func:`atomic_write`); skipped
    silently if the cache cannot be written."""
    path = entry_path(kind, salt, key)
    new = False
    with contextlib.suppress(OSError, ValueError, TypeError):
        text = json.dumps({"salt": salt, "key": key, "value": value}, allow_nan=False)
        new = not path.parent.is_dir()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode())
    if new:  # a new salt (a changed checker, another version): old salts may go; a bad
        prune(kind, keep=[path.parent])  # $ADAMTHEORY_CACHE_MAX_AGE_DAYS is an error here too


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)
