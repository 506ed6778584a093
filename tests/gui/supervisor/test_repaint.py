"""No dropped information: after a snapshot, every visible cell whose shown text or colour changed
was repainted in that update (the real, shown panel, recording the rows its tables paint), every changed
cell anywhere is inside a range the model announced, and the changes of off-screen rows repaint
nothing on screen (Qt repaints a whole viewport for a range over more than 200 cells)."""

import random
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from desktop.services.api import ServerEvent
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.supervisor.panel import SupervisorPanel, shown_rows
from desktop.views.tasks import TaskRunner
from tests.gui.supervisor.support import record, record_paints
from tests.supervisor.factories import agent, queue, snapshot, stamp

pytestmark = pytest.mark.gui

AnyIndex = QModelIndex | QPersistentModelIndex


@pytest.fixture
def ctx() -> Iterator[ViewContext]:
    tasks = TaskRunner(None, inline=True)
    yield ViewContext(cache=None, tasks=tasks, hub=ChangeHub(), request_sync=lambda: None)  # type: ignore[arg-type]
    tasks.shutdown()


STATES = ("available", "on_contact", "acw", "not_ready")


def _picture(rng: random.Random, queues: int, agents: int) -> tuple[list[Any], list[Any]]:
    qs = [
        queue(
            f"q{n:03d}",
            name=f"Queue {n:03d}",
            contacts_waiting=(waiting := rng.choice((0, 1, 2, 3, 4, 6, 8))),
            oldest_wait_s=rng.uniform(5, 200) if waiting else None,
            rolling_over={"service_level": rng.uniform(0.6, 0.95), "asa_s": rng.uniform(5, 40)},
        )
        for n in range(queues)
    ]
    ags = []
    for n in range(agents):
        state = rng.choice(STATES)
        ags.append(
            agent(
                f"a{n:04d}",
                state=state,
                reason="break" if state == "not_ready" else None,
                state_since=stamp(-rng.choice((30, 90, 400))),
                queue_id=f"q{n % queues:03d}" if state in ("on_contact", "acw") else None,
                contact_id=f"c{n}" if state in ("on_contact", "acw") else None,
            )
        )
    return qs, ags


def _shown(view: QTableView) -> dict[tuple[int, int], tuple[object, object]]:
    """(row, column) → (text, background) of every cell on screen."""
    model = view.model()
    first, last = shown_rows(view)
    width = view.viewport().width()
    columns = [
        c
        for c in range(model.columnCount())
        if view.columnViewportPosition(c) < width and view.columnViewportPosition(c) + view.columnWidth(c) > 0
    ]
    out: dict[tuple[int, int], tuple[object, object]] = {}
    for row in range(first, last + 1):
        for column in columns:
            index = model.index(row, column)
            shown = index.data(Qt.ItemDataRole.AccessibleTextRole)
            out[(row, column)] = (shown, index.data(Qt.ItemDataRole.BackgroundRole))
    return out


def _all(view: QTableView) -> dict[tuple[int, int], object]:
    model = view.model()
    return {
        (r, c): (
            model.index(r, c).data(Qt.ItemDataRole.AccessibleTextRole),
            model.index(r, c).data(Qt.ItemDataRole.BackgroundRole),
        )
        for r in range(model.rowCount())
        for c in range(model.columnCount())
    }


def test_every_changed_visible_cell_is_repainted_and_off_screen_changes_paint_nothing(
    qtbot: QtBot, ctx: ViewContext, qapp: QApplication
) -> None:
    now = 5000.0
    panel = SupervisorPanel(ctx, clock=lambda: now)  # a still clock: texts change only by data
    qtbot.addWidget(panel)
    # the cells each table paints (the trend column too: painted by its row)
    painted = {"queueTable": record_paints(panel.queue_view), "agentBoard": record_paints(panel.agent_view)}
    panel.resize(1400, 900)
    panel.show()
    qtbot.waitExposed(panel)

    rng = random.Random(11)
    queues, agents = _picture(rng, 120, 900)
    ctx.hub.server_event.emit(ServerEvent("queue_snapshot", snapshot(queues, agents, at=0.0), "0"))
    # show a block from the middle of each table: changes above and below it are off screen
    panel.queue_view.scrollTo(panel.queue_model.index(50, 0), QTableView.ScrollHint.PositionAtTop)
    panel.agent_view.scrollTo(panel.agent_model.index(400, 0), QTableView.ScrollHint.PositionAtTop)
    qapp.processEvents()
    qapp.processEvents()
    views = {"queueTable": panel.queue_view, "agentBoard": panel.agent_view}
    signals = {name: record(view.model()) for name, view in views.items()}

    for second in range(1, 6):
        fresh_queues, fresh_agents = _picture(rng, 120, 900)
        # a third of the queues and a tenth of the agents move each second, the rest stay
        queues = [new if rng.random() < 0.33 else old for old, new in zip(queues, fresh_queues, strict=True)]
        agents = [new if rng.random() < 0.1 else old for old, new in zip(agents, fresh_agents, strict=True)]
        before = {name: _shown(view) for name, view in views.items()}
        everything = {name: _all(view) for name, view in views.items()}
        for recorded in signals.values():
            recorded.clear()
        for cells in painted.values():
            cells.clear()
        data = snapshot(queues, agents, at=float(second))
        ctx.hub.server_event.emit(ServerEvent("queue_snapshot", data, str(second)))
        qapp.processEvents()
        qapp.processEvents()

        for name, view in views.items():
            after = _shown(view)
            changed = {cell for cell, value in after.items() if before[name].get(cell) != value}
            assert changed, f"{name}: the test moves something on screen each second"
            repainted = set(painted[name])
            assert changed <= repainted, f"{name}: changed cells not repainted: {changed - repainted}"
            # off-screen changes did not make Qt repaint the whole viewport
            assert len(repainted) < len(after) // 2, f"{name}: {len(repainted)} of {len(after)} repainted"
            # every changed cell, on screen or not, is inside an announced range
            now_all = _all(view)
            moved = {cell for cell, value in now_all.items() if everything[name][cell] != value}
            assert moved - changed, f"{name}: something changed off screen too"
            assert moved <= signals[name].cells(), f"{name}: not announced: {moved - signals[name].cells()}"
