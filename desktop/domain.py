"""The desktop's domain: plain, immutable values. Imports neither Qt nor any other package of ours.

Fields mirror the sync records of `wire/records.py` (the wire is the contract; the domain is what
the desktop holds in memory). Every synced row carries its `id` and `version`; fields a newer
server sends that this client does not know yet are kept in `extra`, never dropped.
Timestamps are ISO 8601 strings with an offset, as on the wire.
"""

from dataclasses import dataclass, field
from typing import Any, Final, Literal

Channel = Literal["phone", "email", "chat", "web", "field_visit", "partner", "store", "social"]
CHANNELS: Final[tuple[Channel, ...]] = (
    "phone",
    "email",
    "chat",
    "web",
    "field_visit",
    "partner",
    "store",
    "social",
)
CaseStatus = Literal["new", "open", "pending", "escalated", "resolved", "closed"]
OPEN_CASE_STATUSES: Final[frozenset[CaseStatus]] = frozenset({"new", "open", "pending", "escalated"})
Priority = Literal["low", "normal", "high", "urgent"]
CustomerKind = Literal["person", "organisation"]
ContactKind = Literal["phone", "email", "handle"]
Direction = Literal["inbound", "outbound", "none"]
Visibility = Literal["internal", "customer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    id: str
    version: int
    display_name: str
    territory_id: str
    kind: CustomerKind = "person"
    given_name: str | None = None
    family_name: str | None = None
    organisation: str | None = None
    segment: str = "consumer"
    tier: str = "standard"
    language: str = "en"
    country: str = ""
    region: str = ""
    postcode: str | None = None
    account_number: str = ""
    lifetime_value: float = 0.0
    consent_marketing: bool = False
    consent_contact: bool = True
    do_not_contact: bool = False
    created_at: str = ""
    updated_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPoint:
    id: str
    version: int
    customer_id: str
    kind: ContactKind
    value: str
    label: str | None = None
    verified: bool = False
    is_primary: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction:
    id: str
    version: int
    customer_id: str
    channel: Channel
    occurred_at: str
    direction: Direction = "inbound"
    summary: str = ""
    agent_id: str | None = None
    agent_name: str | None = None
    partner: str | None = None
    outcome: str | None = None
    case_id: str | None = None
    duration_s: int | None = None
    queue_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    version: int
    number: str
    customer_id: str
    subject: str
    description: str = ""
    status: CaseStatus = "new"
    priority: Priority = "normal"
    queue_id: str | None = None
    owner_id: str | None = None
    sla_due_at: str | None = None
    origin_channel: Channel = "phone"
    opened_at: str = ""
    resolved_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Whether the case still needs work (not resolved or closed)."""
        return self.status in OPEN_CASE_STATUSES


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseNote:
    id: str
    version: int
    case_id: str
    body: str
    author_id: str | None = None
    author_name: str = ""
    visibility: Visibility = "internal"
    created_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
