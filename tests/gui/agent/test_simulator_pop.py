"""Issue 5's acceptance, end to end with the REAL call simulator: the simulator runs in real time
against the server the agent's window is signed in to, sees the agent go Available through
GET /api/v1/telephony/state, and routes a contact to them; the customer screen pops with the
customer whose number the simulator used (read from its own event log). The agent answers, ends
and wraps up through the contact bar and the interaction reaches that customer's timeline, after
which the simulator offers the next waiting contact. A ring the agent lets go unanswered goes
back to the queue (the simulator's ring timeout) and, first in line, is offered again."""

import pytest
from pytestqt.qtbot import QtBot

from desktop.views.agent.desk import AgentDesk
from desktop.views.main_window import MainWindow
from tests.gui.agent.simulator_driver import SimulatorDriver, SimulatorSetup
from tests.gui.agent.world import ADA_PHONE, GRACE_PHONE, AgentWorld, add_phone, give_phones
from tests.gui.conftest import GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, signed_in_window
from wire.telephony import ContactView

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]


def _available_agent(
    qtbot: QtBot, make_shell: ShellFactory, server: GuiServer
) -> tuple[MainWindow, AgentDesk, AgentWorld]:
    """The world (Ada and Grace with a number each), the signed-in window, the agent Available."""
    world = give_phones(server)
    add_phone(server, world.grace, GRACE_PHONE)
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    desk = window.agent_desk
    assert isinstance(desk, AgentDesk)
    control = desk.state_control
    control.available_action.trigger()
    wait_for(qtbot, lambda: control.state is not None and control.state.state == "available")
    return window, desk, world


def _simulator(server: GuiServer, world: AgentWorld, *, ring_timeout_s: float = 600.0) -> SimulatorDriver:
    """The agent's queue; callers with Ada's or Grace's own number (never the shared one)."""
    setup = SimulatorSetup(
        queue_id=world.queue_id, numbers=[ADA_PHONE, GRACE_PHONE], seed=3, ring_timeout_s=ring_timeout_s
    )
    return SimulatorDriver.for_server(server, setup)


def _owner_of(server: GuiServer, phone: str | None) -> str:
    """The one customer who has `phone` (the server's database, not the desktop's)."""
    assert phone is not None
    rows = server.query(
        "SELECT customer_id FROM contact_point WHERE kind = 'phone' AND value = :v AND deleted_at IS NULL",
        v=phone,
    )
    assert len(rows) == 1, rows
    return str(rows[0][0])


def _ringing_contact(desk: AgentDesk) -> str | None:
    bar = desk.contact_bar
    return bar.contact.contact_id if bar.contact is not None and bar.answer_button.isVisible() else None


def test_the_simulator_routes_a_contact_that_pops_its_caller_and_is_wrapped_up_onto_the_timeline(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world = _available_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    tabs = window.tabs
    assert tabs is not None and tabs.customer_ids() == []
    bar = desk.contact_bar
    with _simulator(gui_server, world) as simulator:
        wait_for(qtbot, lambda: _ringing_contact(desk) is not None)
        contact_id = _ringing_contact(desk)
        assert contact_id is not None and contact_id.startswith(simulator.run + "-c")
        assert simulator.routings(contact_id) == [agent_id]
        customer_id = _owner_of(gui_server, simulator.phone_of(contact_id))
        assert customer_id in (world.ada, world.grace)
        # the customer screen pops with the caller's customer
        wait_for(qtbot, lambda: tabs.customer_ids() == [customer_id])
        assert desk.contacts[contact_id].customer_id == customer_id
        assert tabs.currentIndex() == tabs.index_of(customer_id)

        bar.answer_button.click()
        wait_for(qtbot, lambda: bar.end_button.isVisible() and bar.end_button.isEnabled())
        # the simulator saw the answer on the server and let the desktop drive the contact
        wait_for(qtbot, lambda: simulator.engine.contacts[contact_id].released)
        bar.end_button.click()
        wait_for(qtbot, lambda: contact_id in desk.wrap_ups)
        dialog = desk.wrap_ups[contact_id]
        dialog.note.setPlainText("Offered by the simulator")
        with qtbot.waitSignal(desk.wrappedUp, timeout=120_000) as saved:
            dialog.save_button.click()
        view = saved.args[0]
        assert isinstance(view, ContactView) and view.contact_id == contact_id and view.status == "handled"
        interaction_id = view.interaction_id
        assert interaction_id is not None
        rows = gui_server.query(
            "SELECT customer_id, summary FROM interaction WHERE id = :id", id=interaction_id
        )
        assert [tuple(r) for r in rows] == [(customer_id, "Offered by the simulator")]
        screen = tabs.widget(tabs.index_of(customer_id))
        timeline = getattr(screen, "timeline", None)
        assert timeline is not None
        wait_for(qtbot, lambda: timeline.model.shows([interaction_id]))

        # wrapped up, the agent is available again: the simulator offers the next waiting caller
        wait_for(qtbot, lambda: _ringing_contact(desk) not in (None, contact_id))
        following = _ringing_contact(desk)
        assert following is not None and simulator.routings(following) == [agent_id]
    # the simulator never timed the answered contact out, and nobody abandoned
    assert simulator.queued_count(contact_id) == 1
    assert not any(e.type == "contact_abandoned" for e in simulator.log())


def test_a_ring_the_agent_does_not_answer_goes_back_to_the_queue_and_is_offered_again(
    qtbot: QtBot,
    make_shell: ShellFactory,
    gui_server: GuiServer,
) -> None:
    window, desk, world = _available_agent(qtbot, make_shell, gui_server)
    agent_id = gui_server.seed.data.agent_id
    tabs = window.tabs
    assert tabs is not None
    popped: list[str] = []  # every ring on this desk, in order (the bar only shows the latest)
    desk.contactPopped.connect(popped.append)
    # a short ring: the simulator re-queues the contact after 3 s and offers the agent nothing
    # for the next 3 s
    with _simulator(gui_server, world, ring_timeout_s=3.0) as simulator:
        wait_for(qtbot, lambda: len(popped) >= 1)
        contact_id = popped[0]
        assert contact_id.startswith(simulator.run + "-c")
        customer_id = _owner_of(gui_server, simulator.phone_of(contact_id))
        wait_for(qtbot, lambda: tabs.customer_ids() == [customer_id])

        # nobody answers: the ring times out, the contact goes back to the queue, off the bar
        gone = "was not answered and went back to the queue"
        wait_for(
            qtbot,
            lambda: any(gone in window.activity.item(i).text() for i in range(window.activity.count())),
        )
        assert simulator.queued_count(contact_id) >= 2
        # first in line (FIFO by first enqueue), it rings at the agent again once the pause is over
        wait_for(qtbot, lambda: len(popped) >= 2)
        assert popped[:2] == [contact_id, contact_id]
        assert simulator.routings(contact_id)[:2] == [agent_id, agent_id]
        assert tabs.customer_ids() == [customer_id]
    # the contact's life as the simulator posted it: offered, queued, rung out, queued again, offered
    kinds = [e.type for e in simulator.of_contact(contact_id)]
    assert kinds[:5] == [
        "contact_offered",
        "contact_queued",
        "contact_routed",
        "contact_queued",
        "contact_routed",
    ]
    assert "contact_answered" not in kinds and "contact_abandoned" not in kinds
