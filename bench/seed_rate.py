"""Seed rate: bulk seeding vs the ORM unit of work and one-row-at-a-time executes.

    python bench/seed_rate.py [CUSTOMERS] [--postgres URL] [--sample CUSTOMERS]

Seeds CUSTOMERS (default 100,000) into a fresh SQLite file (and into PostgreSQL when a URL is
given: the database must be empty and is initialized here), prints rows/s, then inserts the
rows of a small sample of customers the slow ways into another fresh SQLite file and prints
those rates and the ratios.
"""

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, registry

from server.db import tables as t
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.seed import run_seed
from server.seed.bulk import Row
from server.seed.generate import Plan, generate
from server.seed.ids import Clock, IdSource
from server.seed.reference import write_reference

NOW = datetime(2025, 6, 1, tzinfo=UTC)


class Collect:
    """A row target that keeps the chunks (for the baselines)."""

    def __init__(self) -> None:
        self.chunks: list[tuple[str, tuple[str, ...], list[Row]]] = []

    def write(self, table: str, columns: Any, rows: list[Row]) -> None:
        self.chunks.append((table, tuple(columns), rows))

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _fresh_sqlite(directory: Path, name: str) -> Database:
    db = Database(f"sqlite:///{directory / name}")
    initialize(db)
    return db


def _sample_rows(db: Database, customers: int) -> list[tuple[str, list[dict[str, Any]]]]:
    rng = random.Random(7)
    with db.write() as conn:
        ref = write_reference(conn, IdSource(rng), Clock(NOW), 1, {})
    target = Collect()
    generate(Plan(rng.getstate(), ref, NOW, "", 1, customers, (), rng.getrandbits(64)), target)
    return [
        (table, [dict(zip(columns, row, strict=True)) for row in rows])
        for table, columns, rows in target.chunks
    ]


def _orm_rate(db: Database, rows: list[tuple[str, list[dict[str, Any]]]]) -> float:
    reg = registry()
    classes = {name: type(f"Orm_{name}", (), {}) for name, _ in rows}
    for name, cls in classes.items():
        reg.map_imperatively(cls, t.metadata.tables[name])
    count = sum(len(r) for _, r in rows)
    started = time.perf_counter()
    with Session(db.engine) as session:
        for name, records in rows:
            for record in records:
                obj = classes[name]()
                for key, value in record.items():
                    setattr(obj, key, value)
                session.add(obj)
            session.flush()
        session.commit()
    reg.dispose()
    return count / (time.perf_counter() - started)


def _row_at_a_time_rate(db: Database, rows: list[tuple[str, list[dict[str, Any]]]]) -> float:
    count = sum(len(r) for _, r in rows)
    started = time.perf_counter()
    with db.write() as conn:
        for name, records in rows:
            table = t.metadata.tables[name]
            for record in records:
                conn.execute(insert(table).values(**record))
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("customers", type=int, nargs="?", default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="also seed this (empty) PostgreSQL database")
    parser.add_argument("--sample", type=int, default=1_000, help="customers in the baseline sample")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="seed-rate-") as tmp:
        directory = Path(tmp)
        db = _fresh_sqlite(directory, "bulk.db")
        report = run_seed(db, customers=args.customers, now=NOW, progress=print)
        db.dispose()
        print(f"SQLite bulk: {report.rows:,} rows, {report.seconds:.1f} s, {report.rows_per_s:,.0f} rows/s")
        _print_cpu(report.rows)
        if args.customers >= 1_000_000:
            print(f"1M-customer rate (measured): {report.rows_per_s:,.0f} rows/s")
        else:
            print("1M-customer rate: not measured (run with 1000000; rates fall as the tables grow)")
        bulk = report.rows_per_s
        if args.postgres:
            pg = Database(args.postgres)
            initialize(pg)
            pg_report = run_seed(pg, customers=args.customers, now=NOW, progress=print)
            pg.dispose()
            print(f"PostgreSQL COPY: {pg_report.rows:,} rows, {pg_report.rows_per_s:,.0f} rows/s")

        rows = _sample_rows(_fresh_sqlite(directory, "scratch.db"), args.sample)
        orm = _orm_rate(_fresh_sqlite(directory, "orm.db"), rows)
        single = _row_at_a_time_rate(_fresh_sqlite(directory, "single.db"), rows)
        sample = sum(len(r) for _, r in rows)
        print(f"baseline, {sample:,} rows of {args.sample:,} customers:")
        print(f"  ORM unit of work:      {orm:,.0f} rows/s (bulk is {bulk / orm:.1f}x)")
        print(f"  one row per execute:   {single:,.0f} rows/s (bulk is {bulk / single:.1f}x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB (this process), {worker:,.0f} MB (generator worker)")


def _print_cpu(rows: int) -> None:
    """CPU time per row of the writer (this process) and of the generator worker."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = me.ru_utime + me.ru_stime
    gen = worker.ru_utime + worker.ru_stime
    print(f"  CPU: writer {own / rows * 1e6:.1f} us/row, generator worker {gen / rows * 1e6:.1f} us/row")


if __name__ == "__main__":
    main()
