"""Bulk row writing: buffers per table, shipped in chunks to a writer thread.

The generator (the calling thread) appends tuples to per-table buffers; full buffers go through
a bounded queue to one writer thread that sorts them by primary key and inserts them with the driver's fastest path (SQLite
`executemany` with pre-formatted values, PostgreSQL `COPY`). Memory stays bounded by the chunk
size times the queue depth, and generation overlaps with the database's work (the drivers
release the GIL while the database runs).
"""

import queue
import threading
from collections.abc import Sequence
from typing import Any, Final, Protocol

Row = tuple[Any, ...]
_STOP: Final = None


class RowTarget(Protocol):
    """Where chunks of rows go: one call per chunk, from the writer thread."""

    def write(self, table: str, columns: Sequence[str], rows: list[Row]) -> None: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class BulkWriter:
    """Per-table row buffers and the writer thread that drains them into a `RowTarget`."""

    def __init__(self, target: RowTarget, *, chunk_rows: int = 10_000, depth: int = 6) -> None:
        self._target = target
        self._chunk = chunk_rows
        self._columns: dict[str, tuple[str, ...]] = {}
        self._buffers: dict[str, list[Row]] = {}
        self.counts: dict[str, int] = {}
        self._queue: queue.Queue[tuple[str, list[Row]] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="seed-writer", daemon=True)
        self._thread.start()

    def register(self, table: str, columns: Sequence[str]) -> None:
        self._columns[table] = tuple(columns)
        self._buffers[table] = []
        self.counts.setdefault(table, 0)

    def rows(self, table: str) -> list[Row]:
        """The table's buffer: append row tuples in the registered column order.

        The same list for the whole run (shipping copies it out and clears it), so callers may
        keep it."""
        return self._buffers[table]

    def ship_full(self) -> None:
        """Send every buffer that reached the chunk size to the writer."""
        for table, rows in self._buffers.items():
            if len(rows) >= self._chunk:
                self._ship(table)

    def close(self) -> dict[str, int]:
        """Ship what is left, wait for the writer, commit; return the rows written per table."""
        for table, rows in self._buffers.items():
            if rows:
                self._ship(table)
        self._queue.put(_STOP)
        self._thread.join()
        self._raise()
        self._target.finish()
        return dict(self.counts)

    def abort(self) -> None:
        """Stop after a failure in the generator: discard the queue and roll back."""
        for rows in self._buffers.values():
            rows.clear()
        self._error = self._error or RuntimeError("seed aborted")
        self._queue.put(_STOP)
        self._thread.join()
        self._target.abort()

    def _ship(self, table: str) -> None:
        self._raise()
        buffer = self._buffers[table]
        rows = buffer.copy()
        buffer.clear()
        self.counts[table] += len(rows)
        self._queue.put((table, rows))

    def _raise(self) -> None:
        if self._error is not None:
            raise RuntimeError("the seed writer failed") from self._error

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # keep draining so the generator never blocks on a dead writer
            table, rows = item
            rows.sort()  # primary-key order (the first column): B-tree inserts with locality
            try:
                self._target.write(table, self._columns[table], rows)
            except BaseException as exc:  # handed to the generator thread by _raise
                self._error = exc
