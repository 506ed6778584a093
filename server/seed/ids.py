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


#: the 48-bit time field of the first block's UUIDv7 ids (2024-01-01T00:00:00Z in milliseconds)
_V7_BASE_MS: Final = 1_704_067_200_000
_V7_BLOCK_SHIFT: Final = 26
_RAND_B_MASK: Final = (1 << 62) - 1


class IdSource:
    """UUID strings drawn from a seeded generator.

    Before `start_block`: version 4, equal to `str(uuid.UUID(int=rng.getrandbits(128), version=4))`.
    After it: version 7 (RFC 9562) whose 48-bit time field rises by one per id within a block,
    from a start set by the block number, with 74 random bits. Ids made later sort later, so bulk
    inserts append to the primary-key index and to the indexes on parent ids (as UUIDv7 ids made
    by a desktop do), instead of landing at random places.
    """

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits
        self._tick = -1

    def start_block(self, block: int) -> None:
        self._tick = _V7_BASE_MS + (block << _V7_BLOCK_SHIFT)

    def __call__(self) -> str:
        if self._tick < 0:
            h = ((self._bits(128) & _VERSION_MASK) | _VERSION_BITS).to_bytes(16, "big").hex()
        else:
            self._tick += 1
            r = self._bits(74)
            value = (self._tick << 80) | (0x7 << 76) | ((r >> 62) << 64) | (0b10 << 62) | (r & _RAND_B_MASK)
            h = value.to_bytes(16, "big").hex()
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
