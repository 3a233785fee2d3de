r"""Efficient-Adam and compressed gradients on ``torch.distributed``.

Two placements of the parameter-server algorithms of :mod:`adamtheory.distributed.simulator`
(REFERENCE §5-6), with the toolkit's own compressors (:mod:`adamtheory.distributed.compressors`:
one definition of Q, its declared bits and its bit encoding; the messages on the wire are
exactly :func:`~adamtheory.distributed.compressors.encode`'s bit strings, packed 8 to a byte).

``worker-adam``: :class:`EfficientAdam` (a ``torch.optim.Optimizer``). At step t, rank i
(worker i of N) runs Generic Adam on its own gradient g_i and sends its compressed step::

    m_i = β_t m_i + (1-β_t) g_i ;  v_i = θ_t v_i + (1-θ_t) g_i²      (v_0 = ε, float64)
    p_i = lr α_t m_i / sqrt(v_i) + e_i ;  q_i = Q_w(p_i) ;  e_i = p_i - q_i    (worker EF)
    u = (1/N) Σ_i q_i + e_s ;  q = Q_s(u) ;  e_s = u - q                       (server EF)
    x ← x - q                                                                (every rank)

Communication (our choice, documented): an ``all_gather`` of the N encoded uplink messages
(fixed length: the declared bits of Q_w for d = all parameters, so no sizes are exchanged),
then every rank decodes them and forms u in rank order (the simulator's summation order);
rank 0 of the process group acts as the server: it compresses u with server error feedback and
``broadcast``\s the encoded downlink message, which every rank decodes and applies, so all ranks
hold bitwise identical parameters. The server error e_s is kept (identically) on every rank, so
any rank's checkpoint restores the server. A sharded server (DeepSpeed's compressed all-reduce)
would compress d/N-coordinate chunks, whose scaled-sign scales differ from the whole-vector
scale of the simulator; the replicated server keeps the algorithm identical to the simulator.

Bits (:attr:`EfficientAdam.bits_sent`) are counted as the simulator counts them: each step adds
N · bits(Q_w) to the uplink (the length of the N encoded messages) and N · bits(Q_s) to the
downlink (the server's message to each of the N workers).

``server-adam``: :func:`compressed_allreduce_hook` for
``DistributedDataParallel.register_comm_hook`` with a :class:`CompressionState`: each rank
compresses its gradient bucket with worker error feedback, the encoded messages are
all-gathered and averaged, and every rank's optimizer (e.g. :class:`~adamtheory.torch.GenericAdam`)
runs Adam on the average: the simulator's server-adam placement with an identity downlink
(every rank computes the server's update itself).

:func:`launch` runs a function on N local processes (forked by default, gloo on
loopback) and returns each rank's result.
"""

from __future__ import annotations

import os
import socket
import tempfile

import numpy as np
import torch
import torch.distributed as dist

from ..distributed.compressors import decode, encode, get, kernel
from ..errors import InputError
from .optim import group_spec, schedule_value

__all__ = ["EfficientAdam", "CompressionState", "compressed_allreduce_hook", "launch",
           "load_codecs", "pack_bits", "unpack_bits", "encode_packed", "decode_packed"]


# ----------------------------------------------------------------------------- wire format
def pack_bits(bits: str) -> torch.Tensor:
    """A '0'/'1' string packed into a uint8 tensor (8 bits a byte, most significant first,
    the last byte padded with zeros)."""
    arr = np.frombuffer(bits.encode("ascii"), dtype=np.uint8) - np.uint8(48)
    return torch.from_numpy(np.packbits(arr))


def unpack_bits(data: torch.Tensor, nbits: int) -> str:
    """The first ``nbits`` bits of a packed message as a '0'/'1' string."""
    arr = np.unpackbits(data.numpy())[:nbits] + np.uint8(48)
    return arr.tobytes().decode("ascii")


#: Compressors whose packed message is built with numpy (big-endian words, packed sign bits) in
#: one pass instead of through the '0'/'1' string; tests check byte equality with
#: ``pack_bits(encode(...))`` and value equality with ``decode``.
FAST = ("identity64", "identity32", "fp16", "bf16", "sign", "scaled_sign", "topk")


def encode_packed(q, x: np.ndarray, seed=0, t=1, stream=0) -> np.ndarray:
    """``pack_bits(encode(q, x, ...))`` as a uint8 array (numpy fast path for :data:`FAST`)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = q.name
    if n not in FAST:
        return pack_bits(encode(q, x, seed, t, stream)).numpy()
    if n == "identity64":
        return x.astype(">f8").view(np.uint8)
    if n == "sign":
        return np.packbits(x < 0.0)
    v = q.apply(x, seed, t, stream)
    if n == "topk":
        # k records: the index in w = bits/k - 32 bits, then the float32 value, most
        # significant bit first, in decreasing |x_i| (ties: lower index first)
        k = min(q.k, x.size)
        w = q.bits(x.size) // k - 32
        order = np.argsort(-np.abs(x), kind="stable")[:k]
        idx = ((order[:, None] >> np.arange(w - 1, -1, -1)) & 1).astype(np.uint8)
        val = np.unpackbits(v[order].astype(">f4").view(np.uint8).reshape(k, 4), axis=1)
        return np.packbits(np.concatenate([idx, val], axis=1).ravel())
    if n == "identity32":
        return v.astype(">f4").view(np.uint8)
    if n == "fp16":
        return v.astype(">f2").view(np.uint8)
    if n == "bf16":
        return (v.astype(np.float32).view(np.uint32) >> 16).astype(">u2").view(np.uint8)
    scale = np.array([abs(v[0])], dtype=">f4").view(np.uint8)
    return np.concatenate([scale, np.packbits(x < 0.0)])


def decode_packed(q, data: np.ndarray, d: int, seed=0, t=1, stream=0) -> np.ndarray:
    """Q(x) from a packed message (the inverse of :func:`encode_packed`; equals ``decode``)."""
    n = q.name
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if n not in FAST:
        return decode(q, unpack_bits(torch.from_numpy(data), q.bits(d)), d, seed, t, stream)
    if n == "identity64":
        return data.view(">f8").astype(np.float64)
    if n == "identity32":
        return data.view(">f4").astype(np.float64)
    if n == "fp16":
        return data.view(">f2").astype(np.float64)
    if n == "bf16":
        return (data.view(">u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if n == "sign":
        return np.where(np.unpackbits(data)[:d] == 1, -1.0, 1.0)
    if n == "topk":
        k = min(q.k, d)
        w = q.bits(d) // k - 32
        rec = np.unpackbits(data)[:k * (w + 32)].reshape(k, w + 32).astype(np.int64)
        out = np.zeros(d)
        out[rec[:, :w] @ (1 << np.arange(w - 1, -1, -1))] = \
            np.packbits(rec[:, w:].astype(np.uint8), axis=1).view(">f4").ravel()
        return out
    c = float(data[:4].view(">f4")[0])
    return np.where(np.unpackbits(data[4:])[:d] == 1, -c, c)


def _nbytes(nbits: int) -> int:
    return (nbits + 7) // 8


def _world(process_group):
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(process_group), dist.get_rank(process_group)
    return 1, 0


def _all_gather_bytes(payload: torch.Tensor, world: int, process_group):
    if world == 1:
        return [payload]
    out = [torch.empty_like(payload) for _ in range(world)]
    dist.all_gather(out, payload, group=process_group)
    return out


def _broadcast_bytes(payload: torch.Tensor, world: int, process_group):
    if world == 1:
        return payload
    src = 0 if process_group is None else dist.get_global_rank(process_group, 0)
    dist.broadcast(payload, src=src, group=process_group)
    return payload


def _compressor_seed(seed) -> np.int64:
    """The compressors' seed for run seed ``seed`` (as the simulator derives it)."""
    return kernel("compressor_seed", np.int64(seed))


def _stream_of(worker, role) -> np.int64:
    """The counter offset of message (worker, role) (as the simulator's)."""
    return kernel("stream_of", np.int64(worker), np.int64(role))


def _compressor(name, k, levels, what):
    try:
        return get(name, k=k, s=levels)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what}: {exc}") from None


class _Channel:
    """Encode, exchange and decode messages of one compressor and dimension."""

    def __init__(self, q, d: int):
        self.q, self.d = q, d
        self.nbits = q.bits(d)

    def encode(self, x: np.ndarray, seed, t, stream) -> tuple[torch.Tensor, int]:
        """The packed message and its length in bits (the encoding's, checked against the
        declared count: the string path measures it, the fast path's bytes are checked)."""
        if self.q.name in FAST:
            data = encode_packed(self.q, x, seed, t, stream)
            if data.size != _nbytes(self.nbits):  # pragma: no cover - tested
                raise RuntimeError(f"{self.q.name}: {data.size} bytes, declared {self.nbits} bits")
            return torch.from_numpy(np.ascontiguousarray(data)), self.nbits
        bits = encode(self.q, x, seed, t, stream)
        if len(bits) != self.nbits:  # pragma: no cover - the encodings are tested in compressors
            raise RuntimeError(f"{self.q.name}: message of {len(bits)} bits, declared {self.nbits}")
        return pack_bits(bits), len(bits)

    def decode(self, data: torch.Tensor, seed, t, stream) -> np.ndarray:
        return decode_packed(self.q, data.numpy(), self.d, seed, t, stream)


def load_codecs(compressors, d: int, k: int = 1, levels: int = 4) -> None:
    """Load the compiled kernels of ``compressors`` (names) for messages of dimension ``d`` into
    this process: one encode and decode of a zero message each, the calls a step makes.

    Call it before :func:`launch` forks the ranks of a compressed run: they inherit the loaded
    kernels instead of each loading them from the kernel cache again (numba's first load in a
    process costs about 0.5 s of CPU: its registries and the cache entries).
    """
    seed = _compressor_seed(0)
    for name in compressors:
        ch = _Channel(_compressor(name, k, levels, "compressor"), d)
        data, _ = ch.encode(np.zeros(d), seed, 1, _stream_of(0, 0))
        ch.decode(data, seed, 1, _stream_of(0, 0))


# ----------------------------------------------------------------------------- EfficientAdam
class EfficientAdam(torch.optim.Optimizer):
    r"""Efficient-Adam on ``torch.distributed``: local Adam steps, compressed both ways with
    error feedback (see the module for the algorithm and the communication).

    Parameters
    ----------
    params : iterable of tensors or param-group dicts
        The same parameters, in the same order, on every rank. A group may have its own
        schedules; all parameters together form the one compressed message (dimension d).
    alpha, beta, theta : str
        Schedule texts (:mod:`adamtheory.parsing`); ``lr`` multiplies α_t.
    eps : float
        v_0 = ε (the generic form).
    compressor : str
        Q_w, a name of :data:`adamtheory.distributed.compressors.NAMES`.
    downlink : str, optional
        Q_s (default: the same as ``compressor``).
    k, levels : int
        top-k/rand-k's k and QSGD's levels.
    ef_worker, ef_server : bool
        Error feedback on the workers and on the server.
    process_group : torch.distributed.ProcessGroup, optional
        The group of workers (default: the world; a single process without an initialized
        process group is N = 1).
    seed : int
        Seed of the compressors' shared randomness (rand-k, QSGD), as the simulator's run seed.
    **schedule_params
        Values of the names used in the schedule texts.

    Attributes
    ----------
    bits_sent : dict
        ``{"uplink": ..., "downlink": ...}``: bits of all messages so far (see the module).
    """

    def __init__(self, params, alpha="0.5/sqrt(t)", beta="0.9", theta="1 - 0.01/t", eps=1e-8,
                 lr=1.0, compressor="scaled_sign", downlink=None, k=1, levels=4, ef_worker=True,
                 ef_server=True, process_group=None, seed=0, **schedule_params):
        defaults = dict(alpha=alpha, beta=beta, theta=theta, eps=float(eps), lr=float(lr),
                        variant="generic", amsgrad="none", schedule_params=dict(schedule_params))
        super().__init__(params, defaults)
        for group in self.param_groups:
            group_spec(group)
        self.q_up = _compressor(compressor, k, levels, "compressor")
        self.q_down = _compressor(downlink or compressor, k, levels, "downlink")
        self.ef_worker, self.ef_server = bool(ef_worker), bool(ef_server)
        self.process_group = process_group
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError(f"seed must be an integer >= 0, got {seed!r:.40}")
        self.seed = int(seed)
        self.bits_sent = {"uplink": 0, "downlink": 0}
        self.t = 0
        self._channels = None

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self):
        sd = super().state_dict()
        sd["efficient_adam"] = {"t": self.t, "bits_up": self.bits_sent["uplink"],
                                "bits_down": self.bits_sent["downlink"], "seed": self.seed}
        return sd

    def load_state_dict(self, state_dict):
        extra = state_dict.get("efficient_adam")
        state_dict = {k: v for k, v in state_dict.items() if k != "efficient_adam"}
        super().load_state_dict(state_dict)
        if extra is not None:
            self.t = int(extra["t"])
            self.bits_sent = {"uplink": int(extra["bits_up"]), "downlink": int(extra["bits_down"])}
            self.seed = int(extra["seed"])

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def _state(self, p, eps):
        st = self.state[p]
        if not st:
            n = p.numel()
            st["exp_avg"] = torch.zeros(n, dtype=torch.float64)
            st["exp_avg_sq"] = torch.full((n,), eps, dtype=torch.float64)
            st["error_worker"] = torch.zeros(n, dtype=torch.float64)
            st["error_server"] = torch.zeros(n, dtype=torch.float64)
        return st

    @torch.no_grad()
    def step(self, closure=None):
        """One round: local Adam step, compressed exchange, the same update on every rank."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        world, rank = _world(self.process_group)
        t = self.t + 1
        steps, errs_w, errs_s, sizes = [], [], [], []
        for group in self.param_groups:
            spec = group_spec(group)
            a = group["lr"] * schedule_value(spec.alpha, t)
            b = schedule_value(spec.beta, t)
            th = schedule_value(spec.theta, t)
            for p in group["params"]:
                st = self._state(p, spec.eps)
                g = np.zeros(p.numel()) if p.grad is None else \
                    p.grad.detach().to("cpu", torch.float64).reshape(-1).numpy()
                m, v = st["exp_avg"].numpy(), st["exp_avg_sq"].numpy()
                m[:] = b * m + (1.0 - b) * g
                v[:] = th * v + (1.0 - th) * (g * g)
                steps.append(a * (m / np.sqrt(v)))
                errs_w.append(st["error_worker"].numpy())
                errs_s.append(st["error_server"].numpy())
                sizes.append(p.numel())
        d = int(sum(sizes))
        if self._channels is None or self._channels[0].d != d:
            self._channels = (_Channel(self.q_up, d), _Channel(self.q_down, d))
        up, down = self._channels
        cseed = _compressor_seed(self.seed)
        ew = np.concatenate(errs_w)
        es = np.concatenate(errs_s)
        pw = np.concatenate(steps)
        if self.ef_worker:
            pw = pw + ew
        msg, nb = up.encode(pw, cseed, t, _stream_of(rank, 0))
        msgs = _all_gather_bytes(msg, world, self.process_group)
        acc = np.zeros(d)
        own = None
        for i, data in enumerate(msgs):
            qi = up.decode(data, cseed, t, _stream_of(i, 0))
            if i == rank:
                own = qi
            acc = acc + qi
        u = acc / world
        if self.ef_server:
            u = u + es
        if rank == 0:
            smsg, sb = down.encode(u, cseed, t, _stream_of(0, 1))
        else:
            smsg, sb = torch.empty(_nbytes(down.nbits), dtype=torch.uint8), down.nbits
        smsg = _broadcast_bytes(smsg, world, self.process_group)
        q = down.decode(smsg, cseed, t, _stream_of(0, 1))
        new_ew = pw - own if self.ef_worker else None
        new_es = u - q if self.ef_server else None
        off = 0
        for p in self._params():
            n = p.numel()
            st = self.state[p]
            if new_ew is not None:
                st["error_worker"].numpy()[:] = new_ew[off:off + n]
            if new_es is not None:
                st["error_server"].numpy()[:] = new_es[off:off + n]
            p.sub_(torch.from_numpy(q[off:off + n]).reshape(p.shape).to(p.dtype))
            off += n
        self.t = t
        self.bits_sent["uplink"] += world * nb
        self.bits_sent["downlink"] += world * sb
        return loss


# ----------------------------------------------------------------------------- DDP comm hook
class CompressionState:
    """State of :func:`compressed_allreduce_hook`: compressor, worker error per bucket, step
    counter, bits sent. ``state_dict()`` / ``load_state_dict()`` make it part of a checkpoint.

    Parameters
    ----------
    compressor : str
        Q_w (:data:`adamtheory.distributed.compressors.NAMES`).
    ef : bool
        Worker error feedback.
    k, levels, seed : int
        As for :class:`EfficientAdam`.
    process_group : ProcessGroup, optional
    """

    def __init__(self, compressor="scaled_sign", ef=True, k=1, levels=4, seed=0,
                 process_group=None):
        self.q = _compressor(compressor, k, levels, "compressor")
        self.ef = bool(ef)
        self.seed = int(seed)
        self.process_group = process_group
        self.errors: dict[int, torch.Tensor] = {}
        self.steps: dict[int, int] = {}
        self.bits_sent = {"uplink": 0, "downlink": 0}
        self._channels: dict[int, _Channel] = {}

    def state_dict(self) -> dict:
        return {"compressor": self.q.name, "k": self.q.k, "levels": self.q.s, "ef": self.ef,
                "seed": self.seed, "errors": {int(k): v.clone() for k, v in self.errors.items()},
                "steps": dict(self.steps), "bits_up": self.bits_sent["uplink"]}

    def load_state_dict(self, sd: dict) -> None:
        self.q = _compressor(sd["compressor"], sd["k"], sd["levels"], "compressor")
        self.ef, self.seed = bool(sd["ef"]), int(sd["seed"])
        self.errors = {int(k): v.clone() for k, v in sd["errors"].items()}
        self.steps = {int(k): int(v) for k, v in sd["steps"].items()}
        self.bits_sent = {"uplink": int(sd["bits_up"]), "downlink": 0}


def compressed_allreduce_hook(state: CompressionState, bucket):
    """DDP communication hook: the average of the ranks' compressed gradients (worker EF).

    Each rank adds its error to the bucket's gradient p = g + e, sends Q_w(p) (all_gather of the
    encoded messages), sets e = p - Q_w(p), and every rank returns (1/N) Σ_i Q_w(p_i) summed in
    rank order (float64, cast back to the bucket's dtype).
    """
    world, rank = _world(state.process_group)
    buf = bucket.buffer()
    idx = int(bucket.index())
    g = buf.detach().to("cpu", torch.float64).numpy().copy()
    d = g.size
    ch = state._channels.get(idx)
    if ch is None or ch.d != d:
        ch = state._channels[idx] = _Channel(state.q, d)
    t = state.steps.get(idx, 0) + 1
    err = state.errors.get(idx)
    p = g + err.numpy() if (state.ef and err is not None) else g
    cseed = _compressor_seed(state.seed)
    stream = lambda i: _stream_of(i, 0) + (idx << 24)  # noqa: E731
    msg, nb = ch.encode(p, cseed, t, stream(rank))
    msgs = _all_gather_bytes(msg, world, state.process_group)
    acc = np.zeros(d)
    for i, data in enumerate(msgs):
        qi = ch.decode(data, cseed, t, stream(i))
        if i == rank and state.ef:
            state.errors[idx] = torch.from_numpy(p - qi)
        acc = acc + qi
    state.steps[idx] = t
    state.bits_sent["uplink"] += world * nb
    out = torch.from_numpy(acc / world).to(buf.dtype)
    buf.copy_(out)
    fut = torch.futures.Future()
    fut.set_result(buf)
    return fut


# ----------------------------------------------------------------------------- launcher
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank, world, port, fn, args, outdir):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world)
    try:
        result = fn(rank, world, *args)
        torch.save(result, os.path.join(outdir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def launch(fn, world_size: int, *args, start_method: str | None = None):
    """Run ``fn(rank, world_size, *args)`` on ``world_size`` local processes (gloo on 127.0.0.1,
    one thread each) and return the list of their results (rank order).

    ``start_method`` is "fork" by default where the platform has it: the children inherit the
    parent's imports and its numba-compiled functions (compressors, oracles), which a spawned
    child would compile again (seconds each); "spawn" needs ``fn`` importable. The result must
    be made of tensors, numbers, strings, lists and dicts (it comes back through ``torch.save``
    and ``torch.load(weights_only=True)``).
    """
    if isinstance(world_size, bool) or not isinstance(world_size, int) or not 1 <= world_size <= 64:
        raise InputError(f"world_size must be an integer between 1 and 64, got {world_size!r}")
    import multiprocessing

    import torch.multiprocessing as mp

    if start_method is None:
        start_method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with tempfile.TemporaryDirectory() as outdir:
        mp.start_processes(_entry, args=(world_size, _free_port(), fn, args, outdir),
                           nprocs=world_size, join=True, start_method=start_method)
        return [torch.load(os.path.join(outdir, f"rank{r}.pt"), weights_only=True)
                for r in range(world_size)]
