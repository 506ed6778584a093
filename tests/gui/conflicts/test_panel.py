"""The conflicts panel on real widgets over a real cache: listing, resolving, refreshing, rejected changes."""

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QRadioButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop.services.conflict_work import open_conflicts, rejected_changes
from desktop.services.store import Cache, Changed, apply_page
from desktop.services.store.outbox import entries_for
from desktop.views.conflicts.conflicts_model import MINE, RECORD, STATE, THEIRS, ConflictsModel
from desktop.views.conflicts.panel import REJECTED_TAB, ConflictsPanel
from desktop.views.conflicts.rejected_model import REASON, RejectedModel
from desktop.views.context import ViewContext
from tests.gui.conflicts.conftest import (
    C_DESC,
    C_DUP,
    C_PRIO,
    CASE,
    CUSTOMER,
    TWIN,
    SyncRequests,
    change,
    conflict,
    reject,
)

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


def _panel(qtbot: QtBot, ctx: ViewContext) -> ConflictsPanel:
    panel = ConflictsPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1180, 560)
    panel.show()
    return panel


def _labels(panel: ConflictsPanel) -> list[str]:
    return [w.text() for w in panel.resolve_view.findChildren(QLabel) if w.isVisibleTo(panel)]


def test_models_pass_the_model_tester(qtmodeltester: ModelTester, cache: Cache) -> None:
    with cache.read() as conn:
        conflicts, rejected = open_conflicts(conn), rejected_changes(conn)
    conflicts_model = ConflictsModel()
    conflicts_model.set_conflicts(conflicts)
    qtmodeltester.check(conflicts_model)
    rejected_model = RejectedModel()
    rejected_model.set_changes(rejected)
    qtmodeltester.check(rejected_model)
    assert conflicts_model.rowCount() == 3
    assert rejected_model.index(0, REASON).data() == "forbidden: outside your territories"


def test_open_conflicts_are_listed_with_their_record_and_values(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = _panel(qtbot, ctx)
    model = panel.conflicts_model
    assert model.rowCount() == 3
    row = model.row_of(C_PRIO)
    assert (
        model.index(row, RECORD).data()
        == "Case · Margaret Okonkwo-Hale · CS-1042 · Router keeps dropping the line"
    )
    assert (model.index(row, THEIRS).data(), model.index(row, MINE).data()) == ("high", "urgent")
    assert model.index(row, STATE).data() == "Open"
    assert panel.tabs.tabText(0) == "Conflicts (3)"
    assert panel.tabs.tabText(REJECTED_TAB) == "Rejected changes (1)"


def test_a_record_shows_every_conflicting_field_side_by_side(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = _panel(qtbot, ctx)
    panel.select_conflict(C_DESC)
    view = panel.resolve_view
    assert view.conflict_ids() == [C_DESC, C_PRIO]  # both fields of the case, ordered by field
    shown = _labels(panel)
    for text in (
        "Line drops every evening.",
        "from agent: replaced the filter, waiting a week",
        "from supervisor: engineer visit booked for Thursday",
        "normal",
        "high",
        "urgent",
    ):
        assert text in shown
    assert not view.resolve_button.isEnabled()  # nothing picked yet
    view.choose(C_DESC, "mine")
    assert not view.resolve_button.isEnabled()  # the priority still needs a choice
    view.choose(C_PRIO, "theirs")
    assert view.resolve_button.isEnabled()


def test_resolving_sends_the_commands_and_the_panel_shows_them_resolving(
    qtbot: QtBot, ctx: ViewContext, cache: Cache, sync_requests: SyncRequests
) -> None:
    panel = _panel(qtbot, ctx)
    panel.select_conflict(C_PRIO)
    view = panel.resolve_view
    view.choose(C_DESC, "edit", "engineer visit Thursday; filter replaced")
    view.choose(C_PRIO, "edit", "low")
    with qtbot.waitSignal(ctx.hub.changed):
        view.resolve_button.click()
    with cache.read() as conn:
        [desc] = entries_for(conn, "conflict", C_DESC)
        [prio] = entries_for(conn, "conflict", C_PRIO)
    assert desc.new_values == {
        "name": "resolve_conflict",
        "action": "use_value",
        "value": "engineer visit Thursday; filter replaced",
    }
    assert prio.new_values == {"name": "resolve_conflict", "action": "use_value", "value": "low"}
    assert sync_requests.count == 1
    model = panel.conflicts_model
    assert model.index(model.row_of(C_DESC), STATE).data() == "Resolving…"
    assert model.index(model.row_of(C_DUP), STATE).data() == "Open"
    assert not view.resolve_button.isEnabled()
    assert all(not r.isEnabled() for r in view.findChildren(QRadioButton) if r.isVisibleTo(panel))


def test_picking_theirs_keeps_the_server_value(qtbot: QtBot, ctx: ViewContext, cache: Cache) -> None:
    panel = _panel(qtbot, ctx)
    panel.select_conflict(C_DESC)
    panel.resolve_view.choose(C_DESC, "theirs")
    panel.resolve_view.choose(C_PRIO, "mine")
    panel.resolve_view.resolve_button.click()
    with cache.read() as conn:
        assert entries_for(conn, "conflict", C_DESC)[0].new_values["action"] == "keep_server"
        assert entries_for(conn, "conflict", C_PRIO)[0].new_values["value"] == "urgent"


def test_a_refused_resolution_says_why_and_writes_nothing(
    qtbot: QtBot, ctx: ViewContext, cache: Cache
) -> None:
    panel = _panel(qtbot, ctx)
    panel.select_conflict(C_DESC)
    panel.resolve_view.choose(C_DESC, "mine")
    panel.resolve_view.choose(C_PRIO, "mine")
    # the pull closed the priority conflict meanwhile, and no one announced it yet
    apply_page(
        ctx.cache.writer,
        "user:u-agent",
        [conflict(C_PRIO, "priority", "normal", "high", "urgent", version=2, status="resolved")],
        None,
    )
    panel.resolve_view.resolve_button.click()
    assert panel.resolve_view.error.isVisible()
    assert "already closed" in panel.resolve_view.error.text()
    with cache.read() as conn:
        assert entries_for(conn, "conflict", C_DESC) == []


def test_the_panel_follows_pulled_conflicts(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = _panel(qtbot, ctx)
    new_id = "00000000-0000-4000-8000-00000000f009"
    changed = apply_page(ctx.cache.writer, "user:u-agent", [conflict(new_id, "subject", "a", "b", "c")], None)
    with qtbot.waitSignal(panel.countsChanged) as counts:
        ctx.hub.publish(changed)
    assert counts.args == [4, 1]
    assert panel.conflicts_model.row_of(new_id) >= 0
    closed = apply_page(
        ctx.cache.writer,
        "user:u-agent",
        [
            conflict(c, "x", None, None, None, version=2, status="resolved")
            for c in (C_DESC, C_PRIO, C_DUP, new_id)
        ],
        None,
    )
    ctx.hub.publish(closed)
    assert panel.conflicts_model.rowCount() == 0
    assert panel.conflicts_empty.isVisible()
    assert panel.resolve_view.conflict_ids() == []


def test_an_unrelated_change_keeps_the_agents_picks(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = _panel(qtbot, ctx)
    panel.select_conflict(C_DESC)
    panel.resolve_view.choose(C_DESC, "mine")
    other = apply_page(
        ctx.cache.writer,
        "directory",
        [
            change(
                "customer", "00000000-0000-4000-8000-000000000077", display_name="Someone", territory_id="t1"
            )
        ],
        None,
    )
    ctx.hub.publish(other)
    ctx.hub.publish(Changed(outbox=True))
    mine = [r for r in panel.resolve_view.findChildren(QRadioButton) if r.text() == "Use mine"]
    assert mine[0].isChecked()


def test_duplicates_and_records_open_their_customers(qtbot: QtBot, ctx: ViewContext) -> None:
    panel = _panel(qtbot, ctx)
    panel.select_conflict(C_DUP)
    view = panel.resolve_view
    assert "Another customer has this contact point" in _labels(panel)
    twin = next(b for b in view.findChildren(type(view.open_button)) if b.text() == "Open the other customer")
    with qtbot.waitSignal(panel.openCustomer) as opened:
        twin.click()
    assert opened.args == [TWIN]
    with qtbot.waitSignal(panel.openCustomer) as opened:
        view.open_button.click()
    assert opened.args == [CUSTOMER]
    view.choose(C_DUP, "theirs")
    view.resolve_button.click()
    with ctx.cache.read() as conn:
        assert entries_for(conn, "conflict", C_DUP)[0].new_values == {
            "name": "resolve_conflict",
            "action": "dismiss",
        }


def test_rejected_changes_show_the_reason_and_copy_their_text(
    qtbot: QtBot, ctx: ViewContext, cache: Cache
) -> None:
    reject(cache, "m-2", "Second note", "unknown case", "2026-11-03T09:30:00+00:00")
    panel = _panel(qtbot, ctx)
    panel.tabs.setCurrentIndex(REJECTED_TAB)
    panel.select_rejected("m-1")
    assert "forbidden: outside your territories" in panel.reason.text()
    assert panel.sent.toPlainText() == f"case_id: {CASE}\nbody: Customer asked for a call back\nafter 5 pm."
    panel.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Added entry: Case note rejected on ")
    assert copied.endswith("body: Customer asked for a call back\nafter 5 pm.")
    with qtbot.waitSignal(panel.countsChanged) as counts:
        panel.dismiss_button.click()
    assert counts.args == [3, 1]
    assert panel.rejected_model.row_of("m-1") == -1
    assert panel.rejected_model.row_of("m-2") == 0


@pytest.mark.parametrize("theme_name", ["light", "dark"])
def test_render_the_panel(qtbot: QtBot, ctx: ViewContext, theme_name: str) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.views.theme import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, font = app.palette(), app.font()
    apply_theme(app, theme_name)
    try:
        panel = _panel(qtbot, ctx)
        panel.select_conflict(C_DESC)
        panel.resolve_view.choose(C_DESC, "mine")
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert panel.grab().save(str(SHOTS / f"conflicts-{theme_name}.png"))
        panel.tabs.setCurrentIndex(REJECTED_TAB)
        panel.select_rejected("m-1")
        assert panel.grab().save(str(SHOTS / f"rejected-{theme_name}.png"))
    finally:
        app.setStyleSheet("")
        app.setPalette(palette)
        app.setFont(font)
        app.setProperty("liaisonTheme", None)
