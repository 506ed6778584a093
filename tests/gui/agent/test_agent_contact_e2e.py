"""End to end with the real server: the test phone system posts the ACD's events, the server pushes
`incoming_contact` / `contact_update` over SSE, and the signed-in agent's window pops the customer,
answers, ends, wraps up — and the interaction reaches the customer's timeline through the normal
pull. Also: the agent's state change is visible on the server, a ring timeout takes the contact
off the bar, and a wrap-up survives the server being down."""

import httpx
import pytest
from pytestqt.qtbot import QtBot

from desktop.views.agent.desk import AgentDesk
from desktop.views.agent.wrap_up import WrapUpDialog
from desktop.views.main_window import MainWindow
from tests.gui.agent.phone_system import TIMEOUT_S, PhoneSystem
from tests.gui.agent.world import ADA_PHONE, SHARED_PHONE, AgentWorld, give_phones
from tests.gui.conftest import GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, signed_in_window
from tests.support.fault_proxy import ToxicConfig
from wire.auth import TokenPair
from wire.telephony import AgentStateView, ContactView

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]


def _server_state(server: GuiServer) -> AgentStateView:
    """The agent's state as the server has it, read with a separate sign-in."""
    login = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "agent", "password": "demo"}, timeout=TIMEOUT_S
    )
    login.raise_for_status()
    token = TokenPair.model_validate_json(login.content).access_token
    answer = httpx.get(
        f"{server.url}/api/v1/agents/me/state",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_S,
    )
    answer.raise_for_status()
    return AgentStateView.model_validate_json(answer.content)


def _ready_agent(
    qtbot: QtBot,
    make_shell: ShellFactory,
    server: GuiServer,
) -> tuple[MainWindow, AgentDesk, AgentWorld, PhoneSystem]:
    world = give_phones(server)
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    desk = window.agent_desk
    assert isinstance(desk, AgentDesk)
    control = desk.state_control
    control.available_action.trigger()
    wait_for(qtbot, lambda: control.state is not None and control.state.state == "available")
    return window, desk, world, PhoneSystem.for_server(server)


def _wrap_up_dialog(qtbot: QtBot, desk: AgentDesk, contact_id: str) -> WrapUpDialog:
    wait_for(qtbot, lambda: contact_id in desk.wrap_ups)
    return desk.wrap_ups[contact_id]


def _talk_until_wrap_up(
    qtbot: QtBot, desk: AgentDesk, phones: PhoneSystem, contact_id: str, queue_id: str, agent_id: str
) -> WrapUpDialog:
    """Ada calls and is routed to the agent, who answers and ends: the contact's wrap-up dialog."""
    phones.offer(contact_id, queue_id, ADA_PHONE)
    phones.route(contact_id, agent_id)
    bar = desk.contact_bar
    wait_for(qtbot, lambda: bar.answer_button.isVisible() and bar.answer_button.isEnabled())
    bar.answer_button.click()
    wait_for(qtbot, lambda: bar.end_button.isVisible() and bar.end_button.isEnabled())
    bar.end_button.click()
    return _wrap_up_dialog(qtbot, desk, contact_id)


def test_state_change_is_visible_on_the_server(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    _window, desk, _world, _phones = _ready_agent(qtbot, make_shell, gui_server)
    assert _server_state(gui_server).state == "available"
    control = desk.state_control
    assert control.button.text() == "Available" and control.timer.isActive()
    control.reason_actions["lunch"].trigger()
    wait_for(qtbot, lambda: control.state is not None and control.state.state == "not_ready")
    seen = _server_state(gui_server)
    assert (seen.state, seen.reason) == ("not_ready", "lunch")
    assert control.button.text() == "Not ready: Lunch"


def test_routed_contact_pops_is_answered_ended_and_wrapped_up_onto_the_timeline(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world, phones = _ready_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    assert window.tabs is not None
    phones.offer("call-1", world.queue_id, "020 7946 0958")
    phones.route("call-1", agent_id)
    wait_for(qtbot, lambda: window.tabs is not None and window.tabs.customer_ids() == [world.ada])
    bar = desk.contact_bar
    assert (
        bar.contact is not None
        and bar.answer_button.isVisible()
        and desk.contacts["call-1"].customer_id == world.ada
    )

    bar.answer_button.click()
    wait_for(qtbot, lambda: bar.end_button.isVisible() and bar.end_button.isEnabled())
    assert bar.phase.text().startswith("Talking")
    bar.end_button.click()
    dialog = _wrap_up_dialog(qtbot, desk, "call-1")
    codes = [dialog.codes.itemData(i) for i in range(dialog.codes.count())]
    assert codes == ["resolved_first", "callback"]  # the queue's own, then the global one
    assert bar.phase.text().startswith("After contact work")
    dialog.note.setPlainText("Router reset; customer happy")
    with qtbot.waitSignal(desk.wrappedUp, timeout=120_000) as saved:
        dialog.save_button.click()
    view = saved.args[0]
    assert isinstance(view, ContactView) and view.status == "handled" and view.interaction_id is not None
    assert bar.contact is None and desk.contacts == {}
    rows = gui_server.query(
        "SELECT customer_id, summary, outcome FROM interaction WHERE id = :id", id=view.interaction_id
    )
    assert [tuple(r) for r in rows] == [(world.ada, "Router reset; customer happy", "resolved_first")]
    screen = window.tabs.current_screen()
    timeline = getattr(screen, "timeline", None)
    assert timeline is not None
    interaction_id = view.interaction_id
    wait_for(qtbot, lambda: timeline.model.shows([interaction_id]))


def test_a_ring_timeout_takes_the_contact_off_the_bar_and_the_next_contact_pops(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world, phones = _ready_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    phones.offer("call-2", world.queue_id, ADA_PHONE)
    phones.route("call-2", agent_id)
    wait_for(qtbot, lambda: "call-2" in desk.contacts and desk.contact_bar.contact is not None)
    phones.ring_timeout("call-2", world.queue_id)
    wait_for(qtbot, lambda: "call-2" not in desk.contacts and desk.contact_bar.contact is None)
    assert "went back to the queue" in window.activity.item(0).text()
    # the same caller again, straight after: it rings and pops again
    phones.route("call-2", agent_id)
    wait_for(qtbot, lambda: "call-2" in desk.contacts and desk.contact_bar.contact is not None)
    assert window.tabs is not None and window.tabs.customer_ids() == [world.ada]


def test_a_wrap_up_is_kept_while_the_server_is_down_and_saved_when_it_is_back(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world, phones = _ready_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    bar = desk.contact_bar
    dialog = _talk_until_wrap_up(qtbot, desk, phones, "call-3", world.queue_id, agent_id)
    dialog.note.setPlainText("kept through an outage")
    gui_server.stop()
    dialog.save_button.click()
    wait_for(qtbot, lambda: dialog.error.isVisible() and dialog.save_button.isEnabled())
    assert "Not saved" in dialog.error.text() and dialog.isVisible()
    assert dialog.note.toPlainText() == "kept through an outage"
    gui_server.start()
    with qtbot.waitSignal(desk.wrappedUp, timeout=120_000):
        dialog.save_button.click()
    rows = gui_server.query(
        "SELECT summary FROM interaction WHERE customer_id = :c AND summary = :s",
        c=world.ada,
        s="kept through an outage",
    )
    assert len(rows) == 1
    assert desk.wrap_ups == {} and desk.contacts == {} and bar.contact is None
    assert window.tabs is not None and window.tabs.customer_ids() == [world.ada]


def test_a_second_contact_rings_while_the_first_ones_wrap_up_is_open(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    _window, desk, world, phones = _ready_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    bar = desk.contact_bar
    first = _talk_until_wrap_up(qtbot, desk, phones, "call-4", world.queue_id, agent_id)
    # the next caller (a shared number: the chooser) rings while the first wrap-up is still open
    phones.offer("call-5", world.queue_id, SHARED_PHONE)
    phones.route("call-5", agent_id)
    wait_for(qtbot, lambda: bar.contact is not None and bar.contact.contact_id == "call-5")
    chooser = desk.popper.chooser
    assert chooser is not None and first.isVisible()
    chooser.open_button.click()  # the first (best-ranked) candidate: Ada
    first.note.setPlainText("first call done")
    with qtbot.waitSignal(desk.wrappedUp, timeout=120_000) as saved:
        first.save_button.click()
    assert saved.args[0].contact_id == "call-4"
    # the second contact is still on the bar, ringing, with the customer the agent chose
    assert bar.contact is not None and bar.contact is not None and bar.contact.contact_id == "call-5"
    assert list(desk.contacts) == ["call-5"] and desk.contacts["call-5"].customer_id == world.ada


def test_a_wrap_up_whose_answer_was_lost_is_not_logged_twice(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world, phones = _ready_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    dialog = _talk_until_wrap_up(qtbot, desk, phones, "call-6", world.queue_id, agent_id)
    dialog.note.setPlainText("answer lost")
    # the server commits the wrap-up, but neither its answer nor the live events reach the desktop
    gui_server.proxy.configure(
        ToxicConfig(
            probability=1.0,
            toxics=("limit_data",),
            limit_bytes=0,
            trigger=(b"/wrapup", b"GET /api/v1/sync/events"),
        )
    )
    gui_server.proxy.close_all()
    dialog.save_button.click()
    wait_for(qtbot, lambda: dialog.error.isVisible() and dialog.save_button.isEnabled())
    assert gui_server.proxy.counters["truncations_done"] >= 1
    gui_server.proxy.configure(ToxicConfig())
    gui_server.proxy.close_all()
    dialog.save_button.click()  # the server says it is handled already: the desk closes the contact
    wait_for(qtbot, lambda: desk.contacts == {} and desk.wrap_ups == {})
    assert "already saved" in window.activity.item(0).text()
    rows = gui_server.query("SELECT id FROM interaction WHERE summary = :s", s="answer lost")
    assert len(rows) == 1
