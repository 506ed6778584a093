"""Decode rate of a pull page: `wire.fast.decode_and_validate` against pydantic, records/s.

The page is real server output: a SQLite database seeded with the real seeder (`--customers N`),
a field rep's territory snapshot served by `server.sync.pull.serve_pull` page after page (every
entity of a territory: cases, customers, contact points, references, notes, holdings, offer
responses, interactions), joined into one page of at least `--min-changes` (default 20,000)
changes and encoded as the server encodes it (msgspec).

Baseline, same run: `wire.sync.PullResponse.model_validate_json` on the same bytes. It validates
the envelope only (`fields` stays a dict), while the fast path also validates every record's
fields against its entity's struct, so the ratio understates the fast path's lead.

Run: `.venv/bin/python bench/decode_rate.py [--customers N] [--min-changes M] [--repeat R]`
"""

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from server.auth.principal import Principal  # noqa: E402
from server.db import tables as t  # noqa: E402
from server.db.bootstrap import initialize  # noqa: E402
from server.db.engine import Database  # noqa: E402
from server.seed import run_seed  # noqa: E402
from server.sync.pull import page_checksum, serve_pull  # noqa: E402
from wire.fast import decode_and_validate  # noqa: E402
from wire.sync import PullRequest, PullResponse  # noqa: E402

GOAL_RECORDS_PER_S = 150_000


def build_page(customers: int, min_changes: int) -> tuple[bytes, Counter[str]]:
    """One pull page of at least `min_changes` changes of a territory snapshot, as the server sends it."""
    with TemporaryDirectory(prefix="liaison-bench-") as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        try:
            initialize(db)
            run_seed(db, customers=customers, seed=1)
            with db.read() as conn:
                territory = str(
                    conn.execute(
                        select(t.customer.c.territory_id)
                        .group_by(t.customer.c.territory_id)
                        .order_by(func.count().desc())
                        .limit(1)
                    ).scalar_one()
                )
                rep = Principal(
                    id="bench-rep",
                    username="rep",
                    display_name="Rep",
                    roles=frozenset({"field_rep"}),
                    territory_ids=(territory,),
                )
                scope = f"territory:{territory}"
                cursor: str | None = None
                changes: list[dict[str, Any]] = []
                page: dict[str, Any] = {}
                while True:
                    req = PullRequest(client_id="bench", scopes={scope: cursor}, limit=5000)
                    page = serve_pull(conn, rep, req)
                    sp = page["scopes"][scope]
                    changes += sp["changes"]
                    cursor = sp["next"]
                    if not sp["has_more"]:
                        break
        finally:
            db.dispose()
    if len(changes) < min_changes:
        raise SystemExit(f"the territory holds {len(changes):,} changes: raise --customers")
    pages = {
        scope: {"mode": "snapshot", "changes": changes, "next": cursor, "has_more": False, "reason": None}
    }
    body = {**page, "scopes": pages, "page_checksum": page_checksum(pages)}
    return msgspec.json.encode(body), Counter(c["entity"] for c in changes)


def rate(decode: Callable[[bytes], object], data: bytes, records: int, repeat: int) -> float:
    """Records/s of the best of `repeat` decodes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        decode(data)
        best = min(best, time.perf_counter() - started)
    return records / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=5_000, metavar="N")
    parser.add_argument("--min-changes", type=int, default=20_000, metavar="M")
    parser.add_argument("--repeat", type=int, default=7, metavar="R")
    args = parser.parse_args(argv)
    data, entities = build_page(args.customers, args.min_changes)
    records = sum(entities.values())
    mix = ", ".join(f"{name} {count:,}" for name, count in entities.most_common())
    print(f"page: {records:,} changes, {len(data) / 1e6:.1f} MB ({mix})")
    # both decoders must agree on what the page holds before they are timed
    fast_page, validated = decode_and_validate(data)
    slow_page = PullResponse.model_validate_json(data)
    assert (
        sum(len(v) for v in validated.values())
        == records
        == sum(len(s.changes) for s in slow_page.scopes.values())
    )
    assert fast_page.head == slow_page.head
    fast = rate(decode_and_validate, data, records, args.repeat)
    pydantic = rate(PullResponse.model_validate_json, data, records, args.repeat)
    print(f"wire.fast.decode_and_validate:       {fast:>12,.0f} records/s")
    print(f"pydantic PullResponse (envelope only): {pydantic:>10,.0f} records/s")
    print(f"ratio fast / pydantic: {fast / pydantic:.2f}x")
    verdict = "met" if fast >= GOAL_RECORDS_PER_S else "NOT met"
    print(f"goal ≥ {GOAL_RECORDS_PER_S:,} records/s: {verdict} ({fast:,.0f})")


if __name__ == "__main__":
    main()
