"""A test phone system: posts the ACD's events for the signed-in agent to the real server's
`POST /api/v1/telephony/events` with an integration key, as a real phone system (or the
simulator) would. Each contact is offered, queued and routed in one batch."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert

from server.auth.tokens import hash_integration_key, new_integration_key
from server.db import tables as t
from server.db.engine import Database
from server.db.types import utcnow
from tests.gui.conftest import GuiServer
from wire.telephony import EventBatchResult

#: generous: the machine is shared
TIMEOUT_S = 120.0


def create_integration_key(db_url: str, name: str = "test-phone-system") -> str:
    """A new integration key in the server's database (what `create-integration-key` does)."""
    key = new_integration_key()
    db = Database(db_url)
    try:
        with db.write() as conn:
            conn.execute(
                insert(t.integration_key).values(
                    id=str(uuid.uuid4()), name=name, key_hash=hash_integration_key(key), created_at=utcnow()
                )
            )
    finally:
        db.dispose()
    return key


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class PhoneSystem:
    """Plays the phone system's side of contacts for one server."""

    url: str
    key: str
    posted: list[EventBatchResult] = field(default_factory=list)

    @classmethod
    def for_server(cls, server: GuiServer) -> "PhoneSystem":
        return cls(server.url, create_integration_key(server.db_url))

    def post(self, *events: dict[str, Any]) -> EventBatchResult:
        batch = [{"event_id": str(uuid.uuid4()), "at": _now(), **e} for e in events]
        answer = httpx.post(
            f"{self.url}/api/v1/telephony/events",
            json={"events": batch},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=TIMEOUT_S,
        )
        answer.raise_for_status()
        result = EventBatchResult.model_validate_json(answer.content)
        assert not result.rejected, result.rejected
        self.posted.append(result)
        return result

    def offer(self, contact_id: str, queue_id: str, phone: str | None) -> None:
        """The contact arrives and waits in the queue."""
        self.post(
            {"type": "contact_offered", "contact_id": contact_id, "queue_id": queue_id, "phone": phone},
            {"type": "contact_queued", "contact_id": contact_id, "queue_id": queue_id},
        )

    def route(self, contact_id: str, agent_id: str, ring_timeout_s: float = 60.0) -> None:
        """Offer the waiting contact to the agent (it rings on their desktop)."""
        self.post(
            {
                "type": "contact_routed",
                "contact_id": contact_id,
                "agent_id": agent_id,
                "ring_timeout_s": ring_timeout_s,
            }
        )

    def ring_timeout(self, contact_id: str, queue_id: str) -> None:
        """The agent did not answer in time: the contact goes back to the queue."""
        self.post({"type": "contact_queued", "contact_id": contact_id, "queue_id": queue_id})
