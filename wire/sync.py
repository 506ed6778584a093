"""Sync requests and responses (PROTOCOL.md, Sync; SYNC.md sections 1 to 3).

These pydantic models describe the endpoints (OpenAPI, request validation on the server). The pull
page's hot decode path on the client uses the equivalent msgspec structs in `wire.fast`.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from wire.version import PROTOCOL_VERSION, SCHEMA_VERSION

ChangeOp = Literal["upsert", "delete", "scope_out"]
PageMode = Literal["snapshot", "log", "reset"]
MutationOp = Literal["create", "update", "delete", "append", "command"]
Outcome = Literal["applied", "merged", "conflict", "rejected"]

MAX_PULL_LIMIT = 5000
MAX_WAIT_MS = 60_000
MAX_MUTATIONS_PER_PUSH = 100
MAX_SCOPES_PER_PULL = 64
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1


class PullRequest(BaseModel):
    client_id: str = Field(min_length=1, max_length=64)
    protocol: int = Field(default=PROTOCOL_VERSION, ge=0, le=MAX_INT)
    schema_version: int = Field(default=SCHEMA_VERSION, ge=0, le=MAX_INT)
    epoch: str | None = Field(default=None, max_length=64)
    scopes: dict[str, str | None] = Field(max_length=MAX_SCOPES_PER_PULL)
    limit: int = Field(default=500, ge=1, le=MAX_PULL_LIMIT)
    wait_ms: int | None = Field(default=None, ge=0, le=MAX_WAIT_MS)


class Change(BaseModel):
    seq: int
    entity: str
    id: str
    op: ChangeOp
    version: int
    fields: dict[str, Any] | None = None


class ScopePage(BaseModel):
    mode: PageMode
    changes: list[Change] = Field(default_factory=list)
    next: str | None = None
    has_more: bool = False
    #: only with mode "reset": why the scope must be primed again
    reason: str | None = None


class PullResponse(BaseModel):
    epoch: str
    schema_version: int = SCHEMA_VERSION
    head: int
    scopes: dict[str, ScopePage]
    client_acked_through: int
    page_checksum: str


class Mutation(BaseModel):
    mutation_id: str = Field(min_length=1, max_length=64)
    client_seq: int = Field(ge=1, le=MAX_BIGINT)
    entity: str = Field(min_length=1, max_length=64)
    entity_id: str = Field(min_length=1, max_length=64)
    op: MutationOp
    base_version: int | None = Field(default=None, ge=0, le=MAX_INT)
    base_values: dict[str, Any] | None = None
    new_values: dict[str, Any] = Field(default_factory=dict)
    depends_on: str | None = Field(default=None, max_length=64)


class PushRequest(BaseModel):
    client_id: str = Field(min_length=1, max_length=64)
    protocol: int = Field(default=PROTOCOL_VERSION, ge=0, le=MAX_INT)
    schema_version: int = Field(default=SCHEMA_VERSION, ge=0, le=MAX_INT)
    epoch: str | None = Field(default=None, max_length=64)
    mutations: list[Mutation] = Field(max_length=MAX_MUTATIONS_PER_PUSH)


class MutationResult(BaseModel):
    mutation_id: str
    outcome: Outcome
    new_version: int | None = None
    server_seq: int | None = None
    conflict_ids: list[str] = Field(default_factory=list)
    reason: str | None = None


class PushResponse(BaseModel):
    results: list[MutationResult]
    processed_through: int | None


class ScopeChecksum(BaseModel):
    scope: str
    epoch: str
    head: int
    count: int
    checksum: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    db: Literal["ok", "down"]
    version: str
