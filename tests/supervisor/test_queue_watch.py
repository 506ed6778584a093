"""Decoding a picture and working out what it changes (on the worker): the changed cells only, rows
that come and go in the shown order, breaches that repaint a row once, older pictures refused."""

import pytest

from desktop.services.queue_watch import COLUMN_OF, COLUMNS, TREND_COLUMN, UNSTABLE, queue_table
from desktop.services.queue_watch_agents import TIME_COLUMN
from desktop.services.queue_watch_picture import NotSupervising, picture_from_queues, picture_from_snapshot
from desktop.services.queue_watch_state import Update, WatchState
from tests.supervisor.factories import agent, queue, snapshot, stamp
from wire.telephony import AgentBoardRow, QueuesResponse, QueueStatus, QueueWaiting, StaffingAdvice


def _advance(
    state: WatchState, at: float, queues: list[QueueStatus], agents: list[AgentBoardRow] | None = None
) -> Update:
    update = state.advance(picture_from_snapshot(snapshot(queues, agents or [], at=at)))
    assert update is not None
    return update


def test_an_identical_picture_changes_nothing() -> None:
    state = WatchState()
    first = _advance(state, 0, [queue("q1"), queue("q2")], [agent("a1")])
    assert [r.queue_id for r in first.queues.added] == ["q1", "q2"] and first.base == 0 and first.seq == 1
    again = _advance(state, 1, [queue("q1"), queue("q2")], [agent("a1")])
    assert again.queues.changed == () and again.agents.changed == () and again.events == ()
    assert again.queues.added == () and again.queues.removed == () and again.base == 1


def test_only_the_cells_whose_shown_value_moved_are_changed() -> None:
    state = WatchState()
    _advance(state, 0, [queue("q1"), queue("q2")])
    update = _advance(
        state,
        1,
        [
            queue("q1", contacts_waiting=3, oldest_wait_s=12.45),  # 12.4 → 12.45 s: both shown as 12
            queue("q2", rolling_over={"service_level": 0.8512, "asa_s": 20.0}),  # 85 % → 85 %
        ],
    )
    # q1's sparkline bucket peak moved with its waiting count
    assert update.queues.changed == ((0, (COLUMN_OF["waiting"], TREND_COLUMN)), (1, (COLUMN_OF["asa"],)))
    assert set(update.histories) == {"q1"}


def test_queues_that_come_and_go() -> None:
    state = WatchState()
    _advance(state, 0, [queue("q1"), queue("q2"), queue("q3")])
    update = _advance(state, 1, [queue("q3"), queue("q4"), queue("q2", contacts_waiting=0)])
    assert update.queues.removed == (0,)
    assert [r.queue_id for r in update.queues.added] == ["q4"]
    assert [r.queue_id for r in update.queues.rows] == ["q2", "q3", "q4"]  # the shown order is kept
    assert update.queues.changed[0][0] == 0  # q2, now in row 0


def test_an_older_picture_is_refused_and_the_whole_state_can_be_replayed() -> None:
    state = WatchState()
    _advance(state, 5, [queue("q1")], [agent("a1")])
    assert state.advance(picture_from_snapshot(snapshot([queue("q1")], [], at=4))) is None
    full = state.full()
    assert full.full and [r.queue_id for r in full.queues.rows] == ["q1"] and len(full.agents.rows) == 1


def test_a_breach_repaints_the_whole_row_once() -> None:
    state = WatchState()
    _advance(state, 0, [queue("q1")])
    update = _advance(state, 1, [queue("q1", contacts_waiting=9)])
    assert [(e.metric, e.kind) for e in update.events] == [("waiting", "breach")]
    assert update.queues.changed == ((0, tuple(range(len(COLUMNS)))),)
    assert update.breached == {"q1": {"waiting"}}
    again = _advance(state, 2, [queue("q1", contacts_waiting=8)])
    assert again.events == ()
    ((row, columns),) = again.queues.changed
    assert row == 0 and set(columns) - {TREND_COLUMN} == {COLUMN_OF["waiting"]}  # not the whole row


def test_staffing_advice_says_unstable_instead_of_a_number() -> None:
    unstable = StaffingAdvice(
        traffic_erlangs=9.5,
        agents_staffed=8,
        unstable=True,
        probability_wait=None,
        predicted_service_level=None,
        agents_needed=11,
    )
    row = queue_table(stamp(), [queue("q1", staffing=unstable)]).rows[0]
    assert row.cells[COLUMN_OF["advice"]] == UNSTABLE
    assert row.cells[TREND_COLUMN] is None


def test_agent_changes_count_a_restarted_state_as_a_time_change() -> None:
    state = WatchState()
    _advance(state, 0, [], [agent("a1"), agent("a2")])
    update = _advance(
        state,
        1,
        [],
        [
            agent("a1", state="on_contact", contact_id="c9", queue_id="q1", state_since=stamp(0)),
            agent("a2", time_in_state_s=66.0),  # the server's own count moved: not a shown change
        ],
    )
    assert update.agents.changed == ((0, (1, TIME_COLUMN, 4, 5)),)


def test_a_snapshot_decodes_into_both_tables() -> None:
    data = snapshot([queue("q1"), queue("q2")], [agent("a1")], at=5)
    picture = picture_from_snapshot(data)
    assert picture.queues.ids() == ["q1", "q2"] and picture.agents.ids() == ["a1"]
    assert picture.at == picture.agents.rows[0].since + 70


def test_an_agents_queues_answer_has_no_panel() -> None:
    answer = QueuesResponse(
        at=stamp(),
        rolling_window_s=1800,
        waiting=[QueueWaiting(queue_id="q1", name="Q", contacts_waiting=1, oldest_wait_s=3.0)],
    )
    with pytest.raises(NotSupervising):
        picture_from_queues(answer.model_dump_json().encode())
