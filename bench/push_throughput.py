"""Push throughput: mutations/s from 8 concurrent clients, against one client pushing the same total.

For each backend (SQLite always; PostgreSQL with `--postgres URL` or `--with-postgres`): a fresh
database seeded with the real seeder, a live uvicorn server in a thread (tests/support/live.py),
then

- concurrent: `--clients` threads (default 8), each with its own login and client_id, push
  `--batches` batches of 50 mutations each: half customer updates (each client its own customers,
  base values from the database, so they apply), half case-note appends;
- baseline, same run: one client pushes the same total number of mutations, the same mix, on
  customers not touched yet.

It prints mutations/s of both and the ratio (concurrent / single). Every mutation must come back
`applied`; anything else stops the run.

Run: `.venv/bin/python bench/push_throughput.py [--customers N] [--postgres URL | --with-postgres]`
"""

import argparse
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from server.auth.service import create_user  # noqa: E402
from server.db import tables as t  # noqa: E402
from server.db.bootstrap import initialize  # noqa: E402
from server.db.engine import Database  # noqa: E402
from server.seed import run_seed  # noqa: E402
from tests.support.live import start_live_server  # noqa: E402
from tests.support.postgres import PgCluster, find_bindir  # noqa: E402

PASSWORD = "bench-password"
BATCH = 50


@dataclass(frozen=True)
class Target:
    customer_id: str
    version: int
    display_name: str


@dataclass(frozen=True)
class Work:
    """What one client pushes: customers to update and cases to note, in batches of 50."""

    targets: list[Target]
    case_ids: list[str]


def prepare(db_url: str, customers: int, users: int) -> tuple[list[Target], list[str]]:
    """Initialize and seed; create `users` agents; return the customers and the case ids."""
    db = Database(db_url)
    try:
        initialize(db)
        run_seed(db, customers=customers, seed=1)
        for n in range(users):
            create_user(
                db, username=f"bench{n}", display_name=f"Bench {n}", password=PASSWORD, roles=["agent"]
            )
        with db.read() as conn:
            cust = t.customer
            targets = [
                Target(row.id, int(row.version), row.display_name)
                for row in conn.execute(
                    select(cust.c.id, cust.c.version, cust.c.display_name)
                    .where(cust.c.deleted_at.is_(None))
                    .order_by(cust.c.id)
                )
            ]
            cases = list(conn.execute(select(t.support_case.c.id).order_by(t.support_case.c.id)).scalars())
        return targets, cases
    finally:
        db.dispose()


class Pusher:
    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120)
        resp = self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD, "device_name": "bench"}
        )
        resp.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.client_id = str(uuid.uuid4())
        self.client_seq = 0

    def _mutation(
        self, entity: str, entity_id: str, op: str, new: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        self.client_seq += 1
        return {
            "mutation_id": str(uuid.uuid4()),
            "client_seq": self.client_seq,
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "new_values": new,
            **extra,
        }

    def batches(self, work: Work) -> list[list[dict[str, Any]]]:
        mutations: list[dict[str, Any]] = []
        for i, target in enumerate(work.targets):
            mutations.append(
                self._mutation(
                    "customer",
                    target.customer_id,
                    "update",
                    {"display_name": target.display_name + " (bench)"},
                    base_version=target.version,
                    base_values={"display_name": target.display_name},
                )
            )
            case_id = work.case_ids[i % len(work.case_ids)]
            mutations.append(
                self._mutation(
                    "case_note", str(uuid.uuid4()), "append", {"case_id": case_id, "body": "bench note"}
                )
            )
        return [mutations[i : i + BATCH] for i in range(0, len(mutations), BATCH)]

    def push_all(self, batches: list[list[dict[str, Any]]]) -> int:
        for batch in batches:
            resp = self.http.post(
                "/api/v1/sync/push", json={"client_id": self.client_id, "protocol": 1, "mutations": batch}
            )
            resp.raise_for_status()
            outcomes = {r["outcome"] for r in resp.json()["results"]}
            if outcomes != {"applied"}:
                raise RuntimeError(f"unexpected outcomes {outcomes}: {resp.text[:500]}")
        return sum(len(b) for b in batches)


def run_concurrent(pushers: list[Pusher], work: list[Work]) -> float:
    """Mutations/s with every pusher in its own thread, released together."""
    prepared = [p.batches(w) for p, w in zip(pushers, work, strict=True)]
    start = threading.Barrier(len(pushers) + 1)
    errors: list[BaseException] = []
    done = [0] * len(pushers)

    def run(n: int) -> None:
        start.wait()
        try:
            done[n] = pushers[n].push_all(prepared[n])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,), name=f"pusher-{n}") for n in range(len(pushers))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise errors[0]
    return sum(done) / seconds


def run_single(pusher: Pusher, work: Work) -> float:
    batches = pusher.batches(work)
    began = time.perf_counter()
    total = pusher.push_all(batches)
    return total / (time.perf_counter() - began)


def run_backend(name: str, db_url: str, customers: int, clients: int, batches: int) -> None:
    per_client = batches * BATCH // 2  # updates per client (as many appends)
    needed = 2 * clients * per_client
    began = time.perf_counter()
    targets, cases = prepare(db_url, customers, clients + 1)
    if len(targets) < needed:
        raise SystemExit(f"--customers must be at least {needed} for {clients} clients x {batches} batches")
    print(f"[{name}] seeded {len(targets):,} customers in {time.perf_counter() - began:.1f} s")
    live = start_live_server(db_url)
    try:
        concurrent_work = [
            Work(targets[n * per_client : (n + 1) * per_client], cases[n::clients]) for n in range(clients)
        ]
        pushers = [Pusher(live.url, f"bench{n}") for n in range(clients)]
        total = clients * per_client * 2
        concurrent = run_concurrent(pushers, concurrent_work)
        print(
            f"  {clients} clients x {batches} batches of {BATCH}: {total:,} mutations, {concurrent:,.0f} mutations/s"
        )
        rest = targets[clients * per_client : 2 * clients * per_client]
        single = run_single(Pusher(live.url, f"bench{clients}"), Work(rest, cases))
        print(f"  1 client, the same {total:,} mutations: {single:,.0f} mutations/s")
        print(f"  ratio concurrent / single: {concurrent / single:.2f}x")
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
    parser.add_argument("--customers", type=int, default=2_000, metavar="N")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batches", type=int, default=2, help="batches of 50 per client")
    pg = parser.add_mutually_exclusive_group()
    pg.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database (SQLAlchemy URL)")
    pg.add_argument("--with-postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    args = parser.parse_args(argv)
    with TemporaryDirectory(prefix="liaison-bench-") as tmp:
        run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args.customers, args.clients, args.batches)
    if args.postgres:
        run_backend("postgresql", args.postgres, args.customers, args.clients, args.batches)
    elif args.with_postgres:
        with throwaway_postgres() as url:
            run_backend("postgresql", url, args.customers, args.clients, args.batches)


if __name__ == "__main__":
    main()
