"""Offers administration and reporting on the wire: region signals, blocked pairs, acceptance rates.

Request bodies are strict (no type coercion, no unknown fields) and bounded: a hostile or huge
value is a 422 naming the field, never a stored row.
"""

from datetime import datetime
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_CATEGORIES: Final = 20
MAX_BOOST: Final = 10.0


def _plain_text(value: str) -> str:
    """Printable text only (no control characters, no bidi overrides), trimmed, not empty."""
    if any(not c.isprintable() for c in value):
        raise ValueError("must be printable text (no control characters)")
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


def _timestamp(value: str | None) -> str | None:
    """An ISO 8601 timestamp with an offset, normalized to UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a UTC offset")
    return parsed.isoformat()


Text = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_text)]
Category = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_plain_text)]
Timestamp = Annotated[str | None, Field(default=None, max_length=40), AfterValidator(_timestamp)]
ProductId = Annotated[str, Field(min_length=1, max_length=36), AfterValidator(_plain_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class RegionSignalIn(_Strict):
    """A region's context signal as an admin sets it (`PUT /api/v1/admin/region_signals/{id}`)."""

    region: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_plain_text)]
    kind: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
    label: Text
    categories: Annotated[list[Category], Field(min_length=1, max_length=MAX_CATEGORIES)]
    boost: Annotated[float, Field(gt=0.0, le=MAX_BOOST, allow_inf_nan=False)] = 1.5
    valid_from: Timestamp = None
    valid_to: Timestamp = None


class RegionSignalOut(BaseModel):
    id: str
    version: int
    region: str
    kind: str
    label: str
    categories: list[str]
    boost: float
    valid_from: str | None = None
    valid_to: str | None = None


class RegionSignalList(BaseModel):
    signals: list[RegionSignalOut]


class AffinityBlockIn(_Strict):
    """A product pair the affinity model must never associate (antecedent → consequent)."""

    antecedent_product_id: ProductId
    consequent_product_id: ProductId
    reason: Annotated[str, Field(max_length=500)] = ""


class AffinityBlockOut(BaseModel):
    antecedent_product_id: str
    consequent_product_id: str
    reason: str
    created_by: str | None = None
    created_at: str


class AffinityBlockList(BaseModel):
    blocks: list[AffinityBlockOut]


class ModelSummary(BaseModel):
    """The affinity model after a recomputation."""

    baskets: int
    rules: int
    inserted: int
    updated: int
    deleted: int


class AffinityBlockChange(BaseModel):
    block: AffinityBlockOut
    model: ModelSummary


class AcceptanceRow(BaseModel):
    """How customers answered: offered = every response; rate = accepted / offered."""

    offered: int
    accepted: int
    declined: int
    not_now: int
    rate: float


class OfferAcceptance(AcceptanceRow):
    offer_id: str
    title: str


class QueueAcceptance(AcceptanceRow):
    #: None: responses recorded outside a queue (web, store, or before queues were recorded)
    queue_id: str | None
    queue_name: str


class AcceptanceReport(BaseModel):
    days: int
    since: str
    total: AcceptanceRow
    by_offer: list[OfferAcceptance]
    by_queue: list[QueueAcceptance]
