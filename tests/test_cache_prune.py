"""The per-user cache does not grow without end: entries unused for a month go when a new one of
their kind is made (kernels after a compilation, verdicts under a new checker salt); a use marks
an entry; ``$ADAMTHEORY_CACHE_MAX_AGE_DAYS`` sets the age (0 keeps everything)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from adamtheory import usercache
from adamtheory.errors import InputError

DAY = 86400.0


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAMTHEORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ADAMTHEORY_CACHE_MAX_AGE_DAYS", raising=False)
    monkeypatch.setattr(usercache, "_MARKED", set())
    return tmp_path / "cache"


def _age(path, days):
    t = time.time() - days * DAY
    os.utime(path, (t, t))


def _entries(root):
    return sorted(p.name for p in root.iterdir())


def test_prune_removes_what_was_not_used_for_the_age(cache):
    root = cache / "kind"
    for name in ("old", "recent", "kept"):
        (root / name).mkdir(parents=True)
        (root / name / "f.json").write_text("{}")
    (root / "old.lock").write_text("")
    for name in ("old", "kept", "old.lock"):
        _age(root / name, 31)
    _age(root / "recent", 29)
    removed = usercache.prune("kind", keep=[root / "kept"])
    assert sorted(p.name for p in removed) == ["old", "old.lock"]
    assert _entries(root) == ["kept", "recent"]


def test_the_age_is_a_setting(cache, monkeypatch):
    root = cache / "kind"
    (root / "a").mkdir(parents=True)
    _age(root / "a", 5)
    monkeypatch.setenv("ADAMTHEORY_CACHE_MAX_AGE_DAYS", "0")
    assert usercache.prune("kind") == [] and _entries(root) == ["a"]
    monkeypatch.setenv("ADAMTHEORY_CACHE_MAX_AGE_DAYS", "4.5")
    assert [p.name for p in usercache.prune("kind")] == ["a"]
    for bad in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv("ADAMTHEORY_CACHE_MAX_AGE_DAYS", bad)
        with pytest.raises(InputError, match="give a number of days") as exc:
            usercache.prune("kind")
        assert "\n" not in str(exc.value)
    # the verdicts' path says so too (a new salt prunes), not only a compilation
    with pytest.raises(InputError, match="ADAMTHEORY_CACHE_MAX_AGE_DAYS=inf"):
        usercache.write_entry("verdicts", "d" * 64, "q", 1)


def test_a_new_verdict_salt_removes_salts_unused_for_a_month(cache):
    usercache.write_entry("verdicts", "a" * 64, "q", 1)
    usercache.write_entry("verdicts", "b" * 64, "q", 2)
    root = cache / "verdicts"
    _age(root / ("a" * 32), 40)
    _age(root / ("b" * 32), 40)
    assert usercache.read_entry("verdicts", "b" * 64, "q") == 2  # a read marks salt b as used
    usercache.write_entry("verdicts", "c" * 64, "q", 3)           # a new salt: prune
    assert _entries(root) == ["b" * 32, "c" * 32]
    assert usercache.read_entry("verdicts", "a" * 64, "q") is None
    usercache.write_entry("verdicts", "c" * 64, "r", 4)           # not a new salt: no prune
    _age(root / ("b" * 32), 40)
    usercache.write_entry("verdicts", "c" * 64, "s", 5)
    assert _entries(root) == ["b" * 32, "c" * 32]


def test_a_compilation_removes_kernels_unused_for_a_month(cache):
    from adamtheory.distributed.compressors import CODEC
    from adamtheory.engine.cache import compiled

    root = cache / "kernels"
    (root / "stale").mkdir(parents=True)
    (root / "stale" / "x.nbi").write_bytes(b"")
    (root / "stale.lock").write_bytes(b"")
    (root / "recent").mkdir()
    for name in ("stale", "stale.lock"):
        _age(root / name, 45)
    said = []
    fn = compiled(CODEC, (), "qsgd_radius", (np.ones(3),), "a test", announce=said.append)
    assert fn(np.ones(3)) == pytest.approx(np.sqrt(3.0), rel=1e-6)
    assert said and "stale" not in _entries(root) and "stale.lock" not in _entries(root)
    assert "recent" in _entries(root) and len(_entries(root)) == 3  # recent, the new entry, lock


def test_a_bad_age_is_an_error_before_compiling(cache, monkeypatch):
    from adamtheory.distributed.compressors import CODEC
    from adamtheory.engine.cache import compiled

    monkeypatch.setenv("ADAMTHEORY_CACHE_MAX_AGE_DAYS", "soon")
    said = []
    with pytest.raises(InputError, match="ADAMTHEORY_CACHE_MAX_AGE_DAYS=soon"):
        compiled(CODEC, (), "qsgd_radius", (np.ones(3),), "a test", announce=said.append)
    assert said == [] and sorted((cache / "kernels").glob("*")) == []  # nothing compiled
