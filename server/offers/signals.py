"""Region signals as an admin sets them: written through the ChangeWriter, so desktops get them in `ref`."""

from typing import Any

from sqlalchemy import Connection, select

from server.db import tables as t
from server.sync.changes import ChangeWriter
from wire.offers import RegionSignalIn, RegionSignalOut

_FIELDS = ("region", "kind", "label", "categories", "boost", "valid_from", "valid_to")


def _out(row: dict[str, Any]) -> RegionSignalOut:
    return RegionSignalOut(id=row["id"], version=row["version"], **{f: row[f] for f in _FIELDS})


def put_signal(conn: Connection, signal_id: str, signal: RegionSignalIn) -> tuple[RegionSignalOut, bool]:
    """Create or replace the signal (a deleted one comes back); returns it and whether it is new."""
    writer = ChangeWriter(conn)
    values = signal.model_dump()
    before = writer.get("region_signal", signal_id, lock=True)
    if before is None:
        writer.insert("region_signal", {"id": signal_id, **values})
        created = True
    else:
        if before["deleted_at"] is not None:
            writer.restore("region_signal", signal_id)
        changed = {k: v for k, v in values.items() if before[k] != v}
        if changed:
            writer.update("region_signal", signal_id, changed)
        created = False
    writer.notify()
    after = writer.get("region_signal", signal_id)
    assert after is not None
    return _out(after), created


def delete_signal(conn: Connection, signal_id: str) -> bool:
    """Tombstone the signal; False when there is no live signal of that id."""
    writer = ChangeWriter(conn)
    before = writer.get("region_signal", signal_id, lock=True)
    if before is None or before["deleted_at"] is not None:
        return False
    writer.delete("region_signal", signal_id)
    writer.notify()
    return True


def list_signals(conn: Connection) -> list[RegionSignalOut]:
    rs = t.region_signal
    rows = conn.execute(select(rs).where(rs.c.deleted_at.is_(None)).order_by(rs.c.region, rs.c.id))
    return [_out(dict(r._mapping)) for r in rows]
