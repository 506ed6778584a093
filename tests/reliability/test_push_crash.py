"""Scenario 2: `kill -9` (crash points) during push, then a restart and sync: 0 lost, 0 duplicated,
the outbox drained. The client is `python -m desktop sync`; pending edits are made by a separate
process on the same (keyed) cache."""

from pathlib import Path

import pytest

from desktop.services.api import ApiClient
from desktop.services.api_http import ApiConfig
from desktop.services.crashpoints import EXIT_CODE
from desktop.services.store import outbox_counts
from tests.e2e.conftest import E2EServer
from tests.reliability.conftest import (
    assert_exactly_once,
    cli_status,
    cli_sync,
    helper,
    ledger,
    open_profile,
    recorded_edits,
    server_notes,
    trials,
)


# every crash point on SQLite; on PostgreSQL the two where the server did or did not commit
# (the others differ only on the client side, which the backend does not touch)
@pytest.mark.parametrize(
    ("e2e_server", "point"),
    [
        *[("sqlite", p) for p in ("before_push_send", "mid_push_request", "after_push_send_before_ack")],
        ("sqlite", "after_push_ack"),
        pytest.param("postgres", "mid_push_request", marks=pytest.mark.postgres),
        pytest.param("postgres", "after_push_send_before_ack", marks=pytest.mark.postgres),
    ],
    indirect=["e2e_server"],
)
def test_kill_during_push_then_restart(
    point: str, e2e_server: E2EServer, keyring_env: dict[str, str], tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    case_id = e2e_server.seed.case_id
    notes_before = server_notes(e2e_server)
    first = cli_sync(keyring_env, profile, e2e_server.url, password=True)
    assert first.returncode == 0, first.stderr

    edits: list[dict[str, str]] = []
    for trial in range(trials(2, 100)):
        made = recorded_edits(helper(keyring_env, "edits", str(profile), case_id, "3", f"{point}-{trial}"))
        assert len(made) == 4
        edits += made
        crashed = cli_sync(keyring_env, profile, e2e_server.url, LIAISON_CRASHPOINT=point)
        assert crashed.returncode == EXIT_CODE, crashed.stderr
        # the crash point really sits where it says: the server committed the batch or did not
        seen = ledger(e2e_server, [e["mutation_id"] for e in made], [])
        committed = [bool(outcomes) for outcomes in seen.mutations.values()]
        sent = point not in ("before_push_send", "mid_push_request")  # half a body is never applied
        assert all(committed) if sent else not any(committed)
        cache = open_profile(profile)  # the crashed profile, as the restart will find it
        try:
            with cache.read() as conn:
                counts = outbox_counts(conn)
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        finally:
            cache.close()
        expected = (0, 4) if point == "after_push_ack" else (4, 0)  # (pending or inflight, acked)
        assert (counts.pending, counts.acked) == expected
        resumed = cli_sync(keyring_env, profile, e2e_server.url)
        assert resumed.returncode == 0, resumed.stderr

    assert_exactly_once(e2e_server, edits, notes_before)
    status = cli_status(keyring_env, profile)
    assert (status["pending"], status["acked"], status["rejected"], status["conflicts"]) == (0, 0, 0, 0)
    assert set(status["cursors"].values()) == {"yes"}
    subject = e2e_server.query("SELECT subject FROM support_case WHERE id = :i", i=case_id)[0][0]
    assert subject == f"{point}-{trials(2, 100) - 1}"
    with ApiClient(ApiConfig(base_url=e2e_server.url)) as api:
        api.login("agent", "demo")
        for scope, mine in status["checksums"].items():
            assert mine["checksum"] == api.scope_checksum(scope, status["client_id"]).checksum, scope
