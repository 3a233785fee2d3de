"""Where chunks run: in this process, in local worker processes, or on a Dask cluster.

Every backend runs :func:`run_chunk` once per pending chunk; the chunk is computed *and written
to the store* by whoever runs it, and only its small record comes back. ``on_done(record)`` is
called in the calling thread as chunks finish (for the progress bar and the manifest). On the
first failure the chunks not yet started are cancelled, those in flight finish (and stay in the
store) and the error is raised.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import logging
import multiprocessing as mp
import uuid

from ..errors import InputError
from .plan import cpu_count
from .store import write_chunk


def run_chunk(sweep, plan, out: str, cid: int, threads: int | None = None) -> dict:
    """Compute chunk ``cid`` and write it to the store at ``out``; returns its record."""
    if threads is None:
        threads = _dask_worker_threads()
    if threads:
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    arrays, meta = sweep.compute_chunk(plan, cid)
    return write_chunk(out, sweep.fingerprint, cid, arrays, meta, plan.box(cid))


def _dask_worker_threads() -> int | None:
    try:
        from distributed import get_worker

        w = get_worker()
    except (ImportError, ValueError):
        return None
    return max(1, cpu_count() // max(1, int(getattr(w.state, "nthreads", 1))))


# ---------------------------------------------------------------------- in this process
def run_local(sweep, plan, out, pending, on_done) -> None:
    for cid in pending:
        on_done(run_chunk(sweep, plan, str(out), cid, threads=0))


# ---------------------------------------------------------------------- local processes
_POOLS: dict = {}


def _pool(n: int) -> cf.ProcessPoolExecutor:
    """A process pool of ``n`` workers kept for reuse (the engine compiles once per process)."""
    pool = _POOLS.get(n)
    if pool is None:
        pool = cf.ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"))
        _POOLS[n] = pool
    return pool


@atexit.register
def shutdown_pools() -> None:
    """Stop the cached worker processes."""
    for pool in list(_POOLS.values()):
        pool.shutdown(wait=True, cancel_futures=True)
    _POOLS.clear()


def _drain(futures, on_done) -> None:
    error = None
    for f in cf.as_completed(futures):
        try:
            rec = f.result()
        except cf.CancelledError:
            continue
        except BaseException as exc:  # noqa: BLE001
            if error is None:
                error = exc
                for g in futures:
                    g.cancel()
            continue
        on_done(rec)
    if error is not None:
        raise error


def run_processes(sweep, plan, out, pending, on_done, workers: int) -> None:
    threads = max(1, cpu_count() // workers)
    pool = _pool(workers)
    try:
        futures = [pool.submit(run_chunk, sweep, plan, str(out), cid, threads) for cid in pending]
        _drain(futures, on_done)
    except cf.process.BrokenProcessPool:
        _POOLS.pop(workers, None)
        raise RuntimeError("a worker process died (out of memory?); run again, resuming the "
                           "store") from None


# ---------------------------------------------------------------------- Dask
def local_cluster(n: int):
    """A Dask LocalCluster of ``n`` one-thread worker processes listening on 127.0.0.1 only."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           protocol="tcp", dashboard_address=None, silence_logs=logging.ERROR)
    if not cluster.scheduler_address.startswith("tcp://127.0.0.1:"):  # pragma: no cover
        cluster.close()
        raise RuntimeError(f"local cluster is not on loopback: {cluster.scheduler_address}")
    return cluster


class DaskConnection:
    """A Dask client (and the local cluster it owns, if any); :meth:`close` stops both."""

    def __init__(self, client, cluster, threads):
        self.client, self.cluster, self.threads = client, cluster, threads

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def connect_dask(address=None, local=None) -> DaskConnection:
    """Connect to the scheduler at ``address`` or start a local cluster of ``local`` workers.

    Called before the result store is created, so that a scheduler that cannot be reached
    leaves nothing behind.
    """
    try:
        from distributed import Client
    except ImportError:
        raise InputError("Dask is not installed: pip install 'adamtheory[dask]' (or "
                         "'dask[distributed]') to use a scheduler or dask_local") from None
    if local:
        cluster = local_cluster(int(local))
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
        return DaskConnection(client, cluster, max(1, cpu_count() // int(local)))
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"scheduler {address}: cannot connect ({exc}); give the "
                         "address of a running dask scheduler, e.g. "
                         "tcp://SCHEDULER-HOST:8786") from None
    return DaskConnection(client, None, None)


def run_dask(sweep, plan, out, pending, on_done, address=None, local=None,
             conn: DaskConnection | None = None) -> dict:
    """Run on ``conn`` (or a new connection to ``address`` / a local cluster of ``local``).

    Returns a description (scheduler address, workers, threads) for the dataset attributes.
    """
    from distributed import as_completed

    own = conn is None
    if own:
        conn = connect_dask(address, local)
    client, threads = conn.client, conn.threads
    try:
        info = {"scheduler": client.scheduler.address,
                "dask_workers": len(client.scheduler_info().get("workers", {})),
                "dask_threads": sum(client.nthreads().values())}
        token = uuid.uuid4().hex[:8]
        sw = client.scatter(sweep, broadcast=True)
        futures = [client.submit(run_chunk, sw, plan, str(out), cid, threads,
                                 key=f"adamtheory-chunk-{token}-{cid}") for cid in pending]
        error = None
        for f in as_completed(futures):
            try:
                rec = f.result()
            except BaseException as exc:  # noqa: BLE001
                if error is None:
                    error = exc
                    client.cancel([g for g in futures if not g.done()])
                continue
            on_done(rec)
        if error is not None:
            raise error
        return info
    finally:
        if own:
            conn.close()


def cores_for(workers: int, local: int | None) -> int:
    return cpu_count() if not local else min(cpu_count(), int(local))
