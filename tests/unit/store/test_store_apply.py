"""Pull pages: version skips, scope membership, deferred removal, rebase over outbox entries."""

import json

import pytest
from sqlalchemy import Connection, text

from desktop.services.store import Cache, apply_local_edit, apply_page, drop_scope, new_record_id, reset_scope
from desktop.services.store import apply as apply_module
from desktop.services.store.overlay import settle
from desktop.services.store.rows import Touched
from desktop.services.store.schema import outbox
from desktop.services.store.state import read_state
from tests.unit.store.conftest import ChangeFactory


def _names(conn: Connection) -> dict[str, tuple[str, int]]:
    rows = conn.execute(text("SELECT id, display_name, version FROM customer ORDER BY id"))
    return {r.id: (r.display_name, r.version) for r in rows}


def test_upserts_skip_older_versions_and_store_the_cursor(cache: Cache, change: ChangeFactory) -> None:
    changed = apply_page(
        cache.writer, "directory", [change("customer", "c1", 2, display_name="Two")], "cur-1"
    )
    assert changed.ids("customer") == {"c1"} and changed.scopes == {"directory"}
    again = apply_page(cache.writer, "directory", [change("customer", "c1", 2, display_name="Two")], "cur-1")
    assert not again.entities
    apply_page(cache.writer, "directory", [change("customer", "c1", 1, display_name="Old")], "cur-2")
    apply_page(cache.writer, "directory", [change("customer", "c1", 3, extra={"nickname": "Ada"})], "cur-3")
    with cache.read() as conn:
        assert _names(conn) == {"c1": ("Ada Lovelace", 3)}
        assert json.loads(str(conn.execute(text("SELECT extra FROM customer")).scalar())) == {
            "nickname": "Ada"
        }
        assert read_state(conn).scopes["directory"].cursor == "cur-3"


def test_a_failing_page_leaves_rows_and_cursor_as_they_were(
    cache: Cache, change: ChangeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "cur-1")

    def boom(*_args: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(apply_module, "reindex", boom)
    with pytest.raises(RuntimeError):
        apply_page(cache.writer, "directory", [change("customer", "c2", 1)], "cur-2")
    with cache.read() as conn:
        assert list(_names(conn)) == ["c1"]
        assert read_state(conn).scopes["directory"].cursor == "cur-1"


def test_scope_out_removes_a_row_only_when_no_scope_holds_it(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "territory:t1", [change("case", "k1", 1)], "a")
    apply_page(cache.writer, "queue:q1", [change("case", "k1", 1)], "b")
    apply_page(cache.writer, "queue:q1", [change("case", "k1", 2, op="scope_out")], "b2")
    with cache.read() as conn:
        assert conn.execute(text('SELECT count(*) FROM "case"')).scalar() == 1
    changed = apply_page(cache.writer, "territory:t1", [change("case", "k1", 2, op="scope_out")], "a2")
    assert changed.ids("case") == {"k1"}
    with cache.read() as conn:
        assert conn.execute(text('SELECT count(*) FROM "case"')).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM row_scope")).scalar() == 0


@pytest.mark.parametrize("state", ["pending", "inflight", "acked"])
def test_scope_out_waits_for_the_outbox(cache: Cache, change: ChangeFactory, state: str) -> None:
    apply_page(cache.writer, "territory:t1", [change("customer", "c1", 1)], "a")
    apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
    with cache.writer.transaction() as conn:
        conn.execute(outbox.update().values(state=state))
    apply_page(cache.writer, "territory:t1", [change("customer", "c1", 2, op="scope_out")], "a2")
    with cache.read() as conn:
        assert conn.execute(text("SELECT region FROM customer")).scalar() == "North"
    # the sync engine moves the entry out (acked log) and settles the row: now it goes
    with cache.writer.transaction() as conn:
        conn.execute(outbox.delete())
        settle(conn, [("customer", "c1")], Touched())
    with cache.read() as conn:
        assert _names(conn) == {}
        assert conn.execute(text("SELECT count(*) FROM server_shadow")).scalar() == 0


def test_rebase_keeps_local_edits_over_newer_server_rows(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "a")
    apply_local_edit(cache.writer, "customer", "c1", "update", {"display_name": "Local Name"})
    with cache.writer.transaction() as conn:
        conn.execute(outbox.update().values(state="acked", ack_seq=7))
    apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "West"})
    apply_page(
        cache.writer, "directory", [change("customer", "c1", 2, display_name="Server Name", tier="gold")], "b"
    )
    with cache.read() as conn:
        row = conn.execute(text("SELECT display_name, tier, region, version FROM customer")).one()
        shadow = conn.execute(text("SELECT version, values_json FROM server_shadow")).one()
    assert tuple(row) == ("Local Name", "gold", "West", 2)
    assert shadow.version == 2 and json.loads(shadow.values_json)["display_name"] == "Server Name"
    # once the overlay is gone the server's row shows
    with cache.writer.transaction() as conn:
        conn.execute(outbox.delete())
        settle(conn, [("customer", "c1")], Touched())
    with cache.read() as conn:
        assert _names(conn) == {"c1": ("Server Name", 2)}


def test_remote_delete_hides_an_edited_row_until_settled(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "directory", [change("customer", "c1", 1)], "a")
    apply_local_edit(cache.writer, "customer", "c1", "update", {"region": "North"})
    apply_page(cache.writer, "directory", [change("customer", "c1", 2, op="delete")], "b")
    with cache.read() as conn:
        assert _names(conn) == {}
        assert conn.execute(text("SELECT values_json FROM server_shadow")).scalar() is None
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 1


def test_a_local_create_is_replaced_by_the_server_copy(cache: Cache, change: ChangeFactory) -> None:
    cid = new_record_id()
    apply_local_edit(cache.writer, "customer", cid, "create", {"display_name": "Mine", "territory_id": "t1"})
    with cache.writer.transaction() as conn:
        conn.execute(outbox.update().values(state="acked"))
    apply_page(
        cache.writer,
        "territory:t1",
        [change("customer", cid, 1, display_name="Mine", account_number="A-9")],
        "a",
    )
    with cache.read() as conn:
        row = conn.execute(text("SELECT version, account_number FROM customer")).one()
    assert tuple(row) == (1, "A-9")


def test_reprime_drops_rows_not_sent_again(cache: Cache, change: ChangeFactory) -> None:
    apply_page(cache.writer, "territory:t1", [change("customer", "c1", 1), change("customer", "c2", 1)], "a")
    apply_page(cache.writer, "directory", [change("customer", "c2", 1)], "d")
    reset_scope(cache.writer, "territory:t1")
    with cache.read() as conn:
        assert read_state(conn).scopes["territory:t1"].cursor is None
        assert set(_names(conn)) == {"c1", "c2"}
    apply_page(cache.writer, "territory:t1", [change("customer", "c3", 1)], "a2", primed=True)
    with cache.read() as conn:
        assert set(_names(conn)) == {"c2", "c3"}
        assert read_state(conn).scopes["territory:t1"].primed
    drop_scope(cache.writer, "directory")
    with cache.read() as conn:
        assert set(_names(conn)) == {"c3"}
