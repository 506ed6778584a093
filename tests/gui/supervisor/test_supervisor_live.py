"""The supervisor's desk against the real server over loopback: the whole app signed in as the
supervisor shows the queue panel, the phone system's events (posted with an integration key) show
up as a queue change, a broadcast from the panel reaches a signed-in agent's banner, and an agent's
token is refused the board and broadcasts with a clear message in the desktop."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDockWidget
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot
from sqlalchemy import insert

from desktop.app import UI_SETTINGS, Shell, ShellOptions
from desktop.services.api import ServerEvent
from desktop.services.api_errors import Forbidden
from desktop.services.queue_watch import COLUMN_OF
from desktop.services.queue_watch_picture import BOARD_PATH, QUEUES_PATH
from desktop.services.session import SignInRequest
from desktop.services.settings import resolve_paths
from desktop.views.main_window import MainWindow
from desktop.views.supervisor.broadcast_banner import BroadcastBanner
from desktop.views.supervisor.broadcast_dialog import BroadcastDialog
from desktop.views.supervisor.panel import SupervisorPanel
from server.auth.tokens import hash_integration_key, new_integration_key
from server.db import tables as t
from server.db.engine import Database
from tests.gui.conftest import GuiServer, wait_for
from tests.gui.test_shell import ShortBackoff, _controls, _describe, close
from wire.telephony import SSE_QUEUE_SNAPSHOT, QueueSnapshot, QueuesResponse

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]

ShellFor = Callable[[str], Shell]


@pytest.fixture
def shell_for(qapp: QApplication, tmp_path: Path, gui_server: GuiServer) -> Iterator[ShellFor]:
    shells: list[Shell] = []

    def make(username: str) -> Shell:
        paths = resolve_paths(tmp_path / f"profile-{username}").ensure()
        settings = QSettings(str(paths.data_dir / UI_SETTINGS), QSettings.Format.IniFormat)
        options = ShellOptions(
            server_url=gui_server.url,
            username=username,
            auto_sign_in=SignInRequest(gui_server.url, username, "demo", False),
            engine_rng=ShortBackoff(),
        )
        shell = Shell(qapp, paths, settings, options)
        shells.append(shell)
        shell.start()
        return shell

    yield make
    for shell in shells:
        close(shell)


def _window(qtbot: QtBot, shell: Shell) -> MainWindow:
    wait_for(
        qtbot, lambda: shell.window is not None and shell.window.isVisible() and shell.session is not None
    )
    assert shell.window is not None
    return shell.window


def _integration_key(server: GuiServer) -> str:
    key = new_integration_key()
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            conn.execute(
                insert(t.integration_key).values(
                    id=str(uuid.uuid4()),
                    name="test phone system",
                    key_hash=hash_integration_key(key),
                    created_at=datetime.now(UTC),
                )
            )
    finally:
        db.dispose()
    return key


def _post_contacts(server: GuiServer, key: str, queue_id: str, count: int) -> None:
    now = datetime.now(UTC).isoformat()
    events: list[dict[str, str]] = []
    for n in range(count):
        contact = f"c-{uuid.uuid4()}"
        events.append(
            {
                "type": "contact_offered",
                "event_id": f"{contact}-o",
                "at": now,
                "contact_id": contact,
                "queue_id": queue_id,
                "phone": f"+4420794609{n:02d}",
            }
        )
        events.append(
            {
                "type": "contact_queued",
                "event_id": f"{contact}-q",
                "at": now,
                "contact_id": contact,
                "queue_id": queue_id,
            }
        )
    answer = httpx.post(
        f"{server.url}/api/v1/telephony/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2 * count


def _waiting(panel: SupervisorPanel, queue_id: str) -> str | None:
    row = panel.queue_model.row_of(queue_id)
    return None if row < 0 else str(panel.queue_model.index(row, COLUMN_OF["waiting"]).data())


def test_the_supervisor_sees_the_queue_change_and_reaches_the_agents(
    qtbot: QtBot, shell_for: ShellFor, gui_server: GuiServer
) -> None:
    supervisor = _window(qtbot, shell_for("supervisor"))
    dock = supervisor.findChild(QDockWidget, "supervisorDock")
    assert dock is not None and dock.isVisible()
    wait_for(qtbot, lambda: supervisor.findChild(SupervisorPanel) is not None)
    panel = supervisor.findChild(SupervisorPanel)
    assert panel is not None
    queue_id = gui_server.seed.data.queue_ids[0]
    wait_for(qtbot, lambda: _waiting(panel, queue_id) == "0")
    assert panel.queue_model.rowCount() == len(gui_server.seed.data.queue_ids)
    assert [_describe(w) for w in _controls(supervisor) if not w.accessibleName()] == []

    _post_contacts(gui_server, _integration_key(gui_server), queue_id, 3)
    wait_for(qtbot, lambda: _waiting(panel, queue_id) == "3")  # a snapshot (or the poll) brought it
    row = panel.queue_model.row_of(queue_id)
    assert panel.queue_model.index(row, COLUMN_OF["oldest_wait"]).data() != "—"

    agent_window = _window(qtbot, shell_for("agent"))
    assert agent_window.findChild(QDockWidget, "supervisorDock") is None
    assert not agent_window.actions_by_name["supervisor"].isEnabled()
    banner = agent_window.findChild(BroadcastBanner)
    assert banner is not None and banner.isHidden()

    # the agent hears broadcasts live, on its event stream: the stream comes up with the first sync,
    # but nothing on the desktop says when it is connected, so a broadcast sent before that is
    # sent again (a few times at most), each wait ending as soon as the banner shows
    for attempt in range(5):
        dialog = panel.open_broadcast()
        assert isinstance(dialog, BroadcastDialog)
        dialog.text.setPlainText(f"Queue 1 is busy: please finish wrap-up quickly ({attempt})")
        with qtbot.waitSignal(panel.broadcastSent, timeout=120_000):
            dialog.send()
        try:
            qtbot.waitUntil(lambda: not banner.isHidden(), timeout=20_000)
            break
        except WaitTimeout:
            continue
    assert not banner.isHidden()
    assert "please finish wrap-up quickly" in banner.label.text() and "Supervisor" in banner.label.text()


def test_an_agent_is_refused_the_board_and_broadcasts_with_a_clear_message(
    qtbot: QtBot, shell_for: ShellFor, gui_server: GuiServer
) -> None:
    window = _window(qtbot, shell_for("agent"))
    ctx = window.ctx
    assert ctx is not None and ctx.api is not None
    with pytest.raises(Forbidden):
        ctx.api.send("GET", BOARD_PATH)

    panel = SupervisorPanel(ctx)
    qtbot.addWidget(panel)
    wait_for(qtbot, lambda: "for supervisors and admins" in panel.message.text())

    dialog = BroadcastDialog(ctx, {})
    qtbot.addWidget(dialog)
    dialog.text.setPlainText("hello")
    dialog.send()
    wait_for(qtbot, lambda: not dialog.error.isHidden())
    assert dialog.error.text() == "Only supervisors and admins can send a broadcast."
    assert dialog.send_button.isEnabled()


def test_the_panel_polls_only_while_no_snapshot_arrives(
    qtbot: QtBot, shell_for: ShellFor, gui_server: GuiServer
) -> None:
    window = _window(qtbot, shell_for("supervisor"))
    ctx = window.ctx
    assert ctx is not None and ctx.api is not None
    now = [1000.0]
    panel = SupervisorPanel(ctx, poll_s=10.0, clock=lambda: now[0])
    qtbot.addWidget(panel)
    wait_for(qtbot, lambda: panel.applied >= 1)  # the first GET
    assert panel.fetches == 1

    # a snapshot as the server pushes it (built from the server's own answer)
    answer = QueuesResponse.model_validate_json(ctx.api.send("GET", QUEUES_PATH))
    assert answer.queues is not None and answer.agents is not None
    pushed = QueueSnapshot(
        at=answer.at, rolling_window_s=answer.rolling_window_s, queues=answer.queues, agents=answer.agents
    )
    applied = panel.applied
    ctx.hub.server_event.emit(ServerEvent(SSE_QUEUE_SNAPSHOT, pushed.model_dump(mode="json"), "1"))
    wait_for(qtbot, lambda: panel.applied > applied)
    now[0] += 9.0
    panel.poll_if_quiet()
    assert panel.fetches == 1  # a snapshot came 9 s ago: the event stream is alive
    now[0] += 1.0
    panel.poll_if_quiet()
    assert panel.fetches == 2  # 10 s without one: the fallback asks
    wait_for(qtbot, lambda: panel.applied > applied + 1)
