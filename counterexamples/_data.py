"""Datasets shipped inside the package (no download at run time).

:func:`breast_cancer` returns the Wisconsin diagnostic breast cancer data (UCI, Wolberg et al.,
CC BY 4.0; see ``data/README.md``) as one float64 array ``[Z | 1 | y]`` of shape (569, 32):
30 features standardised to mean 0 and variance 1 (population variance, ddof = 0), a bias
column of ones, and the label y in {0, 1} (1 = benign) in the last column. This is the layout the
``data`` argument of the oracles of ``logreg-nonconvex`` and ``two-layer-net`` expects.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from pathlib import Path

import numpy as np

from .errors import ProblemError

DATA_DIR = Path(__file__).with_name("data")
_BREAST_CANCER = DATA_DIR / "breast_cancer.csv.gz"
_BREAST_CANCER_SHA256 = "f77cd02db86b8f736d4aab442e9de4d817fa0d8ec52d185ea23518a223571e97"


def read_verified_lines(path: Path, sha256: str, error=ProblemError) -> list:
    """The text lines of the shipped gzip file ``path`` after checking its sha256; a missing or
    corrupted file raises ``error`` (one line saying how to restore it)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"dataset file {path} is missing; reinstall adamtheory ({path.parent.name}/ "
                    "must ship with the package)") from None
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise error(f"dataset file {path} is corrupted (checksum mismatch); restore it from the "
                    "repository")
    return gzip.decompress(raw).decode("ascii").splitlines()


@functools.cache
def _breast_cancer_table() -> np.ndarray:
    lines = read_verified_lines(_BREAST_CANCER, _BREAST_CANCER_SHA256)
    n, p = (int(v) for v in lines[0].split(",")[:2])
    table = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    assert table.shape == (n, p + 1), table.shape
    z = table[:, :p]
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    out = np.empty((n, p + 2))
    out[:, :p] = z
    out[:, p] = 1.0
    out[:, p + 1] = table[:, p]
    out.setflags(write=False)
    return out


def breast_cancer() -> np.ndarray:
    """A fresh writable copy of ``[standardised features | 1 | label]``, shape (569, 32)."""
    return np.array(_breast_cancer_table(), dtype=np.float64, order="C")
