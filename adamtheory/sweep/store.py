"""The result store: per-chunk files with checksums, and the assembled zarr dataset.

Layout of an output directory ``OUT``::

    OUT/sweep.toml           the sweep file as given
    OUT/store.json           fingerprint of the sweep, chunk layout, package version
    OUT/chunks/c000012.npz   the arrays of chunk 12 (see :mod:`.compute`)
    OUT/chunks/c000012.json  its record: sha256 and size of the .npz, timings, fingerprint
    OUT/manifest.json        the records of all finished chunks
    OUT/results.zarr/        the assembled dataset (zarr format 2, chunked like the sweep)

Every file is written to a temporary name in the same directory, flushed to disk and moved into
place with :func:`os.replace`, so a reader (or a resumed sweep) sees either the whole file or
none of it. A chunk counts as finished only when its record exists and the sha256 of its .npz
matches: a truncated or corrupted chunk is recomputed, never read as data. A chunk is written
by whoever computed it (a local process or a Dask worker); the store needs ``OUT`` to be visible
to them, nothing else.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import time
import uuid
from pathlib import Path

import numpy as np

from .errors import StoreError

FORMAT = "adamtheory-sweep/1"
CHUNK_KEYS = ("x", "dist", "fgap", "gnorm", "pgnorm", "regret", "grad43", "gradmin2", "label",
              "flag", "stop_step", "x_final")


def chunk_path(out, cid: int) -> Path:
    return Path(out) / "chunks" / f"c{cid:06d}.npz"


def record_path(out, cid: int) -> Path:
    return Path(out) / "chunks" / f"c{cid:06d}.json"


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


def _oserror(exc: OSError, what: str) -> StoreError:
    reason = exc.strerror or str(exc)
    return StoreError(f"cannot write {what}: {reason} ({exc.filename or ''}); finished chunks "
                      "are kept: fix it (free space, permissions) and run again with --resume")


# ---------------------------------------------------------------------- chunks
def write_chunk(out, fingerprint: str, cid: int, arrays: dict, meta: dict) -> dict:
    """Write chunk ``cid`` and its record; returns the record."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    rec = {**meta, "chunk": int(cid), "keys": sorted(arrays),
           "sha256": hashlib.sha256(data).hexdigest(),
           "bytes": len(data), "fingerprint": fingerprint, "host": socket.gethostname(),
           "pid": os.getpid(), "written": time.time()}
    try:
        atomic_write(chunk_path(out, cid), data)
        atomic_write(record_path(out, cid), json.dumps(rec).encode())
    except OSError as exc:
        raise _oserror(exc, f"chunk {cid} to {Path(out) / 'chunks'}") from None
    return rec


class InvalidChunk(Exception):
    """A chunk file that is missing, truncated, corrupted or from another sweep."""


def read_record(out, cid: int, fingerprint: str) -> dict:
    try:
        rec = json.loads(record_path(out, cid).read_bytes())
    except FileNotFoundError:
        raise InvalidChunk("no record (interrupted while writing)") from None
    except (OSError, ValueError) as exc:
        raise InvalidChunk(f"unreadable record ({type(exc).__name__})") from None
    if not isinstance(rec, dict) or rec.get("fingerprint") != fingerprint:
        raise InvalidChunk("record from another sweep")
    return rec


def read_chunk(out, cid: int, fingerprint: str, n: int | None = None) -> tuple[dict, dict]:
    """Verified arrays and record of chunk ``cid`` (raises :class:`InvalidChunk`)."""
    rec = read_record(out, cid, fingerprint)
    try:
        data = chunk_path(out, cid).read_bytes()
    except OSError:
        raise InvalidChunk("data file missing") from None
    if len(data) != rec.get("bytes") or hashlib.sha256(data).hexdigest() != rec.get("sha256"):
        raise InvalidChunk("checksum mismatch (truncated or corrupted)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - any decoding failure means a bad chunk
        raise InvalidChunk(f"undecodable ({type(exc).__name__})") from None
    keys = rec.get("keys", CHUNK_KEYS)
    missing = [k for k in keys if k not in arrays]
    if missing or not keys or (n is not None and any(arrays[k].shape[0] != n for k in keys)):
        raise InvalidChunk("wrong contents")
    return arrays, rec


def scan(out, plan, fingerprint: str) -> tuple[dict, list]:
    """Finished chunks ``{cid: record}`` and invalid ones ``[(cid, reason)]`` (removed)."""
    out = Path(out)
    done, bad = {}, []
    cdir = out / "chunks"
    if not cdir.is_dir():
        return done, bad
    for p in cdir.glob(".*.tmp"):  # left by a killed writer
        try:
            p.unlink()
        except OSError:
            pass
    present = {int(p.stem[1:]) for p in cdir.glob("c*.*") if p.stem[1:].isdigit()}
    for cid in sorted(present):
        if cid >= plan.n_chunks:
            continue
        try:
            _, rec = read_chunk(out, cid, fingerprint, plan.chunk_configs(cid))
            done[cid] = rec
        except InvalidChunk as exc:
            bad.append((cid, str(exc)))
            for p in (chunk_path(out, cid), record_path(out, cid)):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
                except OSError as e:
                    raise _oserror(e, f"(remove invalid) chunk {cid}") from None
    return done, bad


# ---------------------------------------------------------------------- store metadata
def init_store(out, sweep, plan) -> None:
    """Create ``out`` with sweep.toml and store.json (a fresh store)."""
    out = Path(out)
    try:
        (out / "chunks").mkdir(parents=True, exist_ok=True)
        atomic_write(out / "sweep.toml", sweep.text.encode())
        meta = {"format": FORMAT, "fingerprint": sweep.fingerprint, "shape": list(plan.shape),
                "chunk": list(plan.chunk), "n_chunks": plan.n_chunks,
                "version": sweep.canonical()["version"], "created": time.time()}
        atomic_write(out / "store.json", json.dumps(meta, indent=1).encode())
    except OSError as exc:
        raise _oserror(exc, f"the result store {str(out)!r}") from None


def read_store_meta(out) -> dict | None:
    p = Path(out) / "store.json"
    if not p.exists():
        return None
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError):
        raise StoreError(f"{str(p)!r} is unreadable; remove {str(out)!r} or choose another "
                         "-o") from None
    if meta.get("format") != FORMAT:
        raise StoreError(f"{str(out)!r} is not an adamtheory sweep store; choose another -o")
    return meta


def write_manifest(out, records: dict, extra: dict | None = None) -> None:
    body = {"format": FORMAT, **(extra or {}),
            "chunks": [records[k] for k in sorted(records)]}
    try:
        atomic_write(Path(out) / "manifest.json", json.dumps(body, indent=1).encode())
    except OSError as exc:
        raise _oserror(exc, "manifest.json") from None
