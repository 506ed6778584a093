"""The desktop sync engine against the real server (SQLite): offline edits, merges, conflicts,
poison mutations, epoch resets, and the headless `liaison sync` command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.services.api_errors import TransportError
from desktop.services.store import apply_local_edit, new_record_id, outbox_counts
from desktop.services.store.schema import outbox, rejected_log
from tests.e2e.conftest import ROOT, ClientFactory, E2EServer, reconnect


def _count(server: E2EServer, mutation_id: str) -> int:
    return len(server.query("SELECT 1 FROM client_mutation WHERE mutation_id = :m", m=mutation_id))


def _server_case(server: E2EServer, case_id: str) -> dict[str, object]:
    rows = server.query(
        "SELECT subject, description, priority, version FROM support_case WHERE id = :i", i=case_id
    )
    return dict(rows[0]._mapping)


def _mutation_ids(c_cache: object) -> list[str]:
    with c_cache.read() as conn:  # type: ignore[attr-defined]
        return [
            str(m) for m in conn.execute(outbox.select().with_only_columns(outbox.c.mutation_id)).scalars()
        ]


def test_offline_edit_reaches_the_server_once(e2e_server: E2EServer, client: ClientFactory) -> None:
    case_id = e2e_server.seed.case_id
    agent = client("agent")
    agent.engine.run_once()
    assert agent.row("case", case_id) is not None
    assert agent.statuses[-1].state == "idle"
    assert any(s.state == "priming" for s in agent.statuses)

    e2e_server.stop()
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "Router on fire"})
    [mutation_id] = _mutation_ids(agent.cache)
    with pytest.raises(TransportError):
        agent.engine.run_once()
    assert agent.engine.status.state == "offline"
    assert agent.engine.status.pending == 1
    assert agent.row("case", case_id)["subject"] == "Router on fire"  # type: ignore[index]

    e2e_server.start()
    agent = reconnect(agent, e2e_server.url)
    agent.engine.run_once()
    agent.engine.run_once()  # a second cycle changes nothing and sends nothing again
    assert _count(e2e_server, mutation_id) == 1
    assert _server_case(e2e_server, case_id)["subject"] == "Router on fire"
    assert _server_case(e2e_server, case_id)["version"] == 2
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.conflicts) == (0, 0, 0)
    assert agent.checksums() == agent.server_checksums()


def test_merge_and_conflict_between_two_clients(e2e_server: E2EServer, client: ClientFactory) -> None:
    case_id = e2e_server.seed.case_id
    agent, supervisor = client("agent"), client("supervisor")
    agent.engine.run_once()
    supervisor.engine.run_once()

    # different fields of one case: both land, no conflict
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "New subject"})
    apply_local_edit(supervisor.cache.writer, "case", case_id, "update", {"priority": "high"})
    agent.engine.run_once()
    supervisor.engine.run_once()
    agent.engine.run_once()
    for c in (agent, supervisor):
        row = c.row("case", case_id)
        assert row is not None
        assert (row["subject"], row["priority"]) == ("New subject", "high")
        assert c.engine.status.conflicts == 0
    assert _server_case(e2e_server, case_id)["priority"] == "high"

    # the same field: the first to reach the server wins, the other value is kept in a conflict
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"description": "from agent"})
    apply_local_edit(supervisor.cache.writer, "case", case_id, "update", {"description": "from supervisor"})
    agent.engine.run_once()
    supervisor.engine.run_once()
    agent.engine.run_once()
    conflicts = e2e_server.query(
        "SELECT id, server_value, client_value, status FROM sync_conflict WHERE entity_id = :i", i=case_id
    )
    assert len(conflicts) == 1
    conflict_id = str(conflicts[0].id)
    assert json.loads(conflicts[0].server_value) == "from agent"
    assert json.loads(conflicts[0].client_value) == "from supervisor"
    assert _server_case(e2e_server, case_id)["description"] == "from agent"
    for c in (agent, supervisor):
        assert c.engine.status.conflicts == 1
        assert c.row("case", case_id)["description"] == "from agent"  # type: ignore[index]
        assert c.row("conflict", conflict_id)["client_value"] == "from supervisor"  # type: ignore[index]

    # resolving is an ordinary command; everything converges
    apply_local_edit(
        supervisor.cache.writer,
        "conflict",
        conflict_id,
        "command",
        {"name": "resolve_conflict", "action": "use_value", "value": "from supervisor"},
    )
    supervisor.engine.run_once()
    agent.engine.run_once()
    for c in (agent, supervisor):
        assert c.engine.status.conflicts == 0
        assert c.row("case", case_id)["description"] == "from supervisor"  # type: ignore[index]
        assert c.checksums() == c.server_checksums()


def test_poison_mutation_does_not_block_the_rest(e2e_server: E2EServer, client: ClientFactory) -> None:
    seed = e2e_server.seed
    agent = client("agent")
    agent.engine.run_once()
    orphan_case = new_record_id()
    apply_local_edit(
        agent.cache.writer,
        "case",
        orphan_case,
        "create",
        {"number": "CS-X", "customer_id": new_record_id(), "subject": "no such customer"},
    )
    [poison] = _mutation_ids(agent.cache)
    note_id = new_record_id()
    apply_local_edit(
        agent.cache.writer, "case_note", note_id, "append", {"case_id": orphan_case, "body": "x"}, poison
    )
    apply_local_edit(agent.cache.writer, "case", seed.case_id, "update", {"subject": "Still syncs"})
    agent.engine.run_once()

    assert _server_case(e2e_server, seed.case_id)["subject"] == "Still syncs"
    assert {r.entity for r in agent.rejections} == {"case", "case_note"}
    with agent.cache.read() as conn:
        logged = {str(r.mutation_id): str(r.reason) for r in conn.execute(rejected_log.select())}
        counts = outbox_counts(conn)
    assert len(logged) == 2
    assert logged[poison]  # the server's reason, for the user to read
    assert any("dependency_failed" in reason for reason in logged.values())
    assert (counts.pending, counts.acked, counts.rejected) == (0, 0, 2)
    assert agent.engine.status.rejected == 2
    assert agent.row("case", orphan_case) is None
    assert agent.row("case_note", note_id) is None
    assert agent.checksums() == agent.server_checksums()


def test_epoch_reset_keeps_and_repushes_edits(
    e2e_server: E2EServer, client: ClientFactory, tmp_path: Path
) -> None:
    case_id, customer_id = e2e_server.seed.case_id, e2e_server.seed.customer_id
    agent = client("agent")
    agent.engine.run_once()
    e2e_server.stop()
    e2e_server.backup(tmp_path / "backup")
    e2e_server.start()
    agent = reconnect(agent, e2e_server.url)

    # acknowledged edits after the backup, then a restore loses them on the server
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "After backup"})
    note_id = new_record_id()
    apply_local_edit(agent.cache.writer, "case_note", note_id, "append", {"case_id": case_id, "body": "n"})
    acked = _mutation_ids(agent.cache)
    agent.engine.run_once()
    assert _mutation_ids(agent.cache) == []  # confirmed: in the acked log now
    e2e_server.stop()
    e2e_server.restore(tmp_path / "backup")
    e2e_server.start()
    agent = reconnect(agent, e2e_server.url)
    assert _server_case(e2e_server, case_id)["subject"] == "Broken router"

    # and one edit still pending when the reset is noticed
    apply_local_edit(agent.cache.writer, "customer", customer_id, "update", {"display_name": "Ada King"})
    pending = _mutation_ids(agent.cache)
    agent.engine.run_once()

    for mutation_id in [*acked, *pending]:
        assert _count(e2e_server, mutation_id) == 1
    assert _server_case(e2e_server, case_id)["subject"] == "After backup"
    assert len(e2e_server.query("SELECT 1 FROM case_note WHERE id = :i", i=note_id)) == 1
    assert (
        e2e_server.query("SELECT display_name FROM customer WHERE id = :i", i=customer_id)[0][0] == "Ada King"
    )
    assert agent.row("case", case_id)["subject"] == "After backup"  # type: ignore[index]
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.rejected) == (0, 0, 0)
    assert agent.checksums() == agent.server_checksums()


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "sync", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_headless_command(
    e2e_server: E2EServer, client: ClientFactory, tmp_path: Path, keyring_env: dict[str, str]
) -> None:
    profile = str(tmp_path / "headless")
    done = _cli(
        keyring_env,
        "--profile",
        profile,
        "--server",
        e2e_server.url,
        "--username",
        "agent",
        "--password-stdin",
        stdin="demo\n",
    )
    assert done.returncode == 0, done.stderr
    shown = _cli(keyring_env, "--profile", profile, "--status")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert (report["pending"], report["conflicts"], report["rejected"]) == (0, 0, 0)
    assert set(report["cursors"].values()) == {"yes"}
    viewer = client("agent", profile="viewer")
    for scope, mine in report["checksums"].items():
        assert mine["checksum"] == viewer.api.scope_checksum(scope, report["client_id"]).checksum
    secrets = json.loads(Path(keyring_env["LIAISON_TEST_KEYRING_FILE"]).read_text())
    assert any(k.startswith("liaison-desk\tcache-key:") for k in secrets)
    assert not any(v == "demo" for v in secrets.values())  # the password is never stored

    # again, resuming the saved sign-in (no password) — and the headless path never loads Qt
    probe = (
        "import sys\nfrom desktop.app import main\n"
        f"code = main(['sync', '--profile', {profile!r}, '--server', {e2e_server.url!r}, '--username', 'agent'])\n"
        "assert 'PySide6' not in sys.modules, 'Qt was loaded'\nsys.exit(code)\n"
    )
    resumed = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        capture_output=True,
        text=True,
        env=keyring_env,
        cwd=ROOT,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr

    # without a usable keyring: a clear message and exit 2
    broken = {**keyring_env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    refused = _cli(broken, "--profile", profile, "--status")
    assert refused.returncode == 2
    assert "keyring" in refused.stderr
