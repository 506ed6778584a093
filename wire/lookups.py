"""Lookups: online reads for what the cache does not hold (PROTOCOL.md, Lookups)."""

from typing import Any

from pydantic import BaseModel, Field


class CustomerSummary(BaseModel):
    id: str
    version: int
    display_name: str
    organisation: str | None = None
    account_number: str = ""
    territory_id: str
    segment: str = ""
    tier: str = ""
    do_not_contact: bool = False
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    open_cases: int = 0
    last_interaction_at: str | None = None


class LookupResponse(BaseModel):
    matches: list[CustomerSummary]
    #: the normalised form the server searched for (E.164 phone, lower-case email)
    normalized: str | None = None


class SearchResponse(BaseModel):
    results: list[CustomerSummary]


class CustomerDetail(BaseModel):
    id: str
    version: int
    fields: dict[str, Any]
    contact_points: list[dict[str, Any]]
    external_refs: list[dict[str, Any]]
    recent_interactions: list[dict[str, Any]]
    open_cases: list[dict[str, Any]]
    holdings: list[dict[str, Any]]
    #: the on-demand scope the server opened for this client (pull it to keep this customer fresh)
    scope: str
    scope_expires_at: str
