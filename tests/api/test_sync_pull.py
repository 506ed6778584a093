"""Pull over real HTTP: snapshot then log, resumable priming, reset, epoch changes, isolation."""

import json
import socket
import threading
import time
import uuid
from typing import Any

import httpx

from server.db.bootstrap import rotate_epoch
from server.sync.retention import purge
from tests.api.conftest import World
from tests.api.sync_helpers import Mirror, login


def _add_customers(world: World, n: int, territory: str = "north") -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(n)]

    def go(w: Any) -> None:
        for i, cid in enumerate(ids):
            w.insert(
                "customer",
                {"id": cid, "display_name": f"Customer {i}", "territory_id": world.territory[territory]},
            )

    world.write(go)
    return ids


def test_snapshot_then_log_and_checksums_match(world: World) -> None:
    _add_customers(world, 25)
    m = world.mirror("rep", f"territory:{world.territory['north']}", "ref", f"user:{world.user['rep']}")
    first = m.pull_once(limit=7)
    assert {sp["mode"] for sp in first["scopes"].values()} == {"snapshot"}
    m.pull_all(limit=7)
    scope = f"territory:{world.territory['north']}"
    # primed: the next page is in log mode
    page = m.pull_once(limit=7)
    assert page["scopes"][scope]["mode"] == "log"
    for s in m.cursors:
        assert m.checksum(s) == m.server_checksum(s)["checksum"], s
    assert len([k for k in m.rows[scope] if k[0] == "customer"]) == 26
    # a change after priming arrives through the log
    cid = world.customer["ann"]
    world.write(lambda w: w.update("customer", cid, {"display_name": "Ann Renamed"}))
    page = m.pull_once()
    changes = page["scopes"][scope]["changes"]
    assert [(c["entity"], c["id"], c["op"]) for c in changes] == [("customer", cid, "upsert")]
    assert m.held(scope, "customer", cid)["display_name"] == "Ann Renamed"
    assert m.checksum(scope) == m.server_checksum(scope)["checksum"]


def test_priming_resumes_after_interruption_and_sees_changes_made_meanwhile(world: World) -> None:
    ids = _add_customers(world, 40)
    scope = f"territory:{world.territory['north']}"
    m = world.mirror("rep", scope)
    for _ in range(3):
        m.pull_once(limit=5)
    assert m.rows[scope] and len(m.rows[scope]) < 40
    saved_cursor, saved_rows = dict(m.cursors), {k: dict(v) for k, v in m.rows.items()}
    # a change to a row the snapshot already sent, and one it has not reached yet
    world.write(
        lambda w: (
            w.update("customer", ids[0], {"display_name": "Changed early"}),
            w.update("customer", ids[-1], {"display_name": "Changed late"}),
        )
    )
    # the desktop was killed: a new session resumes from the stored cursor (not from zero)
    resumed = Mirror(
        login(world.url, "rep"), client_id=m.client_id, epoch=m.epoch, cursors=saved_cursor, rows=saved_rows
    )
    pages = resumed.pull_all(limit=5)
    assert pages < 20  # 40+ rows at 5 a page from zero would take more than the remainder
    assert resumed.held(scope, "customer", ids[0])["display_name"] == "Changed early"
    assert resumed.held(scope, "customer", ids[-1])["display_name"] == "Changed late"
    assert resumed.checksum(scope) == resumed.server_checksum(scope)["checksum"]


def test_cursor_below_retention_resets_the_scope(world: World) -> None:
    scope = f"territory:{world.territory['north']}"
    m = world.mirror("rep", scope)
    m.pull_all()
    stale = dict(m.cursors)
    world.write(lambda w: w.update("customer", world.customer["ann"], {"display_name": "Ann B"}))
    world.write(lambda w: w.update("customer", world.customer["ann"], {"display_name": "Ann C"}))
    report = purge(world.db, retention_days=-1)  # everything is older than the window
    assert report.min_retained_seq > 0
    m.cursors = stale
    page = m.pull_once()
    assert page["scopes"][scope]["mode"] == "reset"
    assert page["scopes"][scope]["reason"] == "cursor_below_retention"
    m.pull_all()
    assert m.held(scope, "customer", world.customer["ann"])["display_name"] == "Ann C"
    assert m.checksum(scope) == m.server_checksum(scope)["checksum"]


def test_epoch_change_answers_409_reset(world: World) -> None:
    m = world.mirror("agent", "ref")
    m.pull_all()
    rotate_epoch(world.db)
    resp = m.http.post(
        "/api/v1/sync/pull",
        json={"client_id": m.client_id, "protocol": 1, "epoch": m.epoch, "scopes": m.cursors},
    )
    assert resp.status_code == 409
    assert resp.json()["reset"] == "epoch"
    assert resp.json()["error"]["code"] == "epoch_reset"


def test_cursor_ahead_of_head_means_a_restore_and_rotates_the_epoch(world: World) -> None:
    from sqlalchemy import select

    from server.db import tables as t
    from server.sync.cursor import Cursor

    m = world.mirror("agent", "ref")
    m.pull_all()
    with world.db.read() as conn:
        secret = conn.execute(select(t.server_meta.c.token_secret)).scalar_one()
    forged = Cursor(epoch=m.epoch or "", scope="ref", mode="log", seq=10**9).encode("not the secret")
    resp = m.http.post(
        "/api/v1/sync/pull", json={"client_id": m.client_id, "epoch": m.epoch, "scopes": {"ref": forged}}
    )
    assert resp.status_code == 400  # a forged cursor cannot force an epoch change
    # a cursor the server issued before its database was restored from an older backup
    ahead = Cursor(epoch=m.epoch or "", scope="ref", mode="log", seq=10**9).encode(secret)
    resp = m.http.post(
        "/api/v1/sync/pull", json={"client_id": m.client_id, "epoch": m.epoch, "scopes": {"ref": ahead}}
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["details"]["epoch"] != m.epoch


def test_field_rep_never_receives_another_territory(world: World) -> None:
    rep = world.mirror("rep", f"territory:{world.territory['north']}", f"user:{world.user['rep']}", "ref")
    rep.pull_all()
    south_customer = world.customer["bob"]
    held_ids = {row_id for rows in rep.rows.values() for (_e, row_id) in rows}
    assert south_customer not in held_ids and world.case["bob"] not in held_ids
    for scope in (
        f"territory:{world.territory['south']}",
        "directory",
        f"customer:{south_customer}",
        f"user:{world.user['rep2']}",
        f"queue:{world.queue['billing']}",
    ):
        resp = rep.http.post("/api/v1/sync/pull", json={"client_id": rep.client_id, "scopes": {scope: None}})
        assert resp.status_code == 403, scope
        assert resp.json()["error"]["code"] == "forbidden"
        resp = rep.http.get("/api/v1/sync/scope_checksum", params={"scope": scope})
        assert resp.status_code == 403, scope


def test_a_customer_moving_territory_leaves_the_old_scope_and_its_later_edits_never_leak(
    world: World,
) -> None:
    north, south = f"territory:{world.territory['north']}", f"territory:{world.territory['south']}"
    rep = world.mirror("rep", north)
    rep.pull_all()
    cid = world.customer["ann"]
    admin = world.mirror("admin")
    admin.push(
        admin.mutation(
            "customer",
            cid,
            "command",
            {"name": "reassign_territory", "territory_id": world.territory["south"]},
        )
    )
    world.write(lambda w: w.update("customer", cid, {"display_name": "Secret new name"}))
    rep.pull_all()
    held_ids = {row_id for (_e, row_id) in rep.rows[north]}
    assert cid not in held_ids and world.case["ann"] not in held_ids
    assert all("Secret" not in str(v) for rows in rep.rows.values() for (_ver, v) in rows.values())
    rep2 = world.mirror("rep2", south)
    rep2.pull_all()
    assert rep2.held(south, "customer", cid)["display_name"] == "Secret new name"
    assert rep2.held(south, "case", world.case["ann"]) is not None
    assert rep.checksum(north) == rep.server_checksum(north)["checksum"]


def test_long_poll_returns_when_something_changes(world: World) -> None:
    scope = f"territory:{world.territory['north']}"
    m = world.mirror("rep", scope)
    m.pull_all()
    result: dict[str, Any] = {}
    done = threading.Event()

    def wait() -> None:
        result["page"] = m.pull_once(wait_ms=20_000)
        done.set()

    thread = threading.Thread(target=wait)
    thread.start()
    # the change is made while the pull waits; the poll must return with it, not after 20 s
    world.write(lambda w: w.update("customer", world.customer["ann"], {"display_name": "Polled"}))
    assert done.wait(15)
    thread.join()
    changes = result["page"]["scopes"][scope]["changes"]
    assert any(c["id"] == world.customer["ann"] for c in changes)


def test_sse_pokes_after_a_commit(world: World) -> None:
    http = login(world.url, "agent")
    with (
        httpx.Client(base_url=world.url, timeout=20, headers=dict(http.headers)) as sse,
        sse.stream("GET", "/api/v1/sync/events") as stream,
    ):
        assert stream.status_code == 200
        lines = stream.iter_lines()
        event = _next_event(lines)
        assert event[0] == "poke"
        start_head = event[1]["head"]
        world.write(lambda w: w.update("customer", world.customer["ann"], {"display_name": "Poked"}))
        kind, data = _next_event(lines)
        assert kind == "poke" and data["head"] > start_head


def _next_event(lines: Any) -> tuple[str, dict[str, Any]]:
    import json

    kind = ""
    for line in lines:
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and kind:
            return kind, json.loads(line.split(":", 1)[1])
    raise AssertionError("stream ended")


def test_bad_pull_input_is_refused_clearly(world: World) -> None:
    http = login(world.url, "agent")
    for body, status in [
        ({"client_id": "x", "scopes": {"nonsense": None}}, 400),
        ({"client_id": "x", "scopes": {"ref": "!!!not-a-cursor"}}, 400),
        ({"client_id": "x", "scopes": {"ref": None}, "protocol": 0}, 426),
        ({"client_id": "x", "scopes": {"ref": None}, "limit": 10**9}, 422),
        ({"client_id": "x", "scopes": "ref"}, 422),
    ]:
        resp = http.post("/api/v1/sync/pull", json=body)
        assert resp.status_code == status, (body, resp.text)
        assert "error" in resp.json()
    assert (
        httpx.post(world.url + "/api/v1/sync/pull", json={"client_id": "x", "scopes": {}}).status_code == 401
    )


def _waiting_polls(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    [line] = [x for x in text.splitlines() if x.startswith("liaison_long_polls_waiting ")]
    return float(line.split()[1])


def test_a_long_poll_whose_client_hung_up_stops_waiting(world: World) -> None:
    """A client that gives up on a long-poll (closes the socket) frees its waiter at once, not
    after wait_ms: a crowd of abandoned polls must not pile up on the server."""
    scope = f"territory:{world.territory['north']}"
    m = world.mirror("rep", scope)
    m.pull_all()
    body = json.dumps(
        {
            "client_id": m.client_id,
            "protocol": 1,
            "epoch": m.epoch,
            "scopes": dict(m.cursors),
            "wait_ms": 30_000,
        }
    ).encode()
    host, port = world.url.removeprefix("http://").split(":")
    request = (
        f"POST /api/v1/sync/pull HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: {m.http.headers['Authorization']}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    tick = threading.Event()  # never set: a bounded pause between looks at the gauge
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(request)
        deadline = time.monotonic() + 20
        while _waiting_polls(world.url) != 1:
            assert time.monotonic() < deadline, "the long-poll never started waiting"
            tick.wait(0.02)
    deadline = time.monotonic() + 10  # far below wait_ms (30 s)
    while _waiting_polls(world.url) != 0:
        assert time.monotonic() < deadline, "the abandoned long-poll is still waiting"
        tick.wait(0.02)
