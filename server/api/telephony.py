"""The phone system's endpoints (integration key): event batches in, the routing view out.

- `POST /api/v1/telephony/events`: a batch of ≤ 1000 events; idempotent by `event_id`; all or
  nothing for malformed input (422, nothing stored), per event for events that make no sense
  (`rejected`, not stored).
- `GET /api/v1/telephony/state`: every agent (state, queues, current contact) and the contacts in
  flight: what the simulator routes by.

The key comes as `Authorization: Bearer lik_…` (`liaison-server create-integration-key`); only
its SHA-256 is stored, and a revoked key is refused.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends
from sqlalchemy import select

from server.api.deps import BearerCredentials, State
from server.api.errors import ApiError
from server.db import tables as t
from server.db.types import utcnow
from server.state import AppState
from server.telephony.actions import record
from server.telephony.delivery import Outbox
from server.telephony.intake import BadTimestamp, to_event
from server.telephony.snapshot import telephony_state
from wire.errors import ErrorResponse
from wire.telephony import EventBatch, EventBatchResult, TelephonyState

router = APIRouter(prefix="/api/v1/telephony", tags=["telephony"])

_ERR: Final[dict[int | str, dict[str, Any]]] = {c: {"model": ErrorResponse} for c in (400, 401, 413, 422)}


def integration(state: State, credentials: BearerCredentials) -> str:
    """The name of the integration key presented; 401 without a valid, unrevoked key."""
    from server.auth.tokens import hash_integration_key

    if credentials is not None:
        k = t.integration_key
        with state.db.read() as conn:
            row = conn.execute(
                select(k.c.name).where(
                    k.c.key_hash == hash_integration_key(credentials.credentials), k.c.revoked_at.is_(None)
                )
            ).first()
        if row is not None:
            return str(row.name)
    raise ApiError(
        "not_authenticated",
        "an integration key is required (Authorization: Bearer lik_…)",
        headers={"WWW-Authenticate": "Bearer"},
    )


Integration = Annotated[str, Depends(integration)]


def ingest_batch(state: AppState, batch: EventBatch) -> EventBatchResult:
    """Validate every timestamp first (422, nothing stored), then record the batch in one transaction."""
    try:
        events = [to_event(e) for e in batch.events]
    except BadTimestamp as exc:
        raise ApiError("validation_failed", str(exc), {"event_id": exc.event_id}) from None
    outbox = Outbox(postgres=state.db.is_postgres)
    with state.db.write() as conn:
        result = record(conn, events, outbox, now=utcnow(), default_region=state.settings.default_region)
    outbox.flush(state.events)
    return EventBatchResult(accepted=result.accepted, duplicates=result.duplicates, rejected=result.rejected)


@router.post("/events", response_model=EventBatchResult, responses=_ERR)
def post_events(batch: EventBatch, state: State, credentials: BearerCredentials) -> EventBatchResult:
    """Record a batch of the phone system's events (idempotent by event_id; any order).

    The key is checked after the body is read (malformed 400, invalid 422, then 401), the order
    every POST endpoint answers in; nothing is stored without a valid key.
    """
    integration(state, credentials)
    return ingest_batch(state, batch)


@router.get("/state", response_model=TelephonyState, responses=_ERR)
def get_state(_key: Integration, state: State) -> TelephonyState:
    """Every agent the server knows and the contacts not yet handled, abandoned or ended."""
    with state.db.read() as conn:
        return telephony_state(conn, utcnow())
