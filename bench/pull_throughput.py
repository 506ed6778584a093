"""Pull throughput: a full scope to the head through real HTTP, decoded on the client's fast path.

For each backend (SQLite always; PostgreSQL with `--postgres URL` or `--with-postgres`):

1. a fresh database, seeded with the real seeder (`--customers N`), and a live uvicorn server in a
   thread (tests/support/live.py);
2. snapshot: an agent pulls `directory` and a field rep pulls the largest `territory:<id>` to the
   head, `limit` 2000, each page decoded and validated with `wire.fast.decode_and_validate`
   → changes/s end to end (HTTP, server, decode);
3. baseline from the same run: the very same pages decoded with pydantic
   `wire.sync.PullResponse.model_validate_json` (which validates only the envelope, not the
   records' fields) → decode-only records/s of both and the ratio;
4. log mode: the agent pushes `--updates K` customer updates (batches of 100), then pulls the log
   to the head → changes/s.

Run: `.venv/bin/python bench/pull_throughput.py [--customers N] [--postgres URL | --with-postgres]`
"""

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from server.auth.service import create_user  # noqa: E402
from server.db import tables as t  # noqa: E402
from server.db.bootstrap import initialize  # noqa: E402
from server.db.engine import Database  # noqa: E402
from server.seed import run_seed  # noqa: E402
from tests.support.live import start_live_server  # noqa: E402
from tests.support.postgres import PgCluster, find_bindir  # noqa: E402
from wire.fast import ValidatedChange, decode_and_validate  # noqa: E402
from wire.records import Customer  # noqa: E402
from wire.sync import PullResponse  # noqa: E402

PASSWORD = "bench-password"
PAGE_LIMIT = 2000
PUSH_BATCH = 100


@dataclass
class Pulled:
    """What one pull to the head took and held."""

    pages: list[bytes] = field(default_factory=list)
    changes: int = 0
    seconds: float = 0.0
    customers: dict[str, tuple[int, str]] = field(default_factory=dict)  # id → (version, display_name)

    @property
    def rate(self) -> float:
        return self.changes / self.seconds if self.seconds else 0.0


class Client:
    """A minimal sync client: login, pull to the head with the fast decoder, push."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120)
        resp = self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD, "device_name": "bench"}
        )
        resp.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.client_id = str(uuid.uuid4())
        self.epoch: str | None = None
        self.cursors: dict[str, str | None] = {}
        self.client_seq = 0

    def pull_to_head(self, *scopes: str) -> Pulled:
        for scope in scopes:
            self.cursors.setdefault(scope, None)
        out = Pulled()
        started = time.perf_counter()
        while True:
            body = {
                "client_id": self.client_id,
                "protocol": 1,
                "epoch": self.epoch,
                "scopes": self.cursors,
                "limit": PAGE_LIMIT,
            }
            resp = self.http.post("/api/v1/sync/pull", json=body)
            resp.raise_for_status()
            page, validated = decode_and_validate(resp.content)
            out.pages.append(resp.content)
            self.epoch = page.epoch
            for scope, sp in page.scopes.items():
                self.cursors[scope] = sp.next
            for changes in validated.values():
                out.changes += len(changes)
                _remember_customers(changes, out.customers)
            if not any(sp.has_more for sp in page.scopes.values()):
                break
        out.seconds = time.perf_counter() - started
        return out

    def push(self, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        resp = self.http.post(
            "/api/v1/sync/push",
            json={"client_id": self.client_id, "protocol": 1, "epoch": self.epoch, "mutations": mutations},
        )
        resp.raise_for_status()
        results: list[dict[str, Any]] = resp.json()["results"]
        return results

    def update(
        self, entity: str, entity_id: str, base_version: int, old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]:
        self.client_seq += 1
        return {
            "mutation_id": str(uuid.uuid4()),
            "client_seq": self.client_seq,
            "entity": entity,
            "entity_id": entity_id,
            "op": "update",
            "base_version": base_version,
            "base_values": old,
            "new_values": new,
        }


def _remember_customers(changes: list[ValidatedChange], into: dict[str, tuple[int, str]]) -> None:
    for c in changes:
        if c.entity == "customer" and isinstance(c.record, Customer):
            into[c.id] = (c.version, c.record.display_name)


def decode_rates(pages: list[bytes], changes: int) -> tuple[float, float]:
    """Decode-only records/s over the same pages: (fast path, pydantic)."""

    def timed(decode: Callable[[bytes], object]) -> float:
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            for data in pages:
                decode(data)
            best = min(best, time.perf_counter() - started)
        return changes / best

    return timed(decode_and_validate), timed(PullResponse.model_validate_json)


def prepare(db_url: str, customers: int) -> tuple[str, int]:
    """Initialize, seed, create the bench users; returns (the largest territory id, rows seeded)."""
    db = Database(db_url)
    try:
        initialize(db)
        report = run_seed(db, customers=customers, seed=1)
        if db.is_postgres:
            # run_seed leaves PostgreSQL without planner statistics; then the territory snapshot
            # picks nested loops (~50 s a page at 20k customers) until autovacuum analyzes
            with db.write() as conn:
                conn.execute(text("ANALYZE"))
        with db.read() as conn:
            territory = conn.execute(
                select(t.customer.c.territory_id)
                .group_by(t.customer.c.territory_id)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar_one()
        create_user(
            db, username="bench-agent", display_name="Bench Agent", password=PASSWORD, roles=["agent"]
        )
        create_user(
            db,
            username="bench-rep",
            display_name="Bench Rep",
            password=PASSWORD,
            roles=["field_rep"],
            territory_ids=[territory],
        )
        return str(territory), report.rows
    finally:
        db.dispose()


def _report(label: str, pulled: Pulled) -> None:
    fast, pyd = decode_rates(pulled.pages, pulled.changes)
    print(
        f"  {label}: {pulled.changes:,} changes in {len(pulled.pages)} pages, {pulled.seconds:.2f} s "
        f"→ {pulled.rate:,.0f} changes/s end to end"
    )
    print(
        f"    decode only: fast {fast:,.0f} records/s, pydantic {pyd:,.0f} records/s → ratio {fast / pyd:.2f}x"
    )
    # end to end as it would be with the pydantic decoder instead (same HTTP and server time)
    with_pydantic = pulled.seconds - pulled.changes / fast + pulled.changes / pyd
    print(
        f"    end to end with pydantic decoding instead: {pulled.changes / with_pydantic:,.0f} changes/s "
        f"→ ratio {with_pydantic / pulled.seconds:.2f}x"
    )


def run_backend(name: str, db_url: str, customers: int, updates: int) -> None:
    started = time.perf_counter()
    territory, rows = prepare(db_url, customers)
    print(f"[{name}] seeded {customers:,} customers ({rows:,} rows) in {time.perf_counter() - started:.1f} s")
    live = start_live_server(db_url)
    try:
        agent = Client(live.url, "bench-agent")
        directory = agent.pull_to_head("directory")
        _report("snapshot directory (agent)", directory)
        rep = Client(live.url, "bench-rep")
        _report(
            f"snapshot territory:{territory[:8]}… (field rep)", rep.pull_to_head(f"territory:{territory}")
        )

        targets = list(directory.customers.items())[:updates]
        push_started = time.perf_counter()
        for start in range(0, len(targets), PUSH_BATCH):
            batch = [
                agent.update("customer", cid, version, {"display_name": dn}, {"display_name": dn + " (b)"})
                for cid, (version, dn) in targets[start : start + PUSH_BATCH]
            ]
            outcomes = {r["outcome"] for r in agent.push(batch)}
            if not outcomes <= {"applied", "merged"}:
                raise RuntimeError(f"unexpected push outcomes {outcomes}")
        push_s = time.perf_counter() - push_started
        print(
            f"  pushed {len(targets):,} customer updates in {push_s:.2f} s ({len(targets) / push_s:,.0f}/s)"
        )
        log = agent.pull_to_head("directory")
        _report("log directory (agent)", log)
    finally:
        live.stop()


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (initdb) on this machine: install postgresql")
    cluster = PgCluster(bindir)
    try:
        cluster.start()
        yield cluster.new_database()
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=20_000, metavar="N")
    parser.add_argument("--updates", type=int, default=1_000, metavar="K", help="updates before the log pull")
    pg = parser.add_mutually_exclusive_group()
    pg.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database (SQLAlchemy URL)")
    pg.add_argument("--with-postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    args = parser.parse_args(argv)
    with TemporaryDirectory(prefix="liaison-bench-") as tmp:
        run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args.customers, args.updates)
    if args.postgres:
        run_backend("postgresql", args.postgres, args.customers, args.updates)
    elif args.with_postgres:
        with throwaway_postgres() as url:
            run_backend("postgresql", url, args.customers, args.updates)


if __name__ == "__main__":
    main()
