"""The agent board as plain values: one row per agent.

Like the queue table (`desktop.services.queue_watch`), built off the GUI thread. A row's `columns`
are what the board compares, one per column; for the time in state that is the state's start
(epoch seconds, parsed here once): the time itself changes every second for every agent, so the
model computes it against its clock when a cell is painted and the panel repaints it for the
visible rows only, while a new state (a new start) counts as a change of that cell.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from wire.telephony import AgentBoardRow

#: the board's columns, in order; "time_in_state" is computed, the others are `AgentRow.cells`
AGENT_COLUMNS: Final = ("name", "state", "reason", "time_in_state", "contact", "queue")
TIME_COLUMN: Final = AGENT_COLUMNS.index("time_in_state")


def epoch(timestamp: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (a time without an offset is UTC)."""
    parsed = datetime.fromisoformat(timestamp)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent_id: str
    #: what the board compares, one value per column of `AGENT_COLUMNS`: name, state, reason, the
    #: state's start (epoch seconds: a new state restarts the time in state), contact id, queue id
    columns: tuple[str, str, str | None, float, str | None, str | None]
    board: AgentBoardRow

    @property
    def since(self) -> float:
        return self.columns[3]  # TIME_COLUMN


def to_board_columns(row: AgentRow) -> tuple[object, ...]:
    return row.columns


@dataclass(frozen=True, slots=True)
class AgentTable:
    rows: tuple[AgentRow, ...]

    def ids(self) -> list[str]:
        return [row.agent_id for row in self.rows]


def agent_row(agent: AgentBoardRow) -> AgentRow:
    columns = (
        agent.display_name,
        agent.state,
        agent.reason,
        epoch(agent.state_since),
        agent.contact_id,
        agent.queue_id,
    )
    return AgentRow(agent.agent_id, columns, agent)


def agent_table(agents: Sequence[AgentBoardRow]) -> AgentTable:
    return AgentTable(tuple(agent_row(a) for a in agents))
