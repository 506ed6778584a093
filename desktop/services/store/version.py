"""The cache schema version this build writes (`PRAGMA user_version`), readable without SQLAlchemy.

`migrations.MIGRATIONS` holds one step per version; it checks at import that it ends here.
"""

from typing import Final

from desktop.services.store.connect import RawConnection

SCHEMA_VERSION: Final = 7


def user_version(conn: RawConnection) -> int:
    """The file's `PRAGMA user_version` (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
