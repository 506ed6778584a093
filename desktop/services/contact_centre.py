"""The agent's side of the contact centre, Qt-free: state, call controls, wrap-up, live events.

- `AgentCalls` wraps the endpoints of PROTOCOL.md "Contact centre" that a desktop agent uses
  (GET/PUT `/api/v1/agents/me/state`, POST `/api/v1/contacts/{id}/answer|end|wrapup`) over
  `ApiClient.send`, decoding each answer into its `wire.telephony` model. Every call blocks on
  the network: views run them through `tasks.network`.
- `parse_event` turns a `ServerEvent` (SSE `incoming_contact`, `contact_update`, `agent_state`,
  `broadcast`) into its model. A payload that does not fit raises `BadEvent` with a short reason
  (field locations and error types only, never the payload, which may hold a caller's number);
  the caller logs it and carries on: one bad event never stops the stream or the window.
- `disposition_codes(cache, queue_id)`: the wrap-up codes for a queue, from the cache's
  `disposition_code` mirror (the queue's own codes and the global ones).
"""

from dataclasses import dataclass
from typing import Final, TypeVar
from urllib.parse import quote

import pydantic
from sqlalchemy import ColumnElement, or_, select

from desktop.services.api import ApiClient, ServerEvent
from desktop.services.api_errors import BadResponse
from desktop.services.store import Cache
from desktop.services.store.schema import MIRRORS
from wire.telephony import (
    SSE_AGENT_STATE,
    SSE_BROADCAST,
    SSE_CONTACT_UPDATE,
    SSE_INCOMING_CONTACT,
    AgentStateRequest,
    AgentStateView,
    Broadcast,
    ChosenState,
    ContactView,
    IncomingContact,
    NotReadyReason,
    WrapUpRequest,
)

MY_STATE: Final = "/api/v1/agents/me/state"
CONTACTS: Final = "/api/v1/contacts"

Model = TypeVar("Model", bound=pydantic.BaseModel)
AgentEvent = IncomingContact | ContactView | AgentStateView | Broadcast

#: the SSE events an agent's desktop acts on, and the model each one carries
EVENT_MODELS: Final[dict[str, type[pydantic.BaseModel]]] = {
    SSE_INCOMING_CONTACT: IncomingContact,
    SSE_CONTACT_UPDATE: ContactView,
    SSE_AGENT_STATE: AgentStateView,
    SSE_BROADCAST: Broadcast,
}


class BadEvent(ValueError):
    """A live event whose payload does not fit its model (logged and ignored by the caller)."""


def _problems(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['type']}" for e in exc.errors()[:5]
    )


def _decode(model: type[Model], body: bytes) -> Model:
    try:
        return model.model_validate_json(body)
    except pydantic.ValidationError as exc:
        raise BadResponse(f"the server's answer is not a valid {model.__name__} ({_problems(exc)})") from None


def parse_event(event: ServerEvent) -> AgentEvent | None:
    """The model of an agent event; None for events an agent does not act on (`queue_snapshot`,
    pokes); `BadEvent` when the payload does not fit."""
    model = EVENT_MODELS.get(event.event)
    if model is None:
        return None
    try:
        parsed = model.model_validate(event.data)
    except pydantic.ValidationError as exc:
        raise BadEvent(f"a {event.event!r} event does not fit {model.__name__} ({_problems(exc)})") from None
    assert isinstance(parsed, IncomingContact | ContactView | AgentStateView | Broadcast)
    return parsed


@dataclass(frozen=True, slots=True)
class AgentCalls:
    """The signed-in agent's requests to the server; each call blocks (run it on a worker)."""

    api: ApiClient

    def my_state(self) -> AgentStateView:
        return _decode(AgentStateView, self.api.send("GET", MY_STATE, retry=True))

    def set_state(self, state: ChosenState, reason: NotReadyReason | None = None) -> AgentStateView:
        """Choose Available, Not ready (with a reason) or Offline; safe to repeat (a PUT)."""
        body = AgentStateRequest(state=state, reason=reason if state == "not_ready" else None)
        return _decode(AgentStateView, self.api.send("PUT", MY_STATE, body=body, retry=True))

    def answer(self, contact_id: str) -> ContactView:
        return self._control(contact_id, "answer")

    def end(self, contact_id: str) -> ContactView:
        return self._control(contact_id, "end")

    def wrap_up(self, contact_id: str, request: WrapUpRequest) -> ContactView:
        """End after-contact work and log the interaction (the server writes it to the timeline)."""
        return self._control(contact_id, "wrapup", request)

    def _control(self, contact_id: str, action: str, body: pydantic.BaseModel | None = None) -> ContactView:
        path = f"{CONTACTS}/{quote(contact_id, safe='')}/{action}"
        return _decode(ContactView, self.api.send("POST", path, body=body))


@dataclass(frozen=True, slots=True)
class DispositionCode:
    code: str
    label: str
    #: None for a code every queue offers
    queue_id: str | None


def disposition_codes(cache: Cache, queue_id: str | None) -> list[DispositionCode]:
    """The queue's own wrap-up codes first, then the global ones; by label within each."""
    table = MIRRORS["disposition_code"]
    wanted: ColumnElement[bool] = table.c.queue_id.is_(None)
    if queue_id is not None:
        wanted = or_(wanted, table.c.queue_id == queue_id)
    query = select(table.c.code, table.c.label, table.c.queue_id).where(wanted)
    with cache.read() as conn:
        rows = conn.execute(query).all()
    codes: dict[str, DispositionCode] = {}
    for code, label, queue in sorted(rows, key=lambda r: (r[2] is None, str(r[1]), str(r[0]))):
        codes.setdefault(str(code), DispositionCode(str(code), str(label), queue))
    return list(codes.values())
