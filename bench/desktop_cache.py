"""A desktop cache of 1,000,000 customers and ~10,000,000 interactions, for the desktop benches.

    python bench/desktop_cache.py --path DIR/cache.db [--customers N] [--workers W] [--rebuild]

The rows are the reference server's seed (`server.seed`: the same generators, names, phones in
E.164, three years of history, ~10 interactions per customer on average, cases with notes,
holdings, offer responses), mapped to the cache's mirror tables (`desktop.services.store.schema`)
and written with raw `executemany` into a cache that `open_cache` created (so the schema, the
pragmas and `user_version` are the product's). Secondary indexes are dropped during the load and
built after it; the search index is then built by the store's own `reindex` (the same documents a
sync writes), and the `directory` scope is marked primed. The cache is plain SQLite (no key).

A finished cache has a sidecar `<path>.bench.json` with its parameters and row counts; the next run
with the same `--customers` reuses it (the other desktop benches call `ensure_cache`). The build
prints how long each step took and the file size.
"""

import argparse
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from desktop.services.store import open_cache
from desktop.services.store.entities import SPECS
from desktop.services.store.jsontext import dumps
from desktop.services.store.search_index import reindex
from server.db import tables as t
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.db.types import Timestamp
from server.seed.bulk import Row
from server.seed.generate import Plan, generate, no_cycle_collection, worker_main
from server.seed.ids import Clock, IdSource
from server.seed.reference import write_reference

DEFAULT_CUSTOMERS: Final = 1_000_000
#: a fixed "now" so that two builds are identical
NOW: Final = datetime(2026, 11, 1, tzinfo=UTC)
#: server table → cache mirror (entity)
ENTITY_OF: Final = {"support_case": "case"}
#: rows per commit while loading (the load runs with the journal off, so only memory bounds it)
COMMIT_ROWS: Final = 2_000_000
#: interactions per customer the cache is topped up to (the seed draws ~9.7 on average)
INTERACTIONS_PER_CUSTOMER: Final = 10
#: customers per `reindex` transaction
REINDEX_CHUNK: Final = 20_000
_SEED_TS: Final = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".bench.json")


def _iso(value: Any) -> Any:
    """The seed's SQLite timestamp text (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC) as the wire's ISO 8601."""
    if isinstance(value, str) and _SEED_TS.match(value):
        return value.replace(" ", "T", 1).removesuffix("+00") + "+00:00"
    return value


class _Mapping:
    """How a server row (in the seed's column order) becomes a cache row (`id, version, fields…, extra`)."""

    def __init__(self, server_table: str, server_columns: Sequence[str]) -> None:
        self.entity = ENTITY_OF.get(server_table, server_table)
        entity_spec = SPECS[self.entity]
        table = t.metadata.tables[server_table]
        stamps = {c.name for c in table.columns if isinstance(c.type, Timestamp)}
        position = {name: i for i, name in enumerate(server_columns)}
        self.steps: list[tuple[int | None, Callable[[Any], Any]]] = []
        for column in entity_spec.columns:
            at = position.get(column.name)
            if column.kind == "json":
                self.steps.append((at, dumps))
            elif column.kind == "boolean":
                self.steps.append((at, lambda v: None if v is None else int(bool(v))))
            elif column.name in stamps:
                self.steps.append((at, _iso))
            else:
                self.steps.append((at, _same))
        self.id_at = position["id"]
        self.version_at = position["version"]
        columns = ["id", "version", *entity_spec.field_names, "extra"]
        quoted = ", ".join(f'"{c}"' for c in columns)
        self.sql = f'INSERT INTO "{self.entity}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'

    def convert(self, rows: list[Row]) -> list[Row]:
        steps = self.steps
        id_at, version_at = self.id_at, self.version_at
        out = []
        for row in rows:
            values = [row[id_at], row[version_at]]
            values += [None if at is None else fn(row[at]) for at, fn in steps]
            values.append("{}")
            out.append(tuple(values))
        return out


def _same(value: Any) -> Any:
    return value


class CacheTarget:
    """A seed `RowTarget` that writes into the cache file (raw sqlite3, journal off during the load)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._mappings: dict[str, _Mapping] = {}
        self._pending = 0
        self._open = False
        self.counts: dict[str, int] = {}

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        if table == "customer_term":
            return  # the server's search terms; the cache has its own index (built after the load)
        mapping = self._mappings.get(table)
        if mapping is None:
            mapping = self._mappings[table] = _Mapping(table, columns)
        if not self._open:
            self._conn.execute("BEGIN")
            self._open = True
        self._conn.executemany(mapping.sql, mapping.convert(rows))
        self.counts[mapping.entity] = self.counts.get(mapping.entity, 0) + len(rows)
        self._pending += len(rows)
        if self._pending >= COMMIT_ROWS:
            self.finish()

    def finish(self) -> None:
        if self._open:
            self._conn.execute("COMMIT")
            self._open = False
            self._pending = 0

    def abort(self) -> None:
        if self._open:
            self._conn.execute("ROLLBACK")
            self._open = False


def _reference(workdir: Path, rng: random.Random) -> tuple[Any, list[tuple[str, list[str], list[Row]]]]:
    """Draw the reference data (territories, queues, products, offers…) into a scratch server
    database, as the seed does; return it and its rows for the cache's `ref` mirrors."""
    db = Database(f"sqlite:///{workdir / 'reference.db'}")
    initialize(db)
    with db.write() as conn:
        ref = write_reference(conn, IdSource(rng), Clock(NOW), 1, {})
    tables = []
    with db.engine.connect() as conn:
        for name in ("territory", "queue", "product", "offer", "affinity", "disposition_code"):
            table = t.metadata.tables[name]
            columns = [c.name for c in table.columns]
            tables.append((name, columns, [tuple(r) for r in conn.execute(select(table))]))
    db.engine.dispose()
    return ref, tables


def _generate(plan: Plan, target: CacheTarget, workers: int, say: Callable[[str], None]) -> None:
    """The seed's generators in `workers` forked processes (this process only inserts), or inline."""
    started = time.perf_counter()

    def progress(done: int) -> None:
        say(f"  {done:,}/{plan.customers:,} customers after {time.perf_counter() - started:.0f} s")

    if workers <= 0:
        generate(plan, target, progress)
        return
    ctx = multiprocessing.get_context("fork")
    pipes, procs = [], []
    for n in range(workers):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=worker_main, args=(plan, send, n, workers), daemon=True)
        proc.start()
        send.close()
        pipes.append(receive)
        procs.append(proc)
    done = [0] * workers
    open_pipes = list(pipes)
    try:
        while open_pipes:
            for ready in multiprocessing.connection.wait(open_pipes):
                assert isinstance(ready, multiprocessing.connection.Connection)
                message = ready.recv()
                if message[0] == "rows":
                    target.write(message[1], message[2], message[3])
                elif message[0] == "progress":
                    done[pipes.index(ready)] = message[1]
                    if sum(done) % 100_000 == 0:
                        progress(sum(done))
                elif message[0] == "done":
                    open_pipes.remove(ready)
                else:
                    raise RuntimeError(f"the seed generator failed:\n{message[1]}")
        target.finish()
    except BaseException:
        target.abort()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        raise
    finally:
        for pipe in pipes:
            pipe.close()
        for proc in procs:
            proc.join()


def _secondary_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [
        (str(name), str(sql))
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    ]


def _mark_primed(conn: sqlite3.Connection) -> None:
    stamp = NOW.isoformat()
    for scope in ("directory", "ref"):
        conn.execute(
            "INSERT INTO sync_scope (scope, cursor, primed, updated_at, verified_at) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT(scope) DO UPDATE SET primed = 1",
            (scope, "bench", stamp, stamp),
        )


def build(path: Path, customers: int, workers: int, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Build the cache at `path` (through `<path>.building`, renamed when complete)."""
    building = path.with_name(path.name + ".building")
    for leftover in (
        building,
        *(building.with_name(building.name + s) for s in ("-wal", "-shm", ".keycheck")),
    ):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    steps: dict[str, float] = {}
    cache, _report = open_cache(building, None)
    cache.close()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="bench-desktop-ref-") as scratch:
        ref, ref_tables = _reference(Path(scratch), rng)
    plan = Plan(rng.getstate(), ref, NOW, "", 1, customers, (), rng.getrandbits(64))
    conn = sqlite3.connect(building, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    indexes = _secondary_indexes(conn)
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    target = CacheTarget(conn)
    for name, columns, rows in ref_tables:
        target.write(name, columns, rows)
    target.finish()
    mark = time.perf_counter()
    say(f"generating and inserting {customers:,} customers ({workers} generator process(es))…")
    with no_cycle_collection():
        _generate(plan, target, workers, say)
    steps["generate + insert"] = time.perf_counter() - mark
    mark = time.perf_counter()
    for _name, sql in indexes:
        conn.execute(sql)
    steps["secondary indexes"] = time.perf_counter() - mark
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    mark = time.perf_counter()
    cache, _report = open_cache(building, None)
    try:
        with cache.read() as read:
            ids = [str(r[0]) for r in read.exec_driver_sql("SELECT id FROM customer ORDER BY id")]
        for start in range(0, len(ids), REINDEX_CHUNK):
            with cache.writer.transaction() as write:
                reindex(write, set(ids[start : start + REINDEX_CHUNK]))
        steps["search index (store reindex)"] = time.perf_counter() - mark
        with cache.writer.transaction() as write:
            _mark_primed(write.connection.driver_connection)  # type: ignore[arg-type]
    finally:
        cache.close()
    conn = sqlite3.connect(building, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        building.with_name(building.name + suffix).unlink(missing_ok=True)
    os.replace(building, path)
    check = building.with_name(building.name + ".keycheck")
    if check.exists():
        os.replace(check, path.with_name(path.name + ".keycheck"))
    meta = {
        "customers": customers,
        "counts": target.counts,
        "built_at": datetime.now(UTC).isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
        "steps": {k: round(v, 1) for k, v in steps.items()},
        "bytes": path.stat().st_size,
    }
    sidecar(path).write_text(json.dumps(meta, indent=2))
    return meta


def top_up_interactions(
    path: Path, meta: dict[str, Any], say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Bring the interactions to `INTERACTIONS_PER_CUSTOMER` per customer on average: copies of an
    evenly spread sample of the seeded ones (same customer, channel and text), each with a new id
    and 7 to 36 days earlier. The timeline index is updated as a sync would (no index rebuild)."""
    target = meta["customers"] * INTERACTIONS_PER_CUSTOMER
    have = int(meta["counts"].get("interaction", 0))
    if have >= target:
        return meta
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        columns = ["id", "version", *SPECS["interaction"].field_names, "extra"]
        copied = ", ".join(
            "printf('%s-%s-4%s-a%s-%s', substr(h, 1, 8), substr(h, 9, 4), substr(h, 14, 3), substr(h, 18, 3), "
            "substr(h, 21, 12))"
            if c == "id"
            else "strftime('%Y-%m-%dT%H:%M:%S', substr(occurred_at, 1, 19), '-' || (7 + abs(random()) % 30) || ' days')"
            " || substr(occurred_at, 20)"
            if c == "occurred_at"
            else f'"{c}"'
            for c in columns
        )
        quoted = ", ".join(f'"{c}"' for c in columns)
        step = max(1, have // (target - have))
        conn.execute("BEGIN")
        conn.execute(
            f"INSERT INTO interaction ({quoted}) SELECT {copied} FROM "
            "(SELECT lower(hex(randomblob(16))) AS h, * FROM interaction WHERE rowid % ? = 0 LIMIT ?)",
            (step, target - have),
        )
        count = int(conn.execute("SELECT count(*) FROM interaction").fetchone()[0])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    say(f"interactions topped up from {have:,} to {count:,} in {time.perf_counter() - started:.0f} s")
    meta["counts"]["interaction"] = count
    meta["built_at"] = datetime.now(UTC).isoformat()
    meta["bytes"] = path.stat().st_size
    sidecar(path).write_text(json.dumps(meta, indent=2))
    return meta


def ensure_cache(path: Path, customers: int = DEFAULT_CUSTOMERS, workers: int = 2) -> dict[str, Any]:
    """The cache at `path` with `customers` customers (and 10 interactions each on average):
    reused when its sidecar says so, else built."""
    meta_file = sidecar(path)
    meta: dict[str, Any] | None = None
    if path.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
    if meta is None or meta.get("customers") != customers:
        meta = build(path, customers, workers)
    return top_up_interactions(path, meta)


def encrypted_copy(path: Path, target: Path, say: Callable[[str], None] = print) -> str:
    """An SQLCipher copy of the (plain) cache at `target`, as the app keeps its cache; returns the
    raw key (64 hex digits). Reused while its sidecar names the same source build."""
    meta_file = sidecar(target)
    source = json.loads(sidecar(path).read_text())
    if target.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("source_built_at") == source["built_at"]:
            return str(meta["key"])
    import sqlcipher3  # type: ignore[import-untyped]

    key = os.urandom(32).hex()
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (target, *(target.with_name(target.name + s) for s in ("-wal", "-shm", ".keycheck"))):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute(f"ATTACH DATABASE ? AS secret KEY \"x'{key}'\"", (str(target),))
        conn.execute("SELECT sqlcipher_export('secret')")
        conn.execute(f"PRAGMA secret.user_version = {version}")
        conn.execute("DETACH DATABASE secret")
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    say(f"encrypted copy written in {seconds:.0f} s ({target.stat().st_size / 2**20:,.0f} MiB)")
    meta_file.write_text(json.dumps({"source_built_at": source["built_at"], "key": key, "seconds": seconds}))
    return key


def describe(meta: dict[str, Any]) -> str:
    counts = meta["counts"]
    parts = ", ".join(f"{name} {counts[name]:,}" for name in sorted(counts, key=lambda n: -counts[n]))
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in meta["steps"].items())
    return (
        f"{meta['customers']:,} customers; rows: {parts}\n"
        f"file {meta['bytes'] / 2**20:,.0f} MiB; built in {meta['seconds']:.0f} s ({steps})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", type=Path, required=True, help="the cache file (kept for reuse)")
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--workers", type=int, default=2, help="generator processes (0: inline)")
    parser.add_argument("--rebuild", action="store_true", help="build even if a matching cache exists")
    args = parser.parse_args()
    args.path.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild:
        sidecar(args.path).unlink(missing_ok=True)
    meta = ensure_cache(args.path, args.customers, args.workers)
    print(describe(meta))


if __name__ == "__main__":
    main()
