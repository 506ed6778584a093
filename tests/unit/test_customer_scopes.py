"""The on-demand customer scope grants kept in the cache (`desktop.services.customer_scopes`), on a
real cache file: recording, renewing, expiry on the given clock, forgetting, and the question the
window asks before opening a customer ("is its whole history held?")."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.services import customer_scopes
from desktop.services.store import Cache, apply_local_edit, apply_page, open_cache
from wire.fast import ValidatedChange
from wire.records import validate_record

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    yield opened
    opened.close()


def test_a_fresh_cache_has_no_grants_and_reads_do_not_need_the_table(cache: Cache) -> None:
    with cache.read() as conn:
        assert customer_scopes.grants(conn) == []
        assert customer_scopes.live_scopes(conn, NOW) == []
        assert customer_scopes.expired_scopes(conn, NOW) == []
        assert not customer_scopes.held_in_full(conn, "c1", NOW)


def test_a_grant_is_held_for_the_ttl_and_then_expired(cache: Cache) -> None:
    grant = customer_scopes.record_grant(
        cache.writer, "customer:c1", NOW, server_expires_at="2026-11-23T12:00:05+00:00"
    )
    assert grant.customer_id == "c1"
    assert grant.expires_at == (NOW + customer_scopes.TTL).isoformat()
    with cache.read() as conn:
        assert customer_scopes.grants(conn) == [grant]
        assert customer_scopes.live_scopes(conn, NOW + customer_scopes.TTL - timedelta(seconds=1)) == [
            "customer:c1"
        ]
        assert customer_scopes.live_scopes(conn, NOW + customer_scopes.TTL) == []
        assert customer_scopes.expired_scopes(conn, NOW + customer_scopes.TTL) == ["customer:c1"]
        assert customer_scopes.held_in_full(conn, "c1", NOW)
        assert not customer_scopes.held_in_full(conn, "c2", NOW)


def test_opening_again_renews_the_hold(cache: Cache) -> None:
    customer_scopes.record_grant(cache.writer, "customer:c1", NOW)
    later = NOW + timedelta(hours=20)
    customer_scopes.record_grant(cache.writer, "customer:c1", later)
    with cache.read() as conn:
        [grant] = customer_scopes.grants(conn)
        assert grant.granted_at == later.isoformat()
        assert customer_scopes.live_scopes(conn, NOW + timedelta(hours=30)) == ["customer:c1"]


def test_forget_removes_only_the_named_grants(cache: Cache) -> None:
    for name in ("customer:c1", "customer:c2"):
        customer_scopes.record_grant(cache.writer, name, NOW)
    with cache.writer.transaction() as conn:
        customer_scopes.forget(conn, ["customer:c1", "customer:unknown"])
    with cache.read() as conn:
        assert [g.scope for g in customer_scopes.grants(conn)] == ["customer:c2"]


@pytest.mark.parametrize("name", ["directory", "territory:t1", "customer:", "user:u1"])
def test_only_customer_scopes_are_recorded(cache: Cache, name: str) -> None:
    with pytest.raises(ValueError):
        customer_scopes.record_grant(cache.writer, name, NOW)
    with cache.read() as conn:
        assert customer_scopes.grants(conn) == []


def test_an_unreadable_expiry_counts_as_expired(cache: Cache) -> None:
    customer_scopes.record_grant(cache.writer, "customer:c1", NOW)
    with cache.writer.transaction() as conn:
        conn.exec_driver_sql(f"UPDATE {customer_scopes.TABLE} SET expires_at = 'soon'")
    with cache.read() as conn:
        assert customer_scopes.expired_scopes(conn, NOW) == ["customer:c1"]


def _customer_in(cache: Cache, scope: str, customer_id: str = "c1") -> None:
    record = validate_record("customer", {"display_name": "Ada", "territory_id": "t1"})
    page = [
        ValidatedChange(
            seq=1, entity="customer", id=customer_id, op="upsert", version=1, record=record, extra={}
        )
    ]
    apply_page(cache.writer, scope, page, "cursor-1", primed=True, epoch="e1")


@pytest.mark.parametrize(
    ("scope", "full"),
    [("directory", False), ("queue:q1", False), ("territory:t1", True), ("customer:c1", False)],
)
def test_the_history_is_held_in_full_through_a_territory_scope_or_a_live_grant(
    cache: Cache, scope: str, full: bool
) -> None:
    _customer_in(cache, scope)
    with cache.read() as conn:
        assert customer_scopes.held_in_full(conn, "c1", NOW) is full
        assert customer_scopes.wants_grant(conn, "c1", NOW) is not full
    customer_scopes.record_grant(cache.writer, "customer:c1", NOW)
    with cache.read() as conn:
        assert customer_scopes.held_in_full(conn, "c1", NOW)
        assert customer_scopes.held_in_full(conn, "c1", NOW + customer_scopes.TTL) is full


def test_opening_a_customer_asks_again_once_its_grant_is_half_way_to_expiry(cache: Cache) -> None:
    _customer_in(cache, "directory")
    customer_scopes.record_grant(cache.writer, "customer:c1", NOW)
    with cache.read() as conn:
        assert not customer_scopes.wants_grant(conn, "c1", NOW + timedelta(hours=1))
        assert customer_scopes.wants_grant(conn, "c1", NOW + customer_scopes.RENEW_AFTER)
        assert customer_scopes.wants_grant(conn, "c1", NOW + customer_scopes.TTL)


def test_a_customer_created_here_and_not_sent_is_not_asked_for(cache: Cache) -> None:
    changed = apply_local_edit(
        cache.writer, "customer", "c9", "create", {"display_name": "New", "territory_id": "t1"}
    )
    assert changed.ids("customer") == {"c9"}
    with cache.read() as conn:
        assert not customer_scopes.wants_grant(conn, "c9", NOW)
        assert customer_scopes.wants_grant(conn, "c8", NOW)  # unknown here: the server is asked
