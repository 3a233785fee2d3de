"""The result store: per-chunk files with checksums, and the assembled zarr dataset.

Layout of an output directory ``OUT``::

    OUT/sweep.toml           the sweep file as given
    OUT/store.json           fingerprint of the sweep and what it covers (canonical), chunk
                             layout, package version, the digest of the code that computes
                             (:func:`.identity.code_digest`: a resume needs the same code), the
                             problem's identity and metadata
    OUT/.lock                held (flock) by the one sweep writing to OUT
    OUT/chunks/c000012.npz   the arrays of chunk 12 (see :mod:`.compute`), with its chunk id,
                             grid box and fingerprint embedded (``_id``, ``_fingerprint``)
    OUT/chunks/c000012.json  its record: sha256 and size of the .npz, chunk id, box, timings,
                             fingerprint
    OUT/manifest.json        the records of all finished chunks
    OUT/results.zarr/        the assembled dataset (zarr format 2, chunked like the sweep, with
                             per-array checksums, see :mod:`.dataset`)

Every file is written to a temporary name in the same directory, flushed to disk and moved into
place with :func:`os.replace`, so a reader (or a resumed sweep) sees either the whole file or
none of it. A chunk counts as finished only when its record exists, the sha256 of its .npz
matches, and both the record and the .npz say they are *this* chunk (id and grid box) of *this*
sweep (fingerprint): a truncated, corrupted, swapped or foreign chunk is recomputed, never read
as data. A chunk is written
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
from pathlib import Path

import numpy as np

from ..engine.metrics import NAMES as METRICS
from ..usercache import atomic_write
from .errors import StoreError
from .identity import code_digest

FORMAT = "adamtheory-sweep/2"
OLD_FORMATS = ("adamtheory-sweep/1",)
#: arrays embedded in every chunk file to tie it to its place: [cid, starts..., stops...], fp
ID_KEYS = ("_id", "_fingerprint")
CHUNK_KEYS = (*METRICS, "label", "flag", "stop_step", "x_final")


def chunk_path(out, cid: int) -> Path:
    return Path(out) / "chunks" / f"c{cid:06d}.npz"


def record_path(out, cid: int) -> Path:
    return Path(out) / "chunks" / f"c{cid:06d}.json"


def oserror(exc: OSError, what: str) -> StoreError:
    """The one-line StoreError for an OSError while writing ``what`` (finished chunks kept)."""
    reason = exc.strerror or str(exc)
    return StoreError(f"cannot write {what}: {reason} ({exc.filename or ''}); finished chunks "
                      "are kept: fix it (free space, permissions) and run again, resuming the "
                      "store")


# ---------------------------------------------------------------------- chunks
def _id_array(cid: int, box) -> np.ndarray:
    return np.array([int(cid)] + [int(a) for a, _ in box] + [int(b) for _, b in box],
                    dtype=np.int64)


def write_chunk(out, fingerprint: str, cid: int, arrays: dict, meta: dict, box=None) -> dict:
    """Write chunk ``cid`` (grid box ``box``, ``((start, stop), ...)``) and its record; returns
    the record."""
    box = [] if box is None else [[int(a), int(b)] for a, b in box]
    buf = io.BytesIO()
    np.savez(buf, **arrays, _id=_id_array(cid, box), _fingerprint=np.array(fingerprint))
    data = buf.getvalue()
    rec = {**meta, "chunk": int(cid), "box": box, "keys": sorted(arrays),
           "sha256": hashlib.sha256(data).hexdigest(),
           "bytes": len(data), "fingerprint": fingerprint, "host": socket.gethostname(),
           "pid": os.getpid(), "written": time.time()}
    try:
        atomic_write(chunk_path(out, cid), data)
        atomic_write(record_path(out, cid), json.dumps(rec).encode())
    except OSError as exc:
        raise oserror(exc, f"chunk {cid} to {Path(out) / 'chunks'}") from None
    return rec


class InvalidChunk(Exception):
    """A chunk file that is missing, truncated, corrupted or from another sweep."""


def _box_list(box):
    return None if box is None else [[int(a), int(b)] for a, b in box]


def read_record(out, cid: int, fingerprint: str, box=None) -> dict:
    """The record of chunk ``cid``, checked to be this chunk (id, and grid box if given) of the
    sweep ``fingerprint`` (raises :class:`InvalidChunk`)."""
    try:
        rec = json.loads(record_path(out, cid).read_bytes())
    except FileNotFoundError:
        raise InvalidChunk("no record (interrupted while writing)") from None
    except (OSError, ValueError) as exc:
        raise InvalidChunk(f"unreadable record ({type(exc).__name__})") from None
    if not isinstance(rec, dict) or rec.get("fingerprint") != fingerprint:
        raise InvalidChunk("record from another sweep")
    if rec.get("chunk") != int(cid):
        raise InvalidChunk(f"record of chunk {rec.get('chunk')!r}, not of chunk {cid} "
                           "(copied or swapped)")
    if box is not None and rec.get("box") != _box_list(box):
        raise InvalidChunk("record of another grid position (copied or swapped)")
    return rec


def read_chunk(out, cid: int, fingerprint: str, n: int | None = None,
               box=None) -> tuple[dict, dict]:
    """Verified arrays and record of chunk ``cid`` (raises :class:`InvalidChunk`).

    Verified means: the record is chunk ``cid`` of the sweep ``fingerprint`` (at grid box
    ``box`` if given), the .npz has the record's size and sha256, and the chunk id, box and
    fingerprint embedded in the .npz agree with the record.
    """
    rec = read_record(out, cid, fingerprint, box)
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
    ident, fp = arrays.pop("_id", None), arrays.pop("_fingerprint", None)
    if (ident is None or fp is None or ident.shape != (1 + 2 * len(rec.get("box") or []),)
            or str(fp) != fingerprint
            or not np.array_equal(ident, _id_array(cid, rec.get("box") or []))):
        raise InvalidChunk("data file is not this chunk of this sweep (copied or swapped)")
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
            _, rec = read_chunk(out, cid, fingerprint, plan.chunk_configs(cid), plan.box(cid))
            done[cid] = rec
        except InvalidChunk as exc:
            bad.append((cid, str(exc)))
            for p in (chunk_path(out, cid), record_path(out, cid)):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
                except OSError as e:
                    raise oserror(e, f"(remove invalid) chunk {cid}") from None
    return done, bad


# ---------------------------------------------------------------------- store metadata
def init_store(out, sweep, plan) -> None:
    """Create ``out`` with sweep.toml and store.json (a fresh store).

    store.json keeps the canonical description the fingerprint is the sha256 of (so that a
    mismatch can be named) and, for an engine sweep, what reading the store back needs instead
    of building the problem (:func:`.config.stored_problem_info`).
    """
    out = Path(out)
    try:
        (out / "chunks").mkdir(parents=True, exist_ok=True)
        atomic_write(out / "sweep.toml", sweep.text.encode())
        meta = {"format": FORMAT, "fingerprint": sweep.fingerprint, "shape": list(plan.shape),
                "chunk": list(plan.chunk), "n_chunks": plan.n_chunks,
                "version": sweep.canonical()["version"], "code": code_digest(),
                "created": time.time(), "canonical": sweep.canonical()}
        info = sweep.store_info()
        if info is not None:
            meta["problem_info"] = info
        atomic_write(out / "store.json", json.dumps(meta, indent=1).encode())
    except OSError as exc:
        raise oserror(exc, f"the result store {str(out)!r}") from None


def read_store_meta(out) -> dict | None:
    p = Path(out) / "store.json"
    if not p.exists():
        return None
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError):
        raise StoreError(f"{str(p)!r} is unreadable; remove {str(out)!r} or choose another "
                         "-o") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        if isinstance(meta, dict) and meta.get("format") in OLD_FORMATS:
            raise StoreError(f"{str(out)!r} was written by an older adamtheory (store format "
                             f"{meta['format']}, fingerprints without the problem's content); "
                             "run the sweep again into a new -o")
        raise StoreError(f"{str(out)!r} is not an adamtheory sweep store; choose another -o")
    return meta


def differences(old: dict, new: dict) -> list:
    """The top-level keys of two canonical descriptions that differ (for error messages)."""
    names = {"version": "package version", "sweep_sha256": "sweep file",
             "problem_identity": "problem (name or file content)", "problem": "problem name"}
    keys = sorted(set(old) | set(new))
    return [names.get(k, k) for k in keys if old.get(k) != new.get(k)]


# ---------------------------------------------------------------------- the writer's lock
LOCK = ".lock"


class Lock:
    """An exclusive :func:`fcntl.flock` on ``OUT/.lock``, held by the one sweep writing to OUT.

    The kernel drops the lock when its holder exits, however it exits (a SIGKILLed sweep does
    not leave a stale lock behind); the file itself stays.
    """

    def __init__(self, out):
        self.path = Path(out) / LOCK
        self.fd = None

    def acquire(self) -> Lock:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise oserror(exc, f"the lock file {str(self.path)!r}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            except OSError:
                holder = "another process"
            os.close(fd)
            raise StoreError(f"{str(self.path.parent)!r} is in use by another sweep ({holder}); "
                             "wait for it to finish or choose another -o") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            import fcntl

            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None


def write_manifest(out, records: dict, extra: dict | None = None) -> None:
    body = {"format": FORMAT, **(extra or {}),
            "chunks": [records[k] for k in sorted(records)]}
    try:
        atomic_write(Path(out) / "manifest.json", json.dumps(body, indent=1).encode())
    except OSError as exc:
        raise oserror(exc, "manifest.json") from None
