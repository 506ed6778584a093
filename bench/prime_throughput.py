"""Priming throughput: records/s the real sync engine applies to a fresh encrypted cache.

1. a temporary server database, created and seeded with the real CLI (`server.cli init`, `server.cli
   seed --customers N`, which also makes the demo users), served by `server.cli serve` (uvicorn) in
   its own process on a free loopback port: the server is another machine in real life, so it
   does not share the client's GIL here (it does share the 2 cores);
2. engine: the demo agent signs in and `SyncEngine.run_once()` primes its default scopes (its own
   cases, its queues, `directory`, `ref`) into a fresh SQLCipher cache with a random key, pages of
   `--page-limit` (the engine's default, 500) → records/s from the first request to the last
   commit (every page applied, its cursor stored, the search index kept, the cycle settled);
   also CPU seconds, which a shared machine disturbs much less than wall-clock ones: this process
   by stage (decode, the apply lane, the search rebuild, the rest) and the server's process
   (`/proc/<pid>/stat`, Linux only; "n/a" elsewhere);
3. limit, same run: the very pages the engine received, fetched again with a bare httpx client
   (the same request bodies, so the server sends the same rows), decoded with
   `wire.fast.decode_and_validate` and inserted with one raw `executemany` per entity per page (a
   transaction per page) into the same mirror tables of another fresh encrypted cache file (same
   schema, same pragmas) → records/s, the server's CPU seconds for those requests, and the ratio
   engine / limit. Also printed: the same decode + `executemany` from the captured bytes without HTTP.

Run: `.venv/bin/python bench/prime_throughput.py [--customers N] [--page-limit L] [--workdir DIR]`
(`--workdir` keeps the seeded server database there and reuses it on the next run.)

`seeded_server()` and `open_encrypted_cache()` are also used by `edit_visible.py` and `cache_size.py`.
"""

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import msgspec  # noqa: E402
import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]  # noqa: E402

from desktop.services import api as api_module  # noqa: E402
from desktop.services import sync_lane, sync_pull  # noqa: E402
from desktop.services.api import ApiClient, PullResult  # noqa: E402
from desktop.services.api_http import ApiConfig  # noqa: E402
from desktop.services.store import Cache, open_cache  # noqa: E402
from desktop.services.store.entities import spec  # noqa: E402
from desktop.services.store.schema import MIRRORS  # noqa: E402
from desktop.services.sync import SyncEngine  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from wire.fast import ValidatedChange, decode_and_validate  # noqa: E402
from wire.sync import PullRequest  # noqa: E402

DEMO_PASSWORD = "demo"
SERVER_START_TIMEOUT_S = 120.0
SEED_TIMEOUT_S = 3600.0
GOAL_RECORDS_PER_S = 40_000


# ---- the server -------------------------------------------------------------------------------


@dataclass
class BenchServer:
    """A seeded server database served by `server.cli serve` in a child process."""

    url: str
    db_path: Path
    process: subprocess.Popen[bytes]

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"


def _cli(*args: str, log: Path, timeout: float) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"`server.cli {args[0]}` failed ({done.returncode}); see {log}")


def seed_database(db_path: Path, customers: int) -> float:
    """Create and seed `db_path` with the real CLI unless it is already there; seconds taken."""
    if db_path.exists():
        print(f"reusing the seeded server database {db_path}")
        return 0.0
    started = time.perf_counter()
    url = f"sqlite:///{db_path}"
    log = db_path.with_suffix(".seed.log")
    _cli("init", "--database", url, log=log, timeout=SEED_TIMEOUT_S)
    _cli("seed", "--database", url, "--customers", str(customers), log=log, timeout=SEED_TIMEOUT_S)
    seconds = time.perf_counter() - started
    print(f"seeded {customers:,} customers with `server.cli seed` in {seconds:.1f} s")
    return seconds


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}) at start; see {log}")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(0.1)  # a bounded pause that also notices an early exit
    raise SystemExit(f"the server did not answer /healthz within {SERVER_START_TIMEOUT_S:.0f} s; see {log}")


@contextmanager
def served(db_path: Path) -> Iterator[BenchServer]:
    """`server.cli serve` over `db_path` on a free loopback port, stopped (and reaped) on exit."""
    port = free_port()
    log = db_path.with_suffix(".serve.log")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "serve",
                "--database",
                f"sqlite:///{db_path}",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = BenchServer(url=f"http://127.0.0.1:{port}", db_path=db_path, process=process)
    try:
        _wait_healthy(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


@contextmanager
def seeded_server(customers: int, workdir: str | None) -> Iterator[BenchServer]:
    """A server over a database seeded with `customers` (kept and reused in `workdir` if given)."""
    with ExitStack() as stack:
        folder = (
            Path(workdir)
            if workdir
            else Path(stack.enter_context(TemporaryDirectory(prefix="liaison-bench-")))
        )
        folder.mkdir(parents=True, exist_ok=True)
        db_path = folder / f"server-{customers}.db"
        seed_database(db_path, customers)
        yield stack.enter_context(served(db_path))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux `/proc`; None elsewhere). The machine
    is shared, so wall-clock seconds swing with other people's load; CPU seconds per stage much less."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_used(pid: int | None, before: float | None) -> float | None:
    after = cpu_seconds(pid) if pid is not None else None
    return None if after is None or before is None else after - before


def _cpu_text(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


# ---- the client side --------------------------------------------------------------------------


def new_key() -> str:
    """A random SQLCipher key as the desktop makes one per profile (32 bytes, hex)."""
    return secrets.token_hex(32)


def open_encrypted_cache(path: Path, key: str | None) -> Cache:
    cache, _report = open_cache(path, key)
    return cache


@dataclass
class Captured:
    """Every pull the engine made: the request body and the page bytes received."""

    requests: list[bytes] = field(default_factory=list)
    pages: list[bytes] = field(default_factory=list)
    records: int = 0


class CapturingApi(ApiClient):
    """The real API client, keeping a copy of each pull request and page (for the limit)."""

    def __init__(self, config: ApiConfig) -> None:
        super().__init__(config)
        self.captured = Captured()

    def pull(self, request: PullRequest) -> PullResult:
        result = super().pull(request)
        self.captured.requests.append(request.model_dump_json().encode())
        self.captured.pages.append(result.raw)
        self.captured.records += sum(len(c) for c in result.changes.values())
        return result


@dataclass
class EngineRun:
    records: int
    seconds: float
    pages: int
    captured: Captured
    #: the cache file and its WAL right after priming, before the cache was closed
    open_bytes: int
    #: rows per snapshot page the engine asked for
    snapshot_limit: int = 0
    #: seconds in `Puller.pull_all` (fetch, apply) and in the search rebuild (on the write lane)
    pull_seconds: float = 0.0
    reindex_seconds: float = 0.0
    #: CPU seconds over `run_once`: this process (every thread) and the server's (None: unknown)
    client_cpu: float = 0.0
    server_cpu: float | None = None
    #: CPU seconds of the stages: decode, apply (the apply lane), search rebuild
    stage_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.records / self.seconds


def prime_with_engine(
    url: str,
    cache_path: Path,
    key: str | None,
    page_limit: int,
    snapshot_limit: int | None = None,
    server_pid: int | None = None,
) -> EngineRun:
    """Sign in as the demo agent and prime its default scopes into a fresh cache at `cache_path`
    (snapshot pages of `snapshot_limit` rows; None: the engine's default, 10 times `page_limit` up to 5000).
    With `server_pid`, the server process's CPU seconds over the run are measured too."""
    cache = open_encrypted_cache(cache_path, key)
    api = CapturingApi(ApiConfig(base_url=url, read_timeout_s=300.0))
    try:
        api.login("agent", DEMO_PASSWORD)
        engine = SyncEngine(cache, api, page_limit=page_limit)
        if snapshot_limit is not None:
            engine.puller.snapshot_limit = snapshot_limit
        snapshot = engine.puller.snapshot_limit
        phases = _time_phases(engine)
        scopes = engine.scopes()
        server_before = cpu_seconds(server_pid) if server_pid is not None else None
        cpu_started = time.process_time()
        started = time.perf_counter()
        engine.run_once()
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_started
        server_cpu = _cpu_used(server_pid, server_before)
        open_bytes = file_bytes(cache_path)
        print(f"  scopes primed: {', '.join(s.split(':')[0] for s in scopes)}")
    finally:
        api.close()
        cache.close()
    captured = api.captured
    return EngineRun(
        captured.records,
        seconds,
        len(captured.pages),
        captured,
        open_bytes,
        snapshot,
        phases["pull"],
        phases["reindex"],
        client_cpu,
        server_cpu,
        {k: phases[f"{k}_cpu"] for k in ("decode", "apply", "reindex")},
    )


def _time_phases(engine: SyncEngine) -> dict[str, float]:
    """Seconds spent in the engine's pull (`Puller.pull_all`) and in its deferred search rebuild
    (`reindex_pending`, on the cycle's write lane: between the next scope's pages and beside the
    integrity check), summed while the engine runs: wrappers that time and call the originals.
    Also CPU seconds of the thread that ran them (`*_cpu`): decoding pages (`decode_and_validate`
    in the API client, on the engine's thread), applying them (`apply_page`, on the write lane)
    and the search rebuild; on a shared machine these move much less than wall-clock seconds."""
    spent = {
        "pull": 0.0,
        "reindex": 0.0,
        "apply": 0.0,
        "decode": 0.0,
        "decode_cpu": 0.0,
        "apply_cpu": 0.0,
        "reindex_cpu": 0.0,
    }

    def timed(name: str, function: Callable[..., Any], cpu: str | None = None) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began, began_cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - began
                if cpu is not None:
                    spent[cpu] += time.thread_time() - began_cpu

        return wrapper

    engine.puller.pull_all = timed("pull", engine.puller.pull_all)  # type: ignore[method-assign]
    names = vars(sync_pull)  # the names the puller calls, replaced for this process
    names["apply_page"] = timed("apply", names["apply_page"], "apply_cpu")
    lane_names = vars(sync_lane)  # the engine's cycle rebuilds the index on its write lane
    lane_names["reindex_pending"] = timed("reindex", lane_names["reindex_pending"], "reindex_cpu")
    api_names = vars(api_module)
    api_names["decode_and_validate"] = timed("decode", api_names["decode_and_validate"], "decode_cpu")
    return spent


# ---- the limit: decode + raw executemany ------------------------------------------------------


@dataclass(frozen=True)
class _Insert:
    sql: str
    json_at: tuple[int, ...]


def _inserts() -> dict[str, _Insert]:
    out: dict[str, _Insert] = {}
    for entity in MIRRORS:
        entity_spec = spec(entity)
        columns = ["id", "version", *entity_spec.field_names, "extra"]
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        json_at = tuple(i for i, c in enumerate(entity_spec.columns) if c.kind == "json")
        out[entity] = _Insert(f'INSERT OR REPLACE INTO "{entity}" ({quoted}) VALUES ({marks})', json_at)
    return out


class RawSink:
    """A fresh encrypted cache file (the cache's own schema) written with raw `executemany`."""

    def __init__(self, path: Path, key: str) -> None:
        open_encrypted_cache(path, key).close()  # the same tables, indexes and pragmas
        self.conn: Any = sqlcipher.connect(str(path), isolation_level=None)
        self.conn.execute(f"PRAGMA key = \"x'{key}'\"")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.inserts = _inserts()

    def write_page(self, validated: dict[str, list[ValidatedChange]]) -> int:
        by_entity: dict[str, list[tuple[Any, ...]]] = {}
        for changes in validated.values():
            for change in changes:
                if change.record is None or change.entity not in self.inserts:
                    continue
                values = list(msgspec.structs.astuple(change.record))
                for i in self.inserts[change.entity].json_at:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i])
                extra = json.dumps(change.extra) if change.extra else "{}"
                by_entity.setdefault(change.entity, []).append((change.id, change.version, *values, extra))
        self.conn.execute("BEGIN IMMEDIATE")
        for entity, rows in by_entity.items():
            self.conn.executemany(self.inserts[entity].sql, rows)
        self.conn.execute("COMMIT")
        return sum(len(r) for r in by_entity.values())

    def close(self) -> None:
        self.conn.close()


def _login(http: httpx.Client) -> None:
    body = {"username": "agent", "password": DEMO_PASSWORD, "device_name": "bench"}
    resp = http.post("/api/v1/auth/login", json=body)
    resp.raise_for_status()
    http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"


def limit_over_http(
    url: str, captured: Captured, path: Path, key: str, server_pid: int | None = None
) -> tuple[int, float, float | None]:
    """The engine's requests again with bare httpx → decode → raw executemany: (records, seconds,
    the server's CPU seconds for them, when `server_pid` is given and readable)."""
    sink = RawSink(path, key)
    records = 0
    try:
        with httpx.Client(base_url=url, timeout=300) as http:
            _login(http)
            server_before = cpu_seconds(server_pid) if server_pid is not None else None
            started = time.perf_counter()
            for body in captured.requests:
                resp = http.post(
                    "/api/v1/sync/pull", content=body, headers={"Content-Type": "application/json"}
                )
                resp.raise_for_status()
                _page, validated = decode_and_validate(resp.content)
                records += sink.write_page(validated)
            seconds = time.perf_counter() - started
            server_cpu = _cpu_used(server_pid, server_before)
    finally:
        sink.close()
    return records, seconds, server_cpu


def limit_offline(captured: Captured, path: Path, key: str) -> tuple[int, float]:
    """The captured page bytes → decode → raw executemany, no HTTP: (records, seconds)."""
    sink = RawSink(path, key)
    records = 0
    try:
        started = time.perf_counter()
        for data in captured.pages:
            _page, validated = decode_and_validate(data)
            records += sink.write_page(validated)
        seconds = time.perf_counter() - started
    finally:
        sink.close()
    return records, seconds


def file_bytes(path: Path) -> int:
    """The cache file and its WAL."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000, metavar="N")
    parser.add_argument(
        "--page-limit", type=int, default=500, metavar="L", help="pull page size (engine default 500)"
    )
    parser.add_argument(
        "--snapshot-limit",
        type=int,
        default=None,
        metavar="S",
        help="rows per snapshot page (engine default 10 times the page limit, at most 5000)",
    )
    parser.add_argument("--workdir", metavar="DIR", help="keep (and reuse) the seeded server database here")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    with (
        seeded_server(args.customers, args.workdir) as server,
        TemporaryDirectory(prefix="liaison-cache-") as tmp,
    ):
        folder = Path(tmp)
        pid = server.process.pid
        run = prime_with_engine(
            server.url, folder / "engine.db", new_key(), args.page_limit, args.snapshot_limit, pid
        )
        sizes = f"snapshot pages of {run.snapshot_limit}, log pages of {args.page_limit}"
        print(
            f"engine: {run.records:,} records in {run.pages} pages ({sizes}), {run.seconds:.2f} s "
            f"→ {run.rate:,.0f} records/s into the encrypted cache ({run.open_bytes / 2**20:.0f} MiB with its WAL)"
        )
        print(
            f"        of which the pull {run.pull_seconds:.2f} s, then the integrity check of every new "
            f"scope against the server's checksum, the wait for the search rebuild and settle: "
            f"{run.seconds - run.pull_seconds:.2f} s; the search index rebuilt after each snapshot on "
            f"the write lane, beside them: {run.reindex_seconds:.2f} s"
        )
        stages = run.stage_cpu
        print(
            f"        CPU: this process (every thread) {run.client_cpu:.2f} s: decode {stages['decode']:.2f} s, "
            f"apply {stages['apply']:.2f} s, search rebuild {stages['reindex']:.2f} s, the rest (HTTP, "
            f"checksums, integrity check, settle) {run.client_cpu - sum(stages.values()):.2f} s; "
            f"the server's process {_cpu_text(run.server_cpu)} (the cycle's pulls and scope checksums)"
        )
        records, seconds, server_cpu = limit_over_http(
            server.url, run.captured, folder / "limit-http.db", new_key(), pid
        )
        limit = records / seconds
        print(
            f"limit: the same {len(run.captured.requests)} requests with bare httpx + wire.fast + raw executemany: "
            f"{records:,} records in {seconds:.2f} s → {limit:,.0f} records/s "
            f"(the server's CPU for these pages: {_cpu_text(server_cpu)})"
        )
        records, seconds = limit_offline(run.captured, folder / "limit-offline.db", new_key())
        print(
            f"       the same pages without HTTP (decode + executemany only): {records / seconds:,.0f} records/s"
        )
        print(f"ratio engine / limit: {run.rate / limit:.2f}")
        verdict = "met" if run.rate >= GOAL_RECORDS_PER_S else "NOT met"
        print(f"goal ≥ {GOAL_RECORDS_PER_S:,} records/s: {verdict}")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
