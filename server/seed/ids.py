"""Deterministic ids and timestamps for seeded rows, made fast enough for millions of rows."""

import random
from datetime import UTC, datetime, timedelta
from typing import Final

_VERSION_MASK: Final = ~(0xF000 << 64) & ~(0xC000 << 48)
_VERSION_BITS: Final = (0x4000 << 64) | (0x8000 << 48)
DAY: Final = 86400.0
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: second of the day → "HH:MM:SS" (86,400 itself can come out of float rounding: "24:00:00")
_HMS: Final = tuple(f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86_401))


class IdSource:
    """Version-4 UUID strings drawn from a seeded generator.

    Equal to `str(uuid.UUID(int=rng.getrandbits(128), version=4))`, about four times faster.
    """

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def __call__(self) -> str:
        h = ((self._bits(128) & _VERSION_MASK) | _VERSION_BITS).to_bytes(16, "big").hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Clock:
    """Seconds since the Unix epoch (UTC) formatted as the database stores timestamps.

    SQLite stores naive UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`, what `server.db.types.Timestamp`
    writes); PostgreSQL's COPY gets the same text with a `+00` offset (`suffix`).
    """

    def __init__(self, now: datetime, *, suffix: str = "") -> None:
        aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.now = (aware.astimezone(UTC) - _EPOCH).total_seconds()
        self.suffix = suffix
        #: day number → "YYYY-MM-DD " (filled on first use)
        self._dates: dict[int, str] = {}
        self.fmt = self._fmt_suffix if suffix else self._fmt

    def _date(self, day: int) -> str:
        text = self._dates.get(day)
        if text is None:
            text = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
            self._dates[day] = text
        return text

    def _fmt(self, ts: float) -> str:
        """`YYYY-MM-DD HH:MM:SS.ffffff` (microseconds truncated)."""
        day = int(ts // DAY)
        rem = ts - day * DAY
        sec = int(rem)
        date = self._dates.get(day) or self._date(day)
        # %-formatting: faster than an f-string here, and %d truncates like int()
        return "%s%s.%06d" % (date, _HMS[sec], (rem - sec) * 1_000_000)  # noqa: UP031

    def _fmt_suffix(self, ts: float) -> str:
        return self._fmt(ts) + self.suffix

    def iso(self, ts: float) -> str:
        """An ISO 8601 string with offset (for rows written through SQLAlchemy Core)."""
        return (_EPOCH + timedelta(seconds=ts)).isoformat()
