"""Decoding the supervisor's picture (GET /api/v1/queues, SSE `queue_snapshot`) into the tables the
views show — the work done on the network worker, so the GUI thread only applies the result.

`QueuesResponse` for an agent holds only `waiting` (their own queues): `picture_from_queues`
raises `NotSupervising` then, and the panel says the queue panel is for supervisors.
"""

from dataclasses import dataclass
from typing import Any

from desktop.services.queue_watch import QueueTable, queue_table
from desktop.services.queue_watch_agents import AgentTable, agent_table, epoch
from wire.telephony import QueueSnapshot, QueuesResponse

QUEUES_PATH = "/api/v1/queues"
BOARD_PATH = "/api/v1/agents/board"
BROADCASTS_PATH = "/api/v1/broadcasts"


class NotSupervising(Exception):
    """The server answered GET /api/v1/queues with an agent's view (no queue panel)."""


@dataclass(frozen=True, slots=True)
class Picture:
    """One moment of the contact centre as the supervisor sees it."""

    at: float
    rolling_window_s: int
    queues: QueueTable
    agents: AgentTable


def picture_from_snapshot(data: dict[str, Any]) -> Picture:
    """The picture of an SSE `queue_snapshot` (its JSON already parsed by the event stream)."""
    snapshot = QueueSnapshot.model_validate(data)
    return Picture(
        epoch(snapshot.at),
        snapshot.rolling_window_s,
        queue_table(snapshot.at, snapshot.queues),
        agent_table(snapshot.agents),
    )


def picture_from_queues(body: bytes) -> Picture:
    """The picture of a GET /api/v1/queues answer; `NotSupervising` for an agent's answer."""
    answer = QueuesResponse.model_validate_json(body)
    if answer.queues is None:
        raise NotSupervising("the queue panel and agent board are for supervisors and admins")
    return Picture(
        epoch(answer.at),
        answer.rolling_window_s,
        queue_table(answer.at, answer.queues),
        agent_table(answer.agents or []),
    )
