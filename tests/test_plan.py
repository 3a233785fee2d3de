"""Chunk layout and memory estimates of a sweep (adamtheory.sweep.plan), without running it.

The layout is checked as geometry (chunks tile the configuration array exactly once, in C order
of the chunk grid); the estimate as a promise: a plan that is returned fits the memory it was
given (an explicit ``memory_limit``, else the available memory lowered by
``ADAMTHEORY_MEMORY_LIMIT``), and a sweep that does not fit is refused in one line that says how
to make it fit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adamtheory.errors import InputError
from adamtheory.sweep import SweepFileError, loads, make_plan
from adamtheory.sweep.plan import Plan, chunk_shape, duration, result_bytes_per_config


def text(s=4, r=3, seeds=2, steps=3000, run=""):
    return f"""
[problem]
name = "reddi-sec5-online"

[optimizer]
alpha = "0.5 * t**(-s)"
beta  = "0.9"
theta = "1 - 0.01 * t**(-r)"

[grid]
s = {{ start = 0.1, stop = 1.0, num = {s} }}
r = {{ start = 0.0, stop = 1.0, num = {r} }}

[run]
steps = {steps}
seeds = {seeds}
{run}
"""


@pytest.fixture(scope="module")
def small():
    return loads(text())


@pytest.fixture(scope="module")
def big():
    """160 000 configurations: results of about 0.1 GB."""
    return loads(text(s=400, r=400, seeds=1))


def one_line(exc) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg, msg
    return msg


# ---------------------------------------------------------------------- layout
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=4).map(tuple),
       target=st.integers(1, 5000))
def test_chunk_shape_is_about_target_and_splits_one_dimension(shape, target):
    ch = chunk_shape(shape, target)
    n, c = math.prod(shape), math.prod(ch)
    assert len(ch) == len(shape) and all(1 <= a <= b for a, b in zip(ch, shape))
    if target >= n:
        assert ch == shape
    else:
        assert target / 2 < c <= target
    split = [i for i, (a, b) in enumerate(zip(ch, shape)) if a != b]
    if split:  # trailing dimensions whole, leading ones a single index
        k = split[-1]
        assert all(a == b for a, b in zip(ch[k + 1:], shape[k + 1:]))
        assert all(a == 1 for a in ch[:k])


def hand_plan(shape, chunk) -> Plan:
    return Plan(shape=shape, chunk=chunk, tables_mode="global", stream=False, memory_needed=0,
                memory_available=1, result_bytes=0, config_steps=0, processes=1)


@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=4).map(tuple), data=st.data())
def test_chunks_tile_the_configurations_exactly_once(shape, data):
    chunk = tuple(data.draw(st.integers(1, s)) for s in shape)
    p = hand_plan(shape, chunk)
    assert p.grid == tuple(math.ceil(s / c) for s, c in zip(shape, chunk))
    seen = np.zeros(shape, dtype=int)
    for cid in range(p.n_chunks):
        box = p.box(cid)
        assert np.unravel_index(cid, p.grid) == tuple(a // c for (a, _), c in zip(box, chunk))
        assert p.box_shape(cid) == tuple(b - a for a, b in box)
        assert p.chunk_configs(cid) == math.prod(p.box_shape(cid))
        seen[p.slices(cid)] += 1
        idx = p.indices(cid)  # the configurations of the chunk, C order of its box
        flat = np.ravel_multi_index(tuple(idx), shape)
        assert np.array_equal(flat, np.arange(seen.size).reshape(shape)[p.slices(cid)].ravel())
    assert (seen == 1).all()


def test_chunk_size_is_respected(small):
    for size in (1, 5, 7, 24, 10**6):
        p = make_plan(small, chunk_size=size)
        assert math.prod(p.chunk) <= max(1, min(size, small.n_configs))
        assert sum(p.chunk_configs(c) for c in range(p.n_chunks)) == small.n_configs
    assert make_plan(small, chunk_size=10**6).n_chunks == 1


def test_parallel_plans_give_every_process_work(small, big):
    assert make_plan(small).n_chunks == 1  # 24 configurations: one chunk for one process
    for sw in (small, big):
        for procs in (2, 4):
            assert make_plan(sw, processes=procs).n_chunks >= 2 * procs


def test_a_fixed_chunk_shape_is_kept(small):
    assert make_plan(small, chunk=(1, 3, 2)).chunk == (1, 3, 2)


# ---------------------------------------------------------------------- estimates
def test_totals(small):
    p = make_plan(small)
    assert p.config_steps == small.n_configs * small.steps
    assert p.result_bytes == small.n_configs * result_bytes_per_config(small)
    assert p.memory_needed <= p.memory_available


def test_memory_grows_with_processes(big):
    need = [make_plan(big, processes=k, chunk=(1, 400, 1)).memory_needed for k in (1, 2, 4)]
    assert need[0] < need[1] < need[2]


def test_explicit_limit_boundary(big):
    """A plan fits its limit exactly: the estimate is accepted at the limit, refused one byte
    below it."""
    need = make_plan(big, memory_limit=1 << 40).memory_needed
    p = make_plan(big, memory_limit=need)
    assert p.memory_needed == need and p.memory_available == need
    with pytest.raises(SweepFileError) as exc:
        make_plan(big, memory_limit=need - 1)
    msg = one_line(exc)
    assert msg.startswith("[grid]:") and "160000 configurations" in msg
    assert "stream = true" in msg


@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_limit_is_refused(big, bad):
    """memory_limit = 0 is a refusal, not "measure the machine"."""
    with pytest.raises(SweepFileError) as exc:
        make_plan(big, memory_limit=bad)
    assert "memory_limit must be a positive number of bytes" in one_line(exc)


def test_streaming_needs_less_memory(big):
    held = make_plan(big, memory_limit=1 << 40)
    streamed = make_plan(big, memory_limit=1 << 40, stream=True)
    assert streamed.stream and streamed.memory_needed < held.memory_needed / 4
    assert held.memory_needed >= 2 * held.result_bytes  # results assembled in memory
    limit = (held.memory_needed + streamed.memory_needed) // 2
    assert make_plan(big, memory_limit=limit, stream=True).memory_needed <= limit
    with pytest.raises(SweepFileError, match="stream = true"):
        make_plan(big, memory_limit=limit)
    with pytest.raises(SweepFileError) as exc:
        make_plan(big, memory_limit=streamed.memory_needed // 2, stream=True)
    assert "reduce the grid" in one_line(exc)


def test_tables_switch_to_per_chunk_rows_when_large():
    # 64 × 64 schedule rows of 10^6 steps: full tables of about 1 GB
    sw = loads(text(s=64, r=64, seeds=1, steps=10**6))
    assert make_plan(sw, memory_limit=8 << 30).tables_mode == "global"
    local = make_plan(sw, memory_limit=1 << 30, chunk_size=8)
    assert local.tables_mode == "local" and local.memory_needed <= 1 << 30
    with pytest.raises(SweepFileError) as exc:
        make_plan(sw, memory_limit=1 << 30, chunk_size=4096)
    msg = one_line(exc)
    assert msg.startswith("[run] steps = 1000000") and "chunk_size" in msg


# ---------------------------------------------------------------------- ADAMTHEORY_MEMORY_LIMIT
def test_environment_limit_lowers_the_available_memory(small, monkeypatch):
    monkeypatch.delenv("ADAMTHEORY_MEMORY_LIMIT", raising=False)
    free = make_plan(small).memory_available
    need = make_plan(small).memory_needed
    assert need < (1 << 20) < free  # the small sweep fits in 1 MiB; this machine has more
    monkeypatch.setenv("ADAMTHEORY_MEMORY_LIMIT", "1M")
    assert make_plan(small).memory_available == 1 << 20
    monkeypatch.setenv("ADAMTHEORY_MEMORY_LIMIT", "512k")
    assert make_plan(small).memory_available == 512 << 10
    monkeypatch.setenv("ADAMTHEORY_MEMORY_LIMIT", str(need - 1))
    with pytest.raises(SweepFileError) as exc:
        make_plan(small)
    one_line(exc)
    # an explicit limit is the caller's: it replaces the measured one
    assert make_plan(small, memory_limit=need).memory_available == need


@pytest.mark.parametrize("bad", ["lots", "-1G", "0", "nanG", "1e400"])
def test_bad_environment_limit_is_one_line(small, monkeypatch, bad):
    monkeypatch.setenv("ADAMTHEORY_MEMORY_LIMIT", bad)
    with pytest.raises(InputError) as exc:
        make_plan(small)
    msg = one_line(exc)
    assert "ADAMTHEORY_MEMORY_LIMIT" in msg and "8G" in msg


# ---------------------------------------------------------------------- text
def test_describe_is_one_line_with_counts(small):
    p = make_plan(small, chunk_size=5)
    line = p.describe(small, cores=2)
    assert "\n" not in line
    assert f"{small.n_configs} configurations" in line and f"{p.n_chunks} chunks" in line
    assert "on 2 cores" in line and "time ≈" in line


@pytest.mark.parametrize("secs, want", [(0.4, "0 s"), (59, "59 s"), (200, "3 min 20 s"),
                                        (7260, "2 h 1 min"), (86400 * 4, "4.0 days")])
def test_duration(secs, want):
    assert duration(secs) == want
