"""A logging filter that blanks secrets: bearer tokens, token and password fields.

The API client never logs a secret; this filter is the second line, for whatever else might (a
library's debug line, an exception text). Install it on the log handlers (`install_on`) so it sees
records of every logger, not only the ones logged directly to one logger.
"""

import logging
import re
from typing import Final

REDACTED: Final = "[redacted]"

_PATTERNS: Final = (
    # Authorization: Bearer <token>
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"),
    # "refresh_token": "…", 'password': '…' (JSON, Python reprs)
    re.compile(
        r"""(?i)(["']?(?:access_token|refresh_token|password|authorization)["']?\s*[:=]\s*["'])[^"']*"""
    ),
    # refresh_token=… (query strings, form bodies, key=value logs)
    re.compile(r"(?i)(\b(?:access_token|refresh_token|password)=)[^\s&\"',;]+"),
)


def redact(text: str) -> str:
    """`text` with every secret it appears to contain replaced by `[redacted]`."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) and exception text without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_on(*handlers: logging.Handler) -> SecretFilter:
    """Add one `SecretFilter` to each handler (the app calls it for its log file and console)."""
    secret_filter = SecretFilter()
    for handler in handlers:
        handler.addFilter(secret_filter)
    return secret_filter
