"""Time in state, for the agent's tool bar and contact bar: one format, one injectable clock.

The clock is a plain callable returning an aware `datetime` (the system clock by default): tests
hand in their own and move it, so "time in state" is checked without waiting a second.
"""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time from the wire (naive ones are taken as UTC); None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def elapsed_text(since: datetime | None, now: datetime) -> str:
    """`m:ss` (or `h:mm:ss` from an hour on) since `since`; a clock behind the server's shows 0:00."""
    if since is None:
        return "0:00"
    seconds = max(0, int((now - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
