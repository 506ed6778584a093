"""Scenario 24: the server is killed mid-batch (SQLite and PostgreSQL) while one client pushes the
same batch concurrently (its engine plus two copies, each on its own connection), and a follower
client pulls all along.

The server is `python -m server.cli serve` (tests/support/server_process.py). Rounds alternate two
kills: the crash point `LIAISON_SERVER_CRASHPOINT=after_mutation_commit` (server/crashpoints.py)
with a random skip, which exits after the (k+1)-th committed mutation transaction, before any response;
and a real `kill -9` sent the moment the follower sees the round's first change, which can land
inside a transaction. After each kill, with the server down, the database is audited:
- each mutation is atomic: its `client_mutation` row, its data row (note) or version (case) and its
  change-log rows exist together or not at all;
- the committed mutations are a prefix of the batch in `client_seq` order, `last_client_seq` is
  the last of them, and the change log holds them in that order;
- the change log has no hole: its seqs are exactly 1..sync_counter.
Then the server restarts, the real engine replays (exactly once: the stored results), and after all
rounds the follower's audit holds: per scope, the change seqs it pulled are exactly the seqs
committed after it primed, in increasing order (no seq ever skipped), and everyone's checksums equal
the server's.
"""

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from desktop.services.api import ApiClient
from desktop.services.api_errors import ApiError
from desktop.services.api_http import ApiConfig
from desktop.services.store import apply_local_edit, new_record_id, open_cache, outbox_counts
from desktop.services.sync import SyncEngine
from server.crashpoints import ENV_NAME, ENV_SKIP, EXIT_CODE
from server.db import tables as t
from tests.api.sync_helpers import Mirror, login
from tests.e2e.conftest import Client, seed_database
from tests.reliability.conftest import OUTCOMES, trials
from tests.reliability.test_redelivery import outbox_edits, pending_requests
from tests.support.postgres import PgCluster
from tests.support.server_process import ServerProcess

PUSH = "/api/v1/sync/push"
WAIT_S = 120.0


def _no_wait(_seconds: float) -> None:
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
        cluster: PgCluster | None = None
    else:
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database()
    running = ServerProcess(url, seed_database(url), tmp_path / "server.log")
    try:
        yield running
    finally:
        if running.running:
            running.kill()
        if cluster is not None:
            cluster.drop_database(url)


def make_client(tmp_path: Path, server: ServerProcess, name: str) -> Client:
    """The real engine over its own cache, signed in as agent; waits and backoff sleeps are no-ops."""
    cache, _report = open_cache(tmp_path / name / "cache.db", None)
    api = ApiClient(ApiConfig(base_url=server.url), None, sleep=_no_wait)
    api.login("agent", "demo")
    engine = SyncEngine(cache, api, clock=lambda: 0.0, sleep=_no_wait, rng=random.Random(3))
    return Client("agent", cache, api, engine)


@dataclass
class Follower:
    """Pulls in a loop (long-poll, small pages) on its own thread; rides out server restarts."""

    server: ServerProcess
    mirror: Mirror
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)
    primed_at: int = 0
    #: set when a change with a seq above `watch_above` arrives
    watched: threading.Event = field(default_factory=threading.Event)
    watch_above: int | None = None
    thread: threading.Thread | None = None

    def prime(self) -> None:
        self.mirror.pull_all(limit=7)
        self.primed_at = len(self.mirror.seen)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="follower")
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            generation = self.server.generation
            try:
                self.mirror.pull_once(limit=5, wait_ms=500)
            except httpx.TransportError:  # the server died: wait for its restart, then go on
                if not self.server.wait_restarted(generation, WAIT_S):
                    self.errors.append(AssertionError("the server was not restarted"))
                    return
                continue
            except BaseException as exc:  # reported by the test thread
                self.errors.append(exc)
                return
            watch = self.watch_above
            if watch is not None and any(seq > watch for _s, seq, *_rest in self.mirror.seen):
                self.watched.set()

    def finish(self) -> None:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive() and not self.errors, self.errors
        self.mirror.pull_all(limit=7)

    def seen_after_priming(self) -> dict[str, list[int]]:
        per_scope: dict[str, list[int]] = {}
        for scope, seq, *_rest in self.mirror.seen[self.primed_at :]:
            per_scope.setdefault(scope, []).append(seq)
        return per_scope


def head(server: ServerProcess) -> int:
    return int(server.query("SELECT value FROM sync_counter WHERE id = 1")[0][0])


COPIES = 2


def concurrent_pushes(
    agent: Client, url: str, body: bytes
) -> tuple[list[BaseException], list[dict[str, Any]]]:
    """Two pushes of one client at once: `COPIES` raw copies of the engine's push body, each on its
    own connection (a push retried after a timeout while the first is still being processed),
    started together with the engine's own sync cycle. Returns the transport failures and the
    results of the copies that were answered."""
    start = threading.Barrier(COPIES + 1)
    failures: list[BaseException] = []
    unexpected: list[BaseException] = []
    answered: list[dict[str, Any]] = []
    sessions = [login(url, "agent") for _ in range(COPIES)]

    def engine() -> None:
        start.wait(WAIT_S)
        try:
            agent.engine.run_once()
        except ApiError as exc:
            failures.append(exc)
        except BaseException as exc:  # reported by the test thread
            unexpected.append(exc)

    def copy(http: httpx.Client) -> None:
        start.wait(WAIT_S)
        try:
            resp = http.post(PUSH, content=body, headers={"Content-Type": "application/json"})
            assert resp.status_code == 200, resp.text
            answered.extend(resp.json()["results"])
        except httpx.TransportError as exc:
            failures.append(exc)
        except BaseException as exc:
            unexpected.append(exc)

    threads = [threading.Thread(target=engine)] + [threading.Thread(target=copy, args=(h,)) for h in sessions]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(WAIT_S)
    finally:
        for h in sessions:
            h.close()
    assert not any(th.is_alive() for th in threads)
    assert not unexpected, unexpected
    return failures, answered


def audit_atomic(
    server: ServerProcess, client_id: str, edits: list[dict[str, str]], subject: str
) -> dict[str, dict[str, Any]]:
    """After a kill, server down: every mutation all-or-nothing (its dedupe row, its note or the
    case's subject and version, its change rows), a client_seq prefix, in order; no hole in the
    change log. `subject` is what the batch's case update sets. Returns the committed mutations'
    stored rows by mutation id."""
    engine = create_engine(server.db_url)
    ids = [e["mutation_id"] for e in edits]
    try:
        with engine.connect() as conn:
            stored = {
                str(r.mutation_id): dict(r._mapping)
                for r in conn.execute(
                    select(t.client_mutation).where(t.client_mutation.c.mutation_id.in_(ids))
                )
            }
            changes: dict[str, list[tuple[int, str, str, int, str]]] = {m: [] for m in ids}
            for r in conn.execute(
                select(t.change_log)
                .where(t.change_log.c.origin_mutation.in_(ids))
                .order_by(t.change_log.c.seq)
            ):
                changes[str(r.origin_mutation)].append(
                    (int(r.seq), r.entity, r.entity_id, int(r.version), r.op)
                )
            note_ids = [e["id"] for e in edits if e["entity"] == "case_note"]
            notes = {
                str(r.id)
                for r in conn.execute(select(t.case_note.c.id).where(t.case_note.c.id.in_(note_ids)))
            }
            case = t.ENTITY_TABLES["case"]
            case_ids = [e["id"] for e in edits if e["entity"] == "case"]
            cases = {
                str(r.id): (str(r.subject), int(r.version))
                for r in conn.execute(
                    select(case.c.id, case.c.subject, case.c.version).where(case.c.id.in_(case_ids))
                )
            }
            last = conn.execute(
                select(t.sync_client.c.last_client_seq).where(t.sync_client.c.client_id == client_id)
            ).scalar()
            seqs = [
                int(s)
                for s in conn.execute(select(t.change_log.c.seq).order_by(t.change_log.c.seq)).scalars()
            ]
            counter = int(conn.execute(select(t.sync_counter.c.value)).scalar_one())
    finally:
        engine.dispose()
    committed = [e for e in edits if e["mutation_id"] in stored]
    for e in edits:
        m = e["mutation_id"]
        if m not in stored:
            assert not changes[m], f"change rows without their mutation: {e}"
            assert e["id"] not in notes or e["entity"] != "case_note", f"a note without its mutation: {e}"
            assert e["entity"] != "case" or cases[e["id"]][0] != subject, (
                f"an update without its mutation: {e}"
            )
            continue
        row = stored[m]
        assert row["outcome"] in OUTCOMES and row["outcome"] != "rejected", row
        assert row["client_id"] == client_id
        result = row["result_json"]
        assert [(c[1], c[2], c[3], c[4]) for c in changes[m]] == [
            (e["entity"], e["id"], result["new_version"], "upsert")
        ]
        assert changes[m][0][0] == result["server_seq"] == row["server_seq"]
        if e["entity"] == "case_note":
            assert e["id"] in notes, f"a mutation without its note: {e}"
        if e["entity"] == "case":
            assert cases[e["id"]] == (subject, result["new_version"]), f"a mutation without its update: {e}"
    assert committed == edits[: len(committed)], "a later mutation committed before an earlier one"
    client_seqs = [int(stored[e["mutation_id"]]["client_seq"]) for e in committed]
    assert client_seqs == sorted(client_seqs)
    log_order = [changes[e["mutation_id"]][0][0] for e in committed]
    assert log_order == sorted(log_order), "the change log applied the client's mutations out of order"
    if committed:
        assert last == client_seqs[-1]
    assert seqs == list(range(1, counter + 1)), "the change log has a hole"
    return stored


def test_server_killed_mid_batch(server: ServerProcess, tmp_path: Path) -> None:
    case_id = server.seed.case_id
    rng = random.Random(24)
    rounds = max(2, trials(2, 50))  # crash point and kill -9 alternate
    notes = [rng.randint(6, 14) for _ in range(rounds)]
    skips = [rng.randrange(1, n + 1) for n in notes]  # < the batch (the notes and one update)

    def armed(r: int) -> dict[str, str]:
        return {ENV_NAME: "after_mutation_commit", ENV_SKIP: str(skips[r])}

    server.start(**armed(0))  # syncing and priming push nothing: the crash point waits for round 0
    agent = make_client(tmp_path, server, "agent")
    agent.engine.run_once()
    client_id = agent.client_id
    scopes = [f"queue:{server.seed.data.queue_ids[0]}", f"user:{server.seed.data.agent_id}"]
    follower = Follower(server, Mirror(login(server.url, "agent")))
    follower.mirror.subscribe(*scopes)
    follower.prime()
    primed_head = head(server)
    follower.start()
    edits: list[dict[str, str]] = []
    kills = {"crashpoint": 0, "sigkill": 0}
    try:
        for r, made in enumerate(notes):
            for i in range(made):
                apply_local_edit(
                    agent.cache.writer,
                    "case_note",
                    new_record_id(),
                    "append",
                    {"case_id": case_id, "body": f"{r}/{i}"},
                )
                if i == made // 2:
                    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": f"kill {r}"})
            batch = outbox_edits(agent.cache)
            edits += batch
            (body,) = pending_requests(agent.cache)
            mode = "crashpoint" if r % 2 == 0 else "sigkill"
            if mode == "crashpoint" and r > 0:
                server.stop()  # the replay's server was not armed
                server.start(**armed(r))
            if mode == "sigkill":  # the replay's server, killed once the round's first change shows
                follower.watched.clear()
                follower.watch_above = head(server)
                killer = threading.Thread(
                    target=lambda: follower.watched.wait(WAIT_S) and server.kill(), name="killer"
                )
                killer.start()
            failures, answered = concurrent_pushes(agent, server.url, body)
            if mode == "crashpoint":
                assert server.wait_exit(WAIT_S) == EXIT_CODE, server.tail()
                died_first = len(failures) == COPIES + 1 and not answered  # nobody got an answer
                assert died_first, (failures, answered)
            else:
                killer.join(WAIT_S)
                assert server.proc is not None and server.proc.returncode == -9
            kills[mode] += 1
            stored = audit_atomic(server, client_id, batch, f"kill {r}")
            if mode == "crashpoint":
                assert 1 <= len(stored) <= len(batch)
            for res in answered:  # a copy answered before the kill got the stored results
                assert res == stored[res["mutation_id"]]["result_json"]

            server.start()  # restart; the engine replays what was not acknowledged
            agent.engine.run_once()
            with agent.cache.read() as conn:
                counts = outbox_counts(conn)
            assert (counts.pending, counts.acked, counts.rejected, counts.conflicts) == (0, 0, 0, 0)
            stored = audit_atomic(server, client_id, batch, f"kill {r}")
            assert len(stored) == len(batch)  # exactly once: all present, each once (primary key)

        follower.finish()
        assert kills["crashpoint"] and kills["sigkill"]
        assert_exactly_once(server, client_id, edits)
        committed = {
            s: {
                int(q)
                for (q,) in server.query(
                    "SELECT seq FROM change_scope WHERE scope = :s AND seq > :h ORDER BY seq",
                    s=s,
                    h=primed_head,
                )
            }
            for s in scopes
        }
        seen = follower.seen_after_priming()
        for s in scopes:
            assert seen.get(s, []) == sorted(committed[s]), f"the follower skipped or repeated a seq of {s}"
            assert follower.mirror.checksum(s) == follower.mirror.server_checksum(s)["checksum"]
        assert len(committed[scopes[0]]) >= len(edits)
        assert agent.checksums() == agent.server_checksums()
        assert agent.row("case", case_id)["subject"] == f"kill {rounds - 1}"  # type: ignore[index]
    finally:
        follower.stop.set()
        if server.running:
            server.stop()
        if follower.thread is not None:
            follower.thread.join(WAIT_S)
        follower.mirror.http.close()
        agent.api.close()
        agent.cache.close()


def assert_exactly_once(server: ServerProcess, client_id: str, edits: list[dict[str, str]]) -> None:
    """SYNC §5 "0 lost" / "0 duplicated" (tests/reliability/conftest.py's, by database URL): one
    client_mutation row per edit, not rejected; each note once; no notes from nowhere."""
    rows = server.query("SELECT mutation_id, outcome FROM client_mutation WHERE client_id = :c", c=client_id)
    outcomes: dict[str, list[str]] = {}
    for mutation_id, outcome in rows:
        outcomes.setdefault(str(mutation_id), []).append(str(outcome))
    assert {e["mutation_id"] for e in edits} <= set(outcomes), "lost mutations"
    assert all(len(o) == 1 and o[0] in OUTCOMES and o[0] != "rejected" for o in outcomes.values()), outcomes
    note_ids = {e["id"] for e in edits if e["entity"] == "case_note"}
    notes = [str(i) for (i,) in server.query("SELECT id FROM case_note")]
    assert sorted(notes) == sorted(note_ids), "a note is missing or duplicated"
