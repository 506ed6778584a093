"""The agent's widgets on their own (no server): time in state with an injected clock, the state
menu, the contact bar's phases and buttons, the wrap-up dialog keeping what was written, and the
chooser's model."""

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.services.contact_centre import DispositionCode
from desktop.services.screen_pop import PopCandidate
from desktop.views.agent.chooser import CUSTOMER_ID_ROLE, CandidatesModel
from desktop.views.agent.contact_bar import ContactBar
from desktop.views.agent.state_control import AgentStateControl
from desktop.views.agent.wrap_up import WrapUpDialog
from wire.telephony import AgentStateView, WrapUpRequest

pytestmark = pytest.mark.gui
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_time_in_state_ticks_from_the_servers_start_time(qtbot: QtBot) -> None:
    clock = Clock()
    control = AgentStateControl(clock=clock)
    qtbot.addWidget(control)
    assert control.button.text() == "State unknown" and not control.timer.isActive()
    since = (T0 - timedelta(seconds=75)).isoformat()
    control.show_state(AgentStateView(agent_id="u1", state="available", state_since=since))
    assert control.button.text() == "Available" and control.elapsed.text() == "1:15"
    assert control.timer.isActive() and control.timer.interval() == 1000
    clock.now = T0 + timedelta(hours=1)
    control.timer.timeout.emit()
    assert control.elapsed.text() == "1:01:15"
    control.show_state(
        AgentStateView(agent_id="u1", state="not_ready", reason="lunch", state_since=T0.isoformat())
    )
    assert control.button.text() == "Not ready: Lunch" and control.elapsed.text() == "1:00:00"
    assert control.reason_actions["lunch"].isChecked()
    control.stop()
    assert not control.timer.isActive()


def test_the_menu_asks_for_the_chosen_state(qtbot: QtBot) -> None:
    control = AgentStateControl()
    qtbot.addWidget(control)
    asked: list[tuple[str, object]] = []
    control.stateRequested.connect(lambda state, reason: asked.append((state, reason)))
    control.available_action.trigger()
    control.reason_actions["coaching"].trigger()
    control.offline_action.trigger()
    assert asked == [("available", None), ("not_ready", "coaching"), ("offline", None)]
    assert [a.text() for a in control.reasons_menu.actions()] == [
        "Break",
        "Lunch",
        "Training",
        "Meeting",
        "Coaching",
        "Other",
    ]


def test_the_contact_bar_follows_the_contacts_phases(qtbot: QtBot) -> None:
    clock = Clock()
    bar = ContactBar(clock=clock)
    qtbot.addWidget(bar)
    assert (
        bar.contact is None and bar.caller.text() == "No contact" and not bar.answer_button.isVisibleTo(bar)
    )
    bar.show()
    height = bar.height()
    bar.ringing("k1", "+44 20 7946 0958", "Billing", 30)
    assert bar.caller.text() == "+44 20 7946 0958" and bar.queue.text() == "Billing"
    assert bar.phase.text() == "Ringing 0:00 (back to the queue in 0:30)"
    clock.now = T0 + timedelta(seconds=12)
    bar.timer.timeout.emit()
    assert bar.phase.text() == "Ringing 0:12 (back to the queue in 0:18)"
    with qtbot.waitSignal(bar.answerRequested) as answered:
        bar.answer_button.click()
    assert answered.args == ["k1"]
    bar.set_busy(True)
    assert not bar.answer_button.isEnabled()
    bar.set_phase("k1", "talking")
    assert bar.end_button.isVisible() and bar.end_button.isEnabled() and not bar.answer_button.isVisible()
    assert bar.phase.text() == "Talking 0:00"
    bar.set_phase("other", "acw")  # not the shown contact: ignored
    assert bar.phase.text() == "Talking 0:00"
    with qtbot.waitSignal(bar.endRequested) as ended:
        bar.end_button.click()
    assert ended.args == ["k1"]
    bar.set_phase("k1", "acw")
    assert bar.phase.text() == "After contact work 0:00" and not bar.end_button.isVisible()
    bar.clear()
    assert bar.caller.text() == "No contact" and not bar.timer.isActive() and bar.height() == height
    assert not bar.end_button.isVisibleTo(bar) and not bar.answer_button.isVisibleTo(bar)


def test_the_wrap_up_dialog_sends_the_choice_and_keeps_it_when_saving_fails(qtbot: QtBot) -> None:
    codes = [DispositionCode("fixed", "Fixed", "q1"), DispositionCode("callback", "Call back", None)]
    dialog = WrapUpDialog("k1", "+442079460958", codes, "cust-1")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.codes.setCurrentIndex(1)
    dialog.note.setPlainText("  Wants a call on Monday  ")
    with qtbot.waitSignal(dialog.submitted) as sent:
        dialog.save_button.click()
    assert sent.args == [
        WrapUpRequest(disposition_code="callback", note="Wants a call on Monday", customer_id="cust-1")
    ]
    assert not dialog.save_button.isEnabled()
    dialog.failed("the server cannot be reached")
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert "the server cannot be reached" in dialog.error.text()
    assert dialog.note.toPlainText() == "  Wants a call on Monday  "
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()  # ACW ends with a disposition, not with Escape
    dialog.saved()
    assert not dialog.isVisible()


def test_a_wrap_up_without_codes_says_so_and_sends_nothing(qtbot: QtBot) -> None:
    dialog = WrapUpDialog("k1", "caller", [], None)
    qtbot.addWidget(dialog)
    sent: list[object] = []
    dialog.submitted.connect(sent.append)
    assert "No disposition codes" in dialog.error.text()
    dialog.submit()
    assert sent == [] and dialog.error.text() == "Choose a disposition."


def test_the_candidates_model(qtmodeltester: ModelTester) -> None:
    candidates = (
        PopCandidate("a", "Ada", "Analytical Ltd", "A-1", 2, "2026-11-20T10:00:00+00:00"),
        PopCandidate("g", "Grace", None, "", 0, None),
    )
    model = CandidatesModel(candidates)
    qtmodeltester.check(model)
    assert model.index(0, 0).data(CUSTOMER_ID_ROLE) == "a"
    assert (
        model.index(0, 0).data()
        == "Ada — Analytical Ltd · account A-1 · 2 open case(s) · last contact 2026-11-20"
    )
    assert model.index(1, 0).data() == "Grace · 0 open case(s) · no contact yet"
    model.set_candidates(candidates[1:])
    qtmodeltester.check(model)
    assert model.rowCount() == 1
