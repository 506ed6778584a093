"""The sync record types: one msgspec struct per synced entity, and the entity classes.

`Change.fields` of a pull page decodes into the struct of its entity. Unknown fields are allowed
(the schema grows additively within a protocol version); the client keeps them in `extra`.
Timestamps are ISO 8601 strings with an offset; ids are UUID strings.
"""

from typing import Any, Final, Literal

import msgspec

EntityClass = Literal["mergeable", "append_only", "server_owned"]

Channel = Literal["phone", "email", "chat", "web", "field_visit", "partner", "store", "social"]
CHANNELS: Final[tuple[str, ...]] = (
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
CASE_STATUSES: Final[tuple[str, ...]] = ("new", "open", "pending", "escalated", "resolved", "closed")
Priority = Literal["low", "normal", "high", "urgent"]


class Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Fields every synced row has on the wire (besides `id` and `version`, carried by Change)."""


class Customer(Record, kw_only=True):
    kind: Literal["person", "organisation"] = "person"
    display_name: str
    given_name: str | None = None
    family_name: str | None = None
    organisation: str | None = None
    segment: str = "consumer"
    tier: str = "standard"
    language: str = "en"
    country: str = ""
    region: str = ""
    postcode: str | None = None
    territory_id: str
    account_number: str = ""
    lifetime_value: float = 0.0
    consent_marketing: bool = False
    consent_contact: bool = True
    do_not_contact: bool = False
    created_at: str | None = None
    updated_at: str | None = None


class ContactPoint(Record, kw_only=True):
    customer_id: str
    kind: Literal["phone", "email", "handle"]
    value: str
    label: str | None = None
    verified: bool = False
    is_primary: bool = False


class ExternalRef(Record, kw_only=True):
    customer_id: str
    system: str
    key: str
    display_name: str | None = None


class Interaction(Record, kw_only=True):
    customer_id: str
    channel: Channel
    direction: Literal["inbound", "outbound", "none"] = "inbound"
    occurred_at: str
    summary: str = ""
    agent_id: str | None = None
    agent_name: str | None = None
    partner: str | None = None
    outcome: str | None = None
    case_id: str | None = None
    duration_s: int | None = None
    queue_id: str | None = None


class Case(Record, kw_only=True):
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
    opened_at: str | None = None
    resolved_at: str | None = None


class CaseNote(Record, kw_only=True):
    case_id: str
    author_id: str | None = None
    author_name: str = ""
    body: str
    visibility: Literal["internal", "customer"] = "internal"
    created_at: str | None = None


class Holding(Record, kw_only=True):
    customer_id: str
    product_id: str
    channel: Channel = "store"
    price_paid: float = 0.0
    since: str | None = None
    #: the contract's renewal date (ISO 8601); None for a one-off purchase
    renews_at: str | None = None


class Offer(Record, kw_only=True):
    product_id: str
    title: str
    pitch: str = ""
    price: float
    currency: str = "EUR"
    category: str = ""
    sensitive: bool = False
    regions: list[str] = msgspec.field(default_factory=list)
    segments: list[str] = msgspec.field(default_factory=list)
    valid_from: str | None = None
    valid_to: str | None = None
    margin: float = 0.0


class Affinity(Record, kw_only=True):
    antecedent_product_id: str
    offer_id: str
    support: float
    confidence: float
    lift: float


class RegionSignal(Record, kw_only=True):
    """A context signal of a region (a season, a weather outlook) that raises offer categories there."""

    #: matches `Customer.region`
    region: str
    #: e.g. "heatwave", "cold_snap", "season"
    kind: str
    #: shown in the offer's reason line, e.g. "Heatwave forecast in Andalusia"
    label: str
    #: the offer categories it raises
    categories: list[str]
    #: the multiplier applied to those offers' scores
    boost: float = 1.5
    valid_from: str | None = None
    valid_to: str | None = None


class OfferResponse(Record, kw_only=True):
    customer_id: str
    offer_id: str
    agent_id: str | None = None
    channel: Channel = "phone"
    response: Literal["accepted", "declined", "not_now"]
    reason: str | None = None
    at: str | None = None
    #: the queue of the contact the offer was made in (the acceptance report per queue); None off-queue
    queue_id: str | None = None


class Conflict(Record, kw_only=True):
    entity: str
    entity_id: str
    field: str
    kind: Literal["field", "deleted_remotely", "stale_delete", "possible_duplicate"] = "field"
    base_value: Any = None
    server_value: Any = None
    client_value: Any = None
    user_id: str | None = None
    owner_id: str | None = None
    mutation_id: str | None = None
    status: Literal["open", "resolved", "dismissed"] = "open"
    resolution: Any = None
    created_at: str | None = None
    resolved_at: str | None = None


class DispositionCode(Record, kw_only=True):
    queue_id: str | None = None
    code: str
    label: str


class Queue(Record, kw_only=True):
    name: str
    channel: Channel = "phone"
    sl_threshold_s: int = 20
    sl_target: float = 0.8


class Product(Record, kw_only=True):
    sku: str
    name: str
    category: str = ""
    sensitive: bool = False
    list_price: float = 0.0
    margin: float = 0.0


class UserDirectory(Record, kw_only=True):
    username: str
    display_name: str
    roles: list[str] = msgspec.field(default_factory=list)


class Territory(Record, kw_only=True):
    name: str
    country: str = ""


#: entity name on the wire → (record struct, class)
ENTITIES: Final[dict[str, tuple[type[Record], EntityClass]]] = {
    "customer": (Customer, "mergeable"),
    "contact_point": (ContactPoint, "mergeable"),
    "external_ref": (ExternalRef, "mergeable"),
    "case": (Case, "mergeable"),
    "interaction": (Interaction, "append_only"),
    "case_note": (CaseNote, "append_only"),
    "offer_response": (OfferResponse, "append_only"),
    "holding": (Holding, "server_owned"),
    "offer": (Offer, "server_owned"),
    "affinity": (Affinity, "server_owned"),
    "region_signal": (RegionSignal, "server_owned"),
    "conflict": (Conflict, "server_owned"),
    "disposition_code": (DispositionCode, "server_owned"),
    "queue": (Queue, "server_owned"),
    "product": (Product, "server_owned"),
    "user_directory": (UserDirectory, "server_owned"),
    "territory": (Territory, "server_owned"),
}

#: the `ref` scope's entities
REF_ENTITIES: Final[tuple[str, ...]] = (
    "queue",
    "territory",
    "product",
    "offer",
    "affinity",
    "region_signal",
    "disposition_code",
    "user_directory",
)


def field_names(entity: str) -> tuple[str, ...]:
    """The wire field names of an entity's record (without id and version)."""
    return ENTITIES[entity][0].__struct_fields__


_PATCH_TYPES: dict[str, type[msgspec.Struct]] = {}


def patch_type(entity: str) -> type[msgspec.Struct]:
    """A struct with every field of the entity optional (UNSET): validates partial `new_values`."""
    cached = _PATCH_TYPES.get(entity)
    if cached is not None:
        return cached
    record = ENTITIES[entity][0]
    hints = msgspec.structs.fields(record)
    fields = [(f.name, f.type | msgspec.UnsetType, msgspec.UNSET) for f in hints]
    made = msgspec.defstruct(f"{record.__name__}Patch", fields, kw_only=True, forbid_unknown_fields=True)
    _PATCH_TYPES[entity] = made
    return made


def validate_patch(entity: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial record; raise `msgspec.ValidationError` naming the bad field."""
    patch = msgspec.convert(values, type=patch_type(entity), strict=True)
    return {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}


def validate_record(entity: str, values: dict[str, Any]) -> Record:
    """Validate a whole record (a create, or a pulled row)."""
    return msgspec.convert(values, type=ENTITIES[entity][0], strict=True)
