"""The agent board: Qt's model contract, in-place updates, time in state (the server's figure plus
the time since the picture arrived, on an injected clock), repainted for the visible rows only."""

import pytest
from pytestqt.modeltest import ModelTester

from desktop.services.queue_watch_agents import TIME_COLUMN
from desktop.views.supervisor.agent_board_model import QUEUE_COLUMN, AgentBoardModel
from tests.gui.supervisor.support import Feed, record
from tests.supervisor.factories import agent, stamp
from wire.telephony import AgentBoardRow

pytestmark = pytest.mark.gui


class Board:
    """An agent board fed through the worker's state, as the panel feeds it."""

    def __init__(self, clock: "Clock") -> None:
        self.model = AgentBoardModel(clock)
        self.feed = Feed()
        self.at = 0

    def apply(self, agents: list[AgentBoardRow]) -> None:
        self.at += 1
        self.model.apply(self.feed(self.at, [], agents).agents)


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_the_board_keeps_qts_contract(qtmodeltester: ModelTester) -> None:
    board = Board(Clock())
    model = board.model
    qtmodeltester.check(model, force_py=True)
    board.apply([agent("a1"), agent("a2"), agent("a3")])
    board.apply([agent("a3", state="acw"), agent("a4")])
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["Agent a3", "Agent a4"]


def test_state_reason_contact_queue_and_time_in_state() -> None:
    clock = Clock()
    board = Board(clock)
    model = board.model
    model.set_queue_names({"q1": "Billing"})
    board.apply(
        [
            agent("a1", state="not_ready", reason="lunch", state_since=stamp(-3725), time_in_state_s=3725.0),
            agent(
                "a2",
                state="on_contact",
                contact_id="c7",
                queue_id="q1",
                state_since=stamp(-42),
                time_in_state_s=42.0,
            ),
        ]
    )
    row = lambda r: [model.index(r, c).data() for c in range(model.columnCount())]  # noqa: E731
    assert row(0) == ["Agent a1", "Not ready", "Lunch", "1:02:05", "", ""]
    assert row(1) == ["Agent a2", "On contact", "", "0:42", "c7", "Billing"]
    clock.now += 10
    assert model.index(1, TIME_COLUMN).data() == "0:52"


def test_a_state_change_repaints_that_agents_cells_only() -> None:
    board = Board(Clock())
    model = board.model
    board.apply([agent(f"a{n}") for n in range(4)])
    signals = record(model)
    board.apply(
        [
            agent("a0"),
            agent("a1", state="reserved", contact_id="c1", queue_id="q1", state_since=stamp(0)),
            agent("a2"),
            agent("a3"),
        ]
    )
    assert signals.resets == 0
    assert signals.cells() == {(1, 1), (1, TIME_COLUMN), (1, 4), (1, QUEUE_COLUMN)}


def test_the_tick_repaints_the_time_column_of_the_given_rows_only() -> None:
    board = Board(Clock())
    model = board.model
    board.apply([agent(f"a{n}") for n in range(100)])
    signals = record(model)
    model.refresh_times(10, 30)
    assert signals.changed == [(r, TIME_COLUMN, r, TIME_COLUMN) for r in range(10, 31)]
    signals.clear()
    model.refresh_times(90, 500)
    assert signals.cells() == {(r, TIME_COLUMN) for r in range(90, 100)}
