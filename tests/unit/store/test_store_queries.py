"""Queries for the GUI and screen pop, and the per-scope checksum the server also computes."""

import hashlib

from sqlalchemy import text

from desktop.services.store import (
    Cache,
    apply_local_edit,
    apply_page,
    customer,
    customers_by_phone,
    outbox_counts,
    reset_scope,
    scope_checksum,
)
from tests.unit.store.conftest import ChangeFactory


def test_customer_with_children_and_phone_lookup(cache: Cache, change: ChangeFactory) -> None:
    apply_page(
        cache.writer,
        "directory",
        [
            change("customer", "c1", 1),
            change("customer", "c2", 1, display_name="Bob"),
            change("contact_point", "p1", 1, customer_id="c1"),
            change("contact_point", "p2", 1, customer_id="c2"),
            change("contact_point", "p3", 1, customer_id="c2", kind="email", value="bob@example.com"),
            change("external_ref", "r1", 1, customer_id="c1"),
        ],
        "a",
    )
    with cache.read() as conn:
        view = customer(conn, "c1")
        assert view is not None
        assert view.customer.values["display_name"] == "Ada Lovelace"
        assert [p.id for p in view.contact_points] == ["p1"] and [r.id for r in view.external_refs] == ["r1"]
        assert customer(conn, "nope") is None
        assert [v.id for v in customers_by_phone(conn, "+447400123456")] == ["c1", "c2"]
        assert customers_by_phone(conn, "+15550000000") == []
        plan = conn.execute(
            text("EXPLAIN QUERY PLAN SELECT customer_id FROM contact_point WHERE kind='phone' AND value='x'")
        ).all()
        assert "ix_contact_point_kind_value" in str(plan)


def test_outbox_counts(cache: Cache, change: ChangeFactory) -> None:
    apply_page(
        cache.writer,
        "user:u1",
        [
            change("customer", "c1", 1),
            change("conflict", "x1", 1),
            change("conflict", "x2", 1, status="resolved"),
        ],
        "a",
    )
    apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
    with cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.conflicts, counts.rejected) == (1, 0, 1, 0)


def test_scope_checksum_matches_a_hand_computed_one(cache: Cache, change: ChangeFactory) -> None:
    ids = ["b-2", "a-1", "B-3", "ä-4"]
    apply_page(cache.writer, "territory:t1", [change("customer", i, n + 1) for n, i in enumerate(ids)], "a")
    apply_page(
        cache.writer,
        "territory:t1",
        [change("case", "k9", 5, customer_id="a-1"), change("contact_point", "p1", 2, customer_id="a-1")],
        "b",
    )
    apply_page(cache.writer, "directory", [change("customer", "zz", 1)], "d")
    # a local edit does not change the server version the checksum covers
    apply_local_edit(cache.writer, "customer", "a-1", "update", {"region": "North"})
    lines = [
        "case\tk9\t5\n",
        "contact_point\tp1\t2\n",
        "customer\tB-3\t3\n",
        "customer\ta-1\t2\n",
        "customer\tb-2\t1\n",
        "customer\tä-4\t4\n",
    ]
    expected = "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
    with cache.read() as conn:
        assert scope_checksum(conn, "territory:t1") == (6, expected)
        assert scope_checksum(conn, "nothing")[0] == 0


def test_scope_checksum_leaves_out_stale_members_and_uses_the_shadow_version(
    cache: Cache, change: ChangeFactory
) -> None:
    apply_page(cache.writer, "directory", [change("customer", f"c{n}", 1) for n in range(3)], "a")
    apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
    # the server's newer version arrives while the local edit is pending: the shadow has it
    apply_page(cache.writer, "directory", [change("customer", "c1", 7)], "b")
    lines = ["customer\tc0\t1\n", "customer\tc1\t7\n", "customer\tc2\t1\n"]
    expected = "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
    with cache.read() as conn:
        assert scope_checksum(conn, "directory") == (3, expected)
    reset_scope(cache.writer, "directory")  # every membership stale until the snapshot re-sends it
    with cache.read() as conn:
        assert scope_checksum(conn, "directory") == (0, "sha256:" + hashlib.sha256().hexdigest())
