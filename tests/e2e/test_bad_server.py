"""A server answering garbage, HTML, a 200 with the wrong schema or a 10 MiB body, seen through the
whole sync engine (and `liaison sync`): a clear message, no traceback, nothing lost — the pending
edit stays in the outbox and reaches the server exactly once when the server behaves again."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.services.api_errors import ApiError, BadResponse
from desktop.services.store import apply_local_edit, outbox_counts
from tests.desktop.scripted_server import Script, reply, streamed
from tests.e2e.conftest import ClientFactory, E2EServer
from tests.reliability.conftest import cli_status, cli_sync
from tests.support.live import start_live_server

MIB = 1024 * 1024
HTML = b"<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
WRONG_SCHEMA = json.dumps({"epoch": 7, "head": "soon", "scopes": ["nope"]}).encode()

#: (a factory of the scripted answer — a streamed body can be sent once only —, words of the message)
HOSTILE = [
    pytest.param(lambda: reply(200, HTML, "text/html"), "instead of JSON", id="html-200"),
    pytest.param(lambda: reply(200, b"\x00\xff{garbage", "application/json"), "valid", id="garbage"),
    pytest.param(lambda: reply(200, WRONG_SCHEMA, "application/json"), "valid", id="wrong-schema"),
    # a pull page may be up to 64 MiB: 10 MiB of blanks is an invalid page there, too large elsewhere
    pytest.param(lambda: streamed(10 * MIB), "large|valid", id="10-MiB-body"),
]


@pytest.fixture
def scripted(e2e_server: E2EServer) -> Iterator[Script]:
    """The e2e server restarted behind a `Script` that can answer chosen requests itself."""
    script = Script()
    e2e_server.stop()
    e2e_server.live = start_live_server(e2e_server.db_url, configure=script.install)
    e2e_server.extra.append(e2e_server.live)
    yield script


def _mutations(e2e_server: E2EServer) -> list[Any]:
    return e2e_server.query("SELECT mutation_id, outcome FROM client_mutation")


@pytest.mark.parametrize("path", ["/api/v1/sync/pull", "/api/v1/sync/push"])
@pytest.mark.parametrize(("step", "words"), HOSTILE)
def test_engine_survives_a_hostile_answer_and_loses_nothing(
    e2e_server: E2EServer, scripted: Script, client: ClientFactory, path: str, step: Any, words: str
) -> None:
    case_id = e2e_server.seed.case_id
    agent = client("agent")
    agent.engine.run_once()
    apply_local_edit(agent.cache.writer, "case", case_id, "update", {"subject": "Still broken"})

    scripted.on(path, step())
    with pytest.raises(ApiError) as caught:
        agent.engine.run_once()
    assert isinstance(caught.value, BadResponse)
    status = agent.engine.status
    assert status.state == "error"
    assert status.last_error is not None and re.search(words, status.last_error)
    assert "Traceback" not in status.last_error and "<html" not in status.last_error
    assert agent.row("case", case_id)["subject"] == "Still broken"  # type: ignore[index]
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    if path.endswith("push"):  # the server never saw it: still waiting to be sent
        assert (counts.pending, counts.acked) == (1, 0)
        assert _mutations(e2e_server) == []

    agent.engine.run_once()  # the server behaves again
    assert [outcome for _m, outcome in _mutations(e2e_server)] == ["applied"]
    with agent.cache.read() as conn:
        counts = outbox_counts(conn)
    assert (counts.pending, counts.acked, counts.conflicts, counts.rejected) == (0, 0, 0, 0)
    assert agent.engine.status.state == "idle" and agent.engine.status.last_error is None
    assert agent.checksums() == agent.server_checksums()


@pytest.mark.parametrize(("step", "words"), [HOSTILE[0], HOSTILE[3]])  # the engine test covers all
def test_headless_sync_says_what_went_wrong_in_one_line(
    e2e_server: E2EServer,
    scripted: Script,
    keyring_env: dict[str, str],
    tmp_path: Path,
    step: Any,
    words: str,
) -> None:
    profile = tmp_path / "profile"
    scripted.on("/api/v1/sync/pull", step())
    failed = cli_sync(keyring_env, profile, e2e_server.url, password=True)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("liaison sync: "), failed.stderr
    assert re.search(words, lines[0]), lines[0]
    assert "Traceback" not in failed.stderr
    assert cli_status(keyring_env, profile)["last_error"] is not None

    done = cli_sync(keyring_env, profile, e2e_server.url)  # the saved sign-in, the server fine again
    assert done.returncode == 0, done.stderr
    status = cli_status(keyring_env, profile)
    assert status["last_error"] is None and set(status["cursors"].values()) == {"yes"}
