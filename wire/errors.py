"""The one error body every failing request returns (PROTOCOL.md, Errors)."""

from typing import Any, Literal

from pydantic import BaseModel, Field

ErrorCode = Literal[
    "bad_request",
    "not_authenticated",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "epoch_reset",
    "too_large",
    "validation_failed",
    "upgrade_required",
    "rate_limited",
    "unavailable",
    "internal",
]

#: HTTP status of each code; the client maps statuses back to typed errors with it
STATUS_OF: dict[str, int] = {
    "bad_request": 400,
    "not_authenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "epoch_reset": 409,
    "too_large": 413,
    "validation_failed": 422,
    "upgrade_required": 426,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    error: ErrorBody
    #: present only on an epoch reset (409): {"reset": "epoch"}
    reset: str | None = None
