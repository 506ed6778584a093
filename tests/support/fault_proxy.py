"""A small fault-injecting TCP proxy for the reliability tests (SYNC.md §5; the Toxiproxy toxic set).

`FaultProxy(upstream_port)` listens on 127.0.0.1:<free port> (loopback only) and forwards every
connection to 127.0.0.1:`upstream_port`, on its own asyncio loop in a background thread. Each new
connection gets at most one toxic, picked with `probability` from a seeded `random.Random`:

- `latency`: every chunk is held `latency_s` ± `jitter_s` before it is forwarded;
- `reset_peer`: after the first chunk from the client, both sides are closed with an RST
  (`SO_LINGER` 0), as a peer crashing mid-request;
- `hang` (Toxiproxy's `timeout` with timeout=0): the first chunk from the client is swallowed and
  nothing more is forwarded either way; the sockets stay open until the client gives up (its read
  timeout, or a watchdog hanging up) or `stop()`. With `hang_forwards`, the client's data still
  reaches the server (which answers, and may commit) but nothing comes back;
- `limit_data`: the response (server → client) is cut after `limit_bytes` bytes and the
  connection closed;
- `buffer`: the response is held back until the server ends it, then delivered at once (a proxy
  that buffers responses: an SSE stream delivers nothing while it lasts);
- `slicer`: data is forwarded in slices of 1-`slice_bytes` bytes with tiny delays.

With `trigger` (bytes, or a tuple of which any matches), `reset_peer`, `hang`, `limit_data` and
`buffer` act only once the client sent a chunk containing it on that connection, so that a fault
can target one endpoint on keep-alive connections: e.g. b"POST /api/v1/sync/push" for a response
lost after the server committed, b"GET /api/v1/sync/events" for the event stream only.

`counters` counts connections, each toxic chosen (`applied`) and each fault done (`resets_done`,
`hangs_done`, `truncations_done`, `buffers_done`), for the tests' assertions that faults really
happened; `wait_count(key, n)` waits (on a condition, no polling) until a counter reaches `n`.
`configure(...)` changes the choice for new connections; `close_all()` drops open ones. `stop()`
closes everything and joins the thread.
"""

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

TOXICS = ("latency", "reset_peer", "hang", "limit_data", "buffer", "slicer")
CHUNK = 65536
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


@dataclass
class ToxicConfig:
    #: chance that a new connection gets a toxic at all
    probability: float = 0.0
    #: the toxics to choose from (uniformly) for a connection that gets one
    toxics: tuple[str, ...] = TOXICS
    latency_s: float = 0.02
    jitter_s: float = 0.02
    limit_bytes: int = 0
    trigger: bytes | tuple[bytes, ...] | None = None
    hang_forwards: bool = False
    slice_bytes: int = 64
    slice_delay_s: float = 0.0005

    def __post_init__(self) -> None:
        unknown = set(self.toxics) - set(TOXICS)
        if unknown:
            raise ValueError(f"unknown toxics: {sorted(unknown)}")

    def triggered_by(self, data: bytes) -> bool:
        if self.trigger is None:
            return False
        triggers = (self.trigger,) if isinstance(self.trigger, bytes) else self.trigger
        return any(t in data for t in triggers)


@dataclass(eq=False)
class _Conn:
    toxic: str | None
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    triggered: bool = False
    hung: bool = False
    sent_down: int = 0
    held: bytearray = field(default_factory=bytearray)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class FaultProxy:
    def __init__(self, upstream_port: int, config: ToxicConfig | None = None, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.config = config or ToxicConfig()
        self.rng = random.Random(seed)
        self.counters: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._counted = threading.Condition(self._lock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None
        self.port = 0

    # -- lifecycle (test thread) ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._failure is not None:
            raise RuntimeError(f"the fault proxy did not start: {self._failure!r}")
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        future.result(STOP_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(STOP_TIMEOUT_S)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def configure(self, config: ToxicConfig) -> None:
        """Toxics for connections accepted from now on (open ones keep theirs)."""
        with self._lock:
            self.config = config

    def close_all(self) -> None:
        """Close every open connection (clients reconnect, and get the current toxics)."""

        async def close() -> None:
            for conn in list(self._conns):
                self._close(conn, reset=False)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(STOP_TIMEOUT_S)

    def wait_count(self, key: str, n: int, timeout_s: float) -> bool:
        """Wait until `counters[key]` reaches `n`; False after `timeout_s`."""
        with self._counted:
            return self._counted.wait_for(lambda: self.counters[key] >= n, timeout_s)

    def applied(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in self.counters.items() if k in TOXICS}

    # -- the loop (proxy thread) ---------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, host="127.0.0.1", port=0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # reported to start()
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            self._close(conn, reset=False)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _count(self, key: str) -> None:
        with self._counted:
            self.counters[key] += 1
            self._counted.notify_all()

    def _choose(self) -> tuple[str | None, ToxicConfig]:
        with self._lock:
            config = self.config
            toxic = None
            if config.probability > 0 and self.rng.random() < config.probability:
                toxic = self.rng.choice(config.toxics)
            return toxic, config

    def _delay(self, config: ToxicConfig) -> float:
        with self._lock:
            return max(0.0, config.latency_s + self.rng.uniform(-config.jitter_s, config.jitter_s))

    def _close(self, conn: _Conn, *, reset: bool) -> None:
        for writer in conn.writers:
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.close()
        conn.done.set()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        toxic, config = self._choose()
        conn = _Conn(toxic=toxic, writers=[client_w])
        self._conns.add(conn)
        self._count("connections")
        if toxic is not None:
            self._count(toxic)
        try:
            try:
                server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            except OSError:
                self._count("upstream_refused")
                self._close(conn, reset=False)
                return
            conn.writers.append(server_w)
            up = asyncio.create_task(self._pump(conn, config, client_r, server_w, upstream=True))
            down = asyncio.create_task(self._pump(conn, config, server_r, client_w, upstream=False))
            await conn.done.wait()
            for pump in (up, down):
                pump.cancel()
            await asyncio.gather(up, down, return_exceptions=True)
        finally:
            self._conns.discard(conn)
            self._tasks.discard(task)
            for writer in conn.writers:
                writer.close()

    async def _pump(
        self,
        conn: _Conn,
        config: ToxicConfig,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        upstream: bool,
    ) -> None:
        toxic = conn.toxic
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    if not upstream and conn.held:
                        self._count("buffers_done")
                        writer.write(bytes(conn.held))  # the server ended it: all at once
                        await writer.drain()
                    break
                if upstream and config.triggered_by(data):
                    conn.triggered = True
                armed = config.trigger is None or conn.triggered
                if upstream and toxic == "reset_peer" and armed:
                    self._count("resets_done")
                    self._close(conn, reset=True)
                    return
                if upstream and toxic == "hang" and armed and not conn.hung:
                    conn.hung = True
                    self._count("hangs_done")
                if conn.hung and not (upstream and config.hang_forwards):
                    continue  # swallowed, until the client gives up or stop()
                if not upstream and toxic == "buffer" and armed:
                    conn.held += data
                    continue
                if toxic == "latency":
                    await asyncio.sleep(self._delay(config))
                if not upstream and toxic == "limit_data" and armed:
                    room = config.limit_bytes - conn.sent_down
                    if room > 0:
                        writer.write(data[:room])
                        conn.sent_down += min(room, len(data))
                        await writer.drain()
                    if len(data) >= room:
                        self._count("truncations_done")
                        self._close(conn, reset=False)
                        return
                    continue
                if toxic == "slicer":
                    with self._lock:
                        sizes = [self.rng.randint(1, config.slice_bytes) for _ in range(len(data))]
                    at = 0
                    for size in sizes:
                        if at >= len(data):
                            break
                        writer.write(data[at : at + size])
                        await writer.drain()
                        at += size
                        await asyncio.sleep(config.slice_delay_s)
                    continue
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not conn.done.is_set():
                self._close(conn, reset=False)
