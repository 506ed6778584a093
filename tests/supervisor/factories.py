"""Queue statuses, agent rows and pictures for the supervisor tests and the bench, built from the
wire models (so a change of the contract breaks them loudly)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from wire.telephony import (
    AgentBoardRow,
    QueueSnapshot,
    QueueStatus,
    QueueThresholds,
    StaffingAdvice,
    WindowMetrics,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def stamp(seconds: float = 0.0) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def window(name: str = "rolling", **over: Any) -> WindowMetrics:
    values: dict[str, Any] = {
        "window": name,
        "since": stamp(-1800),
        "offered": 40,
        "queued": 40,
        "answered": 36,
        "answered_within_threshold": 30,
        "abandoned": 4,
        "short_abandoned": 1,
        "handled": 34,
        "service_level": 0.85,
        "asa_s": 14.2,
        "aht_s": 281.6,
        "talk_s": 221.0,
        "acw_s": 60.6,
        "abandon_rate": 0.05,
        "occupancy": 0.8,
        "arrival_rate_per_h": 80.0,
    }
    values.update(over)
    return WindowMetrics(**values)


def queue(queue_id: str = "q1", name: str | None = None, **over: Any) -> QueueStatus:
    values: dict[str, Any] = {
        "queue_id": queue_id,
        "name": name or f"Queue {queue_id}",
        "sl_threshold_s": 20,
        "sl_target": 0.8,
        "contacts_waiting": 2,
        "oldest_wait_s": 12.4,
        "agents_staffed": 8,
        "agents_available": 2,
        "agents_reserved": 0,
        "agents_on_contact": 4,
        "agents_acw": 1,
        "agents_not_ready": 1,
        "rolling": window("rolling"),
        "today": window("today", service_level=0.82),
        "staffing": StaffingAdvice(
            traffic_erlangs=6.26,
            agents_staffed=8,
            unstable=False,
            probability_wait=0.31,
            predicted_service_level=0.83,
            agents_needed=8,
        ),
        "thresholds": QueueThresholds(
            service_level_below=0.8, oldest_wait_above_s=60.0, waiting_above=5, abandon_rate_above=0.1
        ),
    }
    rolling_over = over.pop("rolling_over", None)
    values.update(over)
    if rolling_over:
        values["rolling"] = window("rolling", **rolling_over)
    return QueueStatus(**values)


def agent(agent_id: str = "a1", **over: Any) -> AgentBoardRow:
    values: dict[str, Any] = {
        "agent_id": agent_id,
        "display_name": f"Agent {agent_id}",
        "state": "available",
        "state_since": stamp(-65),
        "time_in_state_s": 65.0,
        "queues": ["q1"],
    }
    values.update(over)
    return AgentBoardRow(**values)


def snapshot(queues: list[QueueStatus], agents: list[AgentBoardRow], at: float = 0.0) -> dict[str, Any]:
    """The JSON of an SSE `queue_snapshot`, parsed (as `ServerEvent.data` holds it)."""
    return QueueSnapshot(at=stamp(at), rolling_window_s=1800, queues=queues, agents=agents).model_dump(
        mode="json"
    )
