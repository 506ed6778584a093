"""Building phone-system events for the API tests."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

_ids = itertools.count()


def at(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def event(kind: str, offset_s: float = 0.0, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"t-{next(_ids)}-{kind}", "at": at(offset_s), **fields}


def call(
    contact_id: str, queue_id: str, phone: str | None, *, offset_s: float = -5.0
) -> list[dict[str, Any]]:
    """A contact offered and queued (`offset_s` seconds from now)."""
    return [
        event("contact_offered", offset_s, contact_id=contact_id, queue_id=queue_id, phone=phone),
        event("contact_queued", offset_s, contact_id=contact_id, queue_id=queue_id),
    ]
