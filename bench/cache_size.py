"""Cache size per 100k customers: the desktop's cache after priming, encrypted and plain.

1. a temporary server database seeded with `server.cli seed --customers N` (default 100,000) and
   served by `server.cli serve` on a free loopback port (see `prime_throughput.py`);
2. the demo agent's engine primes its default scopes (own cases, queues, `directory`, `ref`) into
   a fresh SQLCipher cache (random key), then into a fresh plain SQLite cache for comparison;
3. for each: the file and its WAL as priming left them (cache still open), then the file once
   closed (the last connection checkpoints the WAL into it and removes it), each scaled to 100,000 customers in the cache;
   row counts per table; for the plain file also the bytes per table and index (SQLite's `dbstat`,
   which the SQLCipher build lacks: the encrypted file is the same pages plus a per-page reserve).

Run: `.venv/bin/python bench/cache_size.py [--customers N] [--workdir DIR]`
"""

import argparse
import os
import sqlite3
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]  # noqa: E402

from bench.prime_throughput import file_bytes, new_key, prime_with_engine, seeded_server  # noqa: E402

MIB = 2**20
PER = 100_000


def _connect(path: Path, key: str | None) -> Any:
    if key is None:
        return sqlite3.connect(path, isolation_level=None)
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key}'\"")
    return conn


def _row_counts(conn: Any) -> dict[str, int]:
    names = [
        str(n) for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def _dbstat(conn: Any) -> list[tuple[str, int]]:
    rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    return [(str(n), int(b)) for n, b in rows]


def measure(label: str, url: str, path: Path, key: str | None) -> tuple[int, int]:
    """Prime into a fresh cache at `path`; print its sizes; (customers, bytes once closed)."""
    run = prime_with_engine(url, path, key, page_limit=500)
    primed_bytes = run.open_bytes
    conn = _connect(path, key)
    try:
        counts = _row_counts(conn)
        settled = file_bytes(path)
        customers = counts.get("customer", 0) or 1
        scale = PER / customers
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        print(
            f"{label}: {run.records:,} records primed, {customers:,} customers, page size {page_size} B\n"
            f"  file + WAL after priming: {primed_bytes / MIB:,.1f} MiB → {primed_bytes * scale / MIB:,.1f} MiB "
            f"per 100k customers\n"
            f"  file once closed:         {settled / MIB:,.1f} MiB → {settled * scale / MIB:,.1f} MiB "
            f"per 100k customers ({settled / max(run.records, 1):,.0f} B per record)"
        )
        shown = {k: v for k, v in counts.items() if v}
        print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in shown.items()))
        if key is None:
            print("  bytes by table/index (dbstat, top 12):")
            for name, size in _dbstat(conn)[:12]:
                print(f"    {name:<40} {size / MIB:8.1f} MiB  ({size * scale / MIB:,.1f} per 100k customers)")
    finally:
        conn.close()
    return customers, settled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000, metavar="N")
    parser.add_argument("--workdir", metavar="DIR", help="keep (and reuse) the seeded server database here")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    with (
        seeded_server(args.customers, args.workdir) as server,
        TemporaryDirectory(prefix="liaison-size-") as tmp,
    ):
        folder = Path(tmp)
        customers, encrypted = measure(
            "encrypted (SQLCipher)", server.url, folder / "encrypted.db", new_key()
        )
        _plain_customers, plain = measure("plain SQLite", server.url, folder / "plain.db", None)
        print(
            f"encrypted / plain, files once closed: {encrypted / plain:.3f} "
            f"({encrypted * PER / customers / MIB:,.1f} vs {plain * PER / customers / MIB:,.1f} MiB per 100k customers)"
        )


if __name__ == "__main__":
    main()
