"""The agent tests' world on the gui_server: phone numbers for Ada (one of her own, one she shares
with Grace), an unknown number, and disposition codes for the first queue."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.gui.conftest import GuiServer

ADA_PHONE: Final = "+442079460958"
ADA_PHONE_NATIONAL: Final = "020 7946 0958"
SHARED_PHONE: Final = "+447911123456"
UNKNOWN_PHONE: Final = "+442079460959"
#: a number of Grace's own (only `add_phone` gives it to her: the other tests do not know it)
GRACE_PHONE: Final = "+442079460961"


@dataclass(frozen=True)
class AgentWorld:
    ada: str
    grace: str
    queue_id: str


def give_phones(server: GuiServer) -> AgentWorld:
    """Write the world into the server's database (before the desktop signs in and primes)."""
    ada, grace = server.seed.customer_ids
    queue_id = server.seed.data.queue_ids[0]
    rows: list[tuple[str, dict[str, Any]]] = [
        ("contact_point", {"customer_id": ada, "kind": "phone", "value": ADA_PHONE}),
        ("contact_point", {"customer_id": ada, "kind": "phone", "value": SHARED_PHONE}),
        ("contact_point", {"customer_id": grace, "kind": "phone", "value": SHARED_PHONE}),
        (
            "disposition_code",
            {"queue_id": queue_id, "code": "resolved_first", "label": "Resolved on first contact"},
        ),
        ("disposition_code", {"queue_id": None, "code": "callback", "label": "Call back"}),
        # Grace talked to us more recently, but Ada has the open case: Ada ranks first
        (
            "interaction",
            {
                "customer_id": grace,
                "channel": "email",
                "occurred_at": datetime.now(UTC).isoformat(),
                "summary": "hello",
            },
        ),
    ]
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            for entity, values in rows:
                writer.insert(entity, {"id": str(uuid.uuid4()), **values})
            writer.notify()
    finally:
        db.dispose()
    return AgentWorld(ada=ada, grace=grace, queue_id=queue_id)


def add_phone(server: GuiServer, customer_id: str, phone: str) -> None:
    """Give `customer_id` one more phone contact point (before the desktop signs in and primes)."""
    db = Database(server.db_url)
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            writer.insert(
                "contact_point",
                {"id": str(uuid.uuid4()), "customer_id": customer_id, "kind": "phone", "value": phone},
            )
            writer.notify()
    finally:
        db.dispose()


def incoming(contact_id: str, phone: str | None, queue_id: str, *, e164: str | None = None) -> dict[str, Any]:
    """The data of an SSE `incoming_contact`, as the server sends it."""
    return {
        "contact_id": contact_id,
        "queue_id": queue_id,
        "queue_name": "Queue 1",
        "phone": phone,
        "phone_e164": e164 if e164 is not None else phone,
        "routed_at": datetime.now(UTC).isoformat(),
        "ring_timeout_s": 30,
    }
