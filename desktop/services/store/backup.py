"""A copy of the cache file made with the SQLite online backup API (taken before migrations)."""

from pathlib import Path
from typing import Any, cast

from desktop.services.store.database import make_engine


def backup_file(source: Path, destination: Path, key: str | None) -> None:
    """Copy `source` to `destination` page by page; an encrypted cache stays encrypted (same key)."""
    src_engine = make_engine(source, key, read_only=True)
    dst_engine = make_engine(destination, key, read_only=False)
    try:
        src = src_engine.raw_connection()
        dst = dst_engine.raw_connection()
        try:
            cast(Any, src.driver_connection).backup(dst.driver_connection)
        finally:
            dst.close()
            src.close()
    finally:
        dst_engine.dispose()
        src_engine.dispose()
