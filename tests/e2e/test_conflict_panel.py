"""A conflict made by a second client against the real server, shown in the agent's conflicts panel
and resolved from it; after a sync both clients and the server agree and the conflict is closed."""

import random

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop.services.store import apply_local_edit
from desktop.services.store.outbox import entries_for
from desktop.services.sync import SyncEngine
from desktop.views.conflicts.conflicts_model import STATE
from desktop.views.conflicts.panel import ConflictsPanel
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.tasks import TaskRunner
from tests.e2e.conftest import ClientFactory, E2EServer


class SyncRequests:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def _no_wait(_seconds: float) -> None:
    return None


def _server_conflicts(server: E2EServer, case_id: str) -> list[tuple[str, str]]:
    rows = server.query("SELECT id, status FROM sync_conflict WHERE entity_id = :i", i=case_id)
    return [(str(r.id), str(r.status)) for r in rows]


def test_a_conflict_from_a_second_client_is_resolved_from_the_panel(
    qtbot: QtBot, e2e_server: E2EServer, client: ClientFactory
) -> None:
    case_id = e2e_server.seed.case_id
    agent, supervisor = client("agent"), client("supervisor")
    hub = ChangeHub()
    tasks = TaskRunner(agent.cache.writer, inline=True)
    # the agent's engine announces what it changed to the views, as the app's sync bridge does
    engine = SyncEngine(
        agent.cache,
        agent.api,
        scopes=None,
        clock=lambda: 0.0,
        sleep=_no_wait,
        rng=random.Random(7),
        on_changed=hub.publish,
    )
    user = agent.api.me()
    sync_requests = SyncRequests()
    ctx = ViewContext(cache=agent.cache, tasks=tasks, hub=hub, request_sync=sync_requests, user=user)
    try:
        engine.run_once()
        supervisor.engine.run_once()
        panel = ConflictsPanel(ctx)
        qtbot.addWidget(panel)
        panel.show()
        assert panel.conflicts_model.rowCount() == 0

        # the agent's edit reaches the server first; the supervisor's edit of the same field loses
        hub.publish(
            apply_local_edit(agent.cache.writer, "case", case_id, "update", {"description": "from agent"})
        )
        engine.run_once()
        apply_local_edit(
            supervisor.cache.writer, "case", case_id, "update", {"description": "from supervisor"}
        )
        supervisor.engine.run_once()
        [(conflict_id, status)] = _server_conflicts(e2e_server, case_id)
        assert status == "open"

        with qtbot.waitSignal(panel.countsChanged) as counts:
            engine.run_once()  # the pull brings the conflict to the case owner's cache
        assert counts.args[0] == 1
        panel.select_conflict(conflict_id)
        view = panel.resolve_view
        shown = [w.text() for w in view.findChildren(QLabel) if w.isVisibleTo(panel)]
        assert "from agent" in shown
        assert "from supervisor" in shown
        assert any(text.startswith("Not applied: ") for text in shown)  # the agent did not write it

        view.choose(conflict_id, "edit", "agreed: from both")
        with qtbot.waitSignal(hub.changed):
            view.resolve_button.click()
        assert sync_requests.count == 1
        model = panel.conflicts_model
        assert model.index(model.row_of(conflict_id), STATE).data() == "Resolving…"
        with agent.cache.read() as conn:
            [command] = entries_for(conn, "conflict", conflict_id)
        assert command.new_values["value"] == "agreed: from both"

        with qtbot.waitSignal(panel.countsChanged) as counts:
            engine.run_once()  # push the command, pull the closed conflict and the merged case
        assert counts.args[0] == 0
        assert panel.conflicts_empty.isVisibleTo(panel)
        supervisor.engine.run_once()

        assert _server_conflicts(e2e_server, case_id) == [(conflict_id, "resolved")]
        for c in (agent, supervisor):
            assert c.row("case", case_id)["description"] == "agreed: from both"  # type: ignore[index]
            assert c.row("conflict", conflict_id)["status"] == "resolved"  # type: ignore[index]
            assert c.checksums() == c.server_checksums()
        assert supervisor.engine.status.conflicts == 0
        with agent.cache.read() as conn:
            assert entries_for(conn, "conflict", conflict_id) == []
    finally:
        tasks.shutdown()
