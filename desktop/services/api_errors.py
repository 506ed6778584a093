"""Typed errors of the API client: one class per protocol error code, plus transport and bad responses.

`error_from_response` turns an error answer into its class using the protocol's error body
(`wire.errors`): the code picks the class, and a code whose HTTP status disagrees with
`wire.errors.STATUS_OF` is a bad response, not trusted. Messages are safe to show to the user and to
log: they never carry tokens or passwords (the server never echoes input in its messages).
"""

import email.utils
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

import pydantic

from wire.errors import STATUS_OF, ErrorResponse

#: the longest Retry-After we believe (a day): a larger or hostile value is clamped to this
MAX_RETRY_AFTER_S: Final = 86_400.0


class ApiError(Exception):
    """Any failure of a call to the CRM API. `code` is the protocol's error code where there is one."""

    code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details: dict[str, Any] = dict(details or {})
        #: seconds the server asked us to wait before trying again (429, 503), when it said
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r})"


class BadRequest(ApiError):
    code = "bad_request"


class NotAuthenticated(ApiError):
    """Not signed in, or the sign-in expired or was revoked: sign in again."""

    code = "not_authenticated"


class Forbidden(ApiError):
    code = "forbidden"


class NotFound(ApiError):
    code = "not_found"


class MethodNotAllowed(ApiError):
    code = "method_not_allowed"


class Conflict(ApiError):
    code = "conflict"


class EpochReset(Conflict):
    """The server's database was recreated or restored: rebuild the mirrors from `epoch`."""

    code = "epoch_reset"

    @property
    def epoch(self) -> str | None:
        value = self.details.get("epoch")
        return value if isinstance(value, str) else None


class TooLarge(ApiError):
    code = "too_large"


class ValidationFailed(ApiError):
    code = "validation_failed"

    @property
    def errors(self) -> list[dict[str, Any]]:
        value = self.details.get("errors")
        return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


class UpgradeRequired(ApiError):
    """The server no longer accepts this desktop's protocol: install the current Liaison Desk."""

    code = "upgrade_required"


class RateLimited(ApiError):
    code = "rate_limited"


class Unavailable(ApiError):
    code = "unavailable"


class ServerError(ApiError):
    """A 5xx other than 503: a bug on the server, or a gateway in between failing."""

    code = "internal"


class TransportError(ApiError):
    """The server could not be reached or the connection failed: refused, reset, timed out, TLS."""

    code = "transport"


class BadResponse(ApiError):
    """The server answered something that is not the protocol: not JSON, HTML, wrong schema, too big."""

    code = "bad_response"


#: protocol error code → its class (a test checks every `wire.errors.ErrorCode` is here)
ERROR_CLASSES: Final[dict[str, type[ApiError]]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        NotAuthenticated,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        EpochReset,
        TooLarge,
        ValidationFailed,
        UpgradeRequired,
        RateLimited,
        Unavailable,
        ServerError,
    )
}


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or garbage."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def error_from_response(status: int, body: bytes, headers: Mapping[str, str]) -> ApiError:
    """The typed error for a non-2xx answer (`headers` looked up case-insensitively by the caller)."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    try:
        parsed = ErrorResponse.model_validate_json(body)
    except pydantic.ValidationError:
        parsed = None
    if parsed is None:
        # no protocol body: a proxy's page, or a broken server. Trust the status only where it is
        # harmless to (the server side failing); an unexplained 4xx is not the protocol.
        if status == 503:
            return Unavailable(
                "the server is temporarily unavailable", status=status, retry_after=retry_after
            )
        if status >= 500:
            return ServerError(f"the server failed (HTTP {status})", status=status, retry_after=retry_after)
        return BadResponse(f"the server answered HTTP {status} without a protocol error body", status=status)
    code = parsed.error.code
    if STATUS_OF[code] != status:
        return BadResponse(
            f"the server answered HTTP {status} with error code {code!r}, which belongs to HTTP {STATUS_OF[code]}",
            status=status,
        )
    if code == "conflict" and parsed.reset == "epoch":
        code = "epoch_reset"
    cls = ERROR_CLASSES[code]
    return cls(parsed.error.message, status=status, details=parsed.error.details, retry_after=retry_after)
