"""Scenario 7: every push batch delivered 2-5 times, shuffled across two concurrent connections.

A real client makes offline edits; the request bodies its Pusher would send (outbox entries in
`client_seq` order, `PushRequest.model_dump_json()`) are cut into batches. A control server (a copy
of the same template) receives each batch once, in order. The server under test receives every
batch 2-5 times from two threads, each on its own HTTP connection, in a shuffled order that keeps
the one rule a real client keeps: batch i+1 is first sent only after a delivery of batch i was
answered. Every other copy is a stale re-delivery, sent at any later moment, possibly racing.

Checked: the two servers' state is identical (per-scope checksums, every mutation's stored result,
the change log's entity/version/op/origin sequence, the notes and the case), every delivery of a
batch got the same results (the stored ones), the change log applies each client's mutations in
`client_seq` order, 0 lost and 0 duplicated; then the real engine syncs and its checksums equal
the server's.

Also here: the helpers that turn a pending outbox into push bodies (`pending_requests`,
`outbox_edits`, `post`; scenarios 12 and 24 use them too), and the other side of redelivery: an
edit made after a push whose response was lost gets an entry of its own (squashed into the sent
one, it would be answered from the dedupe table and lost).
"""

import queue
import random
import shutil
import threading
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.services.api_errors import TransportError
from desktop.services.store import Cache, apply_local_edit, new_record_id, outbox_counts, state
from desktop.services.store.outbox import entry_from_row
from desktop.services.store.schema import outbox
from tests.api.sync_helpers import login
from tests.e2e.conftest import ClientFactory, E2EServer, Seed
from tests.reliability.conftest import assert_exactly_once, server_notes, trials
from tests.support.fault_proxy import FaultProxy, ToxicConfig
from wire.sync import MAX_MUTATIONS_PER_PUSH, PushRequest

PUSH = "/api/v1/sync/push"


def pending_requests(cache: Cache, sizes: list[int] | None = None) -> list[bytes]:
    """The push bodies of the pending outbox, as the engine's Pusher builds them: entries in
    `client_seq` order, batches of `sizes` (cycled; default one batch of up to 100)."""
    with cache.read() as conn:
        current = state.read_state(conn)
        rows = conn.execute(
            outbox.select().where(outbox.c.state == "pending").order_by(outbox.c.client_seq)
        ).all()
    mutations = [entry_from_row(r).mutation() for r in rows]
    cuts = sizes or [MAX_MUTATIONS_PER_PUSH]
    bodies: list[bytes] = []
    at = 0
    while at < len(mutations):
        size = min(cuts[len(bodies) % len(cuts)], MAX_MUTATIONS_PER_PUSH)
        request = PushRequest(
            client_id=current.client_id, epoch=current.epoch, mutations=mutations[at : at + size]
        )
        bodies.append(request.model_dump_json().encode())
        at += size
    return bodies


def outbox_edits(cache: Cache) -> list[dict[str, str]]:
    """The pending outbox as recorded edits ({entity, id, mutation_id}), in client_seq order."""
    with cache.read() as conn:
        rows = conn.execute(
            outbox.select().where(outbox.c.state == "pending").order_by(outbox.c.client_seq)
        ).all()
    return [
        {"entity": str(r.entity), "id": str(r.entity_id), "mutation_id": str(r.mutation_id)} for r in rows
    ]


def post(http: httpx.Client, body: bytes) -> list[dict[str, Any]]:
    resp = http.post(PUSH, content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    results: list[dict[str, Any]] = resp.json()["results"]
    return results


@dataclass
class Delivery:
    batch: int
    first: bool


@dataclass
class Schedule:
    """Who may send what when: batch i+1's first delivery waits until batch i was answered once;
    a copy waits until its batch's first delivery was sent (it may race it)."""

    deliveries: list[Delivery]
    sent: list[threading.Event]
    answered: list[threading.Event]
    results: dict[int, list[list[dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def shuffled(cls, batches: int, rng: random.Random) -> "Schedule":
        order = [Delivery(b, True) for b in range(batches)]
        for b in range(batches):
            for _copy in range(rng.randint(1, 4)):  # 2-5 deliveries in all
                first_at = next(i for i, d in enumerate(order) if d.batch == b and d.first)
                order.insert(rng.randint(first_at + 1, len(order)), Delivery(b, False))
        return cls(
            order, [threading.Event() for _ in range(batches)], [threading.Event() for _ in range(batches)]
        )

    def wait_turn(self, d: Delivery) -> None:
        gate = (self.answered[d.batch - 1] if d.batch else None) if d.first else self.sent[d.batch]
        if gate is not None:
            assert gate.wait(120), f"delivery of batch {d.batch} never got its turn"

    def record(self, d: Delivery, results: list[dict[str, Any]]) -> None:
        with self.lock:
            self.results.setdefault(d.batch, []).append(results)
        self.answered[d.batch].set()


def deliver_shuffled(url: str, bodies: list[bytes], rng: random.Random) -> Schedule:
    """Send every body 2-5 times over two connections (two threads) in a shuffled legal order."""
    schedule = Schedule.shuffled(len(bodies), rng)
    todo: queue.Queue[Delivery] = queue.Queue()
    for d in schedule.deliveries:
        todo.put(d)
    errors: list[BaseException] = []

    def connection() -> None:
        with closing(login(url, "agent")) as http:
            while True:
                try:
                    d = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    schedule.wait_turn(d)
                    if d.first:
                        schedule.sent[d.batch].set()
                    schedule.record(d, post(http, bodies[d.batch]))
                except BaseException as exc:  # reported by the test thread
                    errors.append(exc)
                    for event in schedule.sent + schedule.answered:
                        event.set()  # nobody waits for a delivery that will not come
                    return

    threads = [threading.Thread(target=connection, name=f"redeliver-{n}") for n in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    return schedule


def control_server(tmp_path: Path, template: tuple[Path, Seed]) -> E2EServer:
    """Another copy of the e2e template: same users, epoch, ids and head as the server under test."""
    source, seed = template
    target = tmp_path / "control" / "server.db"
    target.parent.mkdir()
    for suffix in ("", "-wal", "-shm"):
        copy = source.with_name(source.name + suffix)
        if copy.exists():
            shutil.copyfile(copy, target.with_name(target.name + suffix))
    control = E2EServer(path=target, seed=seed)
    control.start()
    return control


def state_of(server: E2EServer, client_id: str, case_id: str) -> dict[str, Any]:
    """What single and repeated delivery must leave identical (timestamps aside)."""
    return {
        "results": sorted(
            (str(r[0]), int(r[1]), str(r[2]), str(r[3]))
            for r in server.query(
                "SELECT mutation_id, client_seq, outcome, result_json FROM client_mutation WHERE client_id = :c",
                c=client_id,
            )
        ),
        "log": [
            tuple(r)
            for r in server.query(
                "SELECT seq, tx_group, entity, entity_id, version, op, origin_mutation FROM change_log ORDER BY seq"
            )
        ],
        "scopes": [tuple(r) for r in server.query("SELECT scope, seq FROM change_scope ORDER BY seq, scope")],
        "notes": sorted(
            tuple(r) for r in server.query("SELECT id, case_id, body, version, author_id FROM case_note")
        ),
        "case": [
            tuple(r)
            for r in server.query(
                "SELECT subject, priority, version FROM support_case WHERE id = :i", i=case_id
            )
        ],
        "client": [
            tuple(r)
            for r in server.query("SELECT last_client_seq FROM sync_client WHERE client_id = :c", c=client_id)
        ],
        "conflicts": server.query("SELECT count(*) FROM sync_conflict")[0][0],
        "rejected": server.query("SELECT count(*) FROM rejected_mutation")[0][0],
    }


def test_redelivered_batches_apply_once_in_order(
    e2e_server: E2EServer, client: ClientFactory, _template: tuple[Path, Seed], tmp_path: Path
) -> None:
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    control = control_server(tmp_path, _template)
    try:
        agent = client("agent")
        agent.engine.run_once()
        client_id = agent.client_id
        rng = random.Random(7)
        rounds = trials(3, 100)
        edits: list[dict[str, str]] = []
        deliveries = batches = 0
        for r in range(rounds):
            for i in range(rng.randint(4, 10)):
                apply_local_edit(
                    agent.cache.writer,
                    "case_note",
                    new_record_id(),
                    "append",
                    {"case_id": case_id, "body": f"round {r} note {i}"},
                )
                if i == 2:  # one update per round (pending updates of a record squash)
                    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": f"round {r}"})
            edits += outbox_edits(agent.cache)
            bodies = pending_requests(agent.cache, [rng.randint(1, 4) for _ in range(5)])
            assert len(bodies) > 1

            with closing(login(control.url, "agent")) as once:
                single = [post(once, body) for body in bodies]
            schedule = deliver_shuffled(e2e_server.url, bodies, rng)
            deliveries += len(schedule.deliveries)
            batches += len(bodies)

            for b, answers in schedule.results.items():
                assert len(answers) >= 2
                # every re-delivery was answered with the first delivery's (stored) results,
                # and those equal what the control server answered to its single delivery
                assert all(a == single[b] for a in answers), (b, answers, single[b])
            assert all(res["outcome"] == "applied" for batch in single for res in batch)
            # the real engine pushes the same entries: all answered from the dedupe table
            agent.engine.run_once()
            with agent.cache.read() as conn:
                counts = outbox_counts(conn)
            assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0)

        assert deliveries > batches  # really re-delivered (each batch 2-5 times)
        same = state_of(e2e_server, client_id, case_id)
        assert same == state_of(control, client_id, case_id)
        assert same["conflicts"] == 0 and same["rejected"] == 0
        # the change log applies the client's mutations in client_seq order
        seq_of = {m: s for m, s, _o, _r in same["results"]}
        applied = [seq_of[row[6]] for row in same["log"] if row[6] in seq_of]
        assert applied == sorted(applied) and len(set(applied)) == len(edits)
        assert same["client"] == [(max(seq_of.values()),)]
        assert_exactly_once(e2e_server, edits, notes_before)
        assert agent.checksums() == agent.server_checksums()
        assert agent.row("case", case_id)["subject"] == f"round {rounds - 1}"  # type: ignore[index]
        with closing(login(control.url, "agent")) as http:
            for scope, mine in agent.checksums().items():
                theirs = http.get(
                    "/api/v1/sync/scope_checksum", params={"scope": scope}, headers={"X-Client-Id": client_id}
                )
                assert theirs.json()["checksum"] == mine, scope
    finally:
        control.stop()


def test_edit_after_a_lost_push_response_is_not_squashed_away(
    e2e_server: E2EServer, client: ClientFactory, proxy: FaultProxy
) -> None:
    case_id = e2e_server.seed.case_id
    agent = client("agent", url=proxy.url)
    agent.engine.run_once()
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "first"})
    proxy.configure(ToxicConfig(probability=1.0, toxics=("limit_data",), trigger=b"POST " + PUSH.encode()))
    proxy.close_all()
    with pytest.raises(TransportError):
        agent.engine.run_once()  # the server committed "first"; the answer never came back
    assert e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=case_id)[0][0] == "first"
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "second"})
    proxy.configure(ToxicConfig())
    proxy.close_all()
    agent.engine.run_once()
    agent.engine.run_once()
    server_subject = e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=case_id)[0][0]
    assert (server_subject, agent.row("case", case_id)["subject"]) == ("second", "second")  # type: ignore[index]
