"""How customers answered offers: offered, accepted, declined, not now and the rate, per offer and queue.

Counted from the append-only `offer_response` rows of the window (a response's `at`, or when it
reached the server if it has none). Offered = every response; rate = accepted / offered. The
queue is the one the response carries (the contact's queue); responses made outside a queue
are reported under "no queue".
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Connection, Table, func, select

from server.db import tables as t
from server.db.types import iso
from wire.offers import AcceptanceReport, AcceptanceRow, OfferAcceptance, QueueAcceptance

NO_QUEUE: Final = "no queue"
RESPONSES: Final = ("accepted", "declined", "not_now")


def _row(counts: dict[str, int]) -> AcceptanceRow:
    offered = sum(counts.values())
    accepted = counts.get("accepted", 0)
    return AcceptanceRow(
        offered=offered,
        accepted=accepted,
        declined=counts.get("declined", 0),
        not_now=counts.get("not_now", 0),
        rate=accepted / offered if offered else 0.0,
    )


def _names(conn: Connection, table: Table, name: str, ids: Iterable[str]) -> dict[str, str]:
    """Id → display name of the given rows of a table (deleted rows too: history keeps names)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(table.c.id, table.c[name]).where(table.c.id.in_(wanted))
    return {str(i): str(n) for i, n in conn.execute(query)}


def acceptance_report(conn: Connection, *, days: int, now: datetime) -> AcceptanceReport:
    """The acceptance rates of the last `days` days before `now`."""
    r = t.offer_response
    since = iso(now - timedelta(days=days))
    moment = func.coalesce(r.c.at, r.c.updated_at)
    query = (
        select(r.c.offer_id, r.c.queue_id, r.c.response, func.count())
        .where(r.c.deleted_at.is_(None), moment >= since, r.c.response.in_(RESPONSES))
        .group_by(r.c.offer_id, r.c.queue_id, r.c.response)
    )
    total: dict[str, int] = defaultdict(int)
    by_offer: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_queue: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for offer_id, queue_id, response, n in conn.execute(query):
        total[response] += n
        by_offer[offer_id][response] += n
        by_queue[queue_id][response] += n
    titles = _names(conn, t.offer, "title", by_offer)
    queues = _names(conn, t.queue, "name", (q for q in by_queue if q is not None))
    offers = [
        OfferAcceptance(offer_id=o, title=titles.get(o, o), **_row(c).model_dump())
        for o, c in by_offer.items()
    ]
    per_queue = [
        QueueAcceptance(
            queue_id=q, queue_name=queues.get(q, q) if q is not None else NO_QUEUE, **_row(c).model_dump()
        )
        for q, c in by_queue.items()
    ]
    offers.sort(key=lambda a: (-a.offered, a.title, a.offer_id))
    per_queue.sort(key=lambda a: (a.queue_id is None, -a.offered, a.queue_name))
    return AcceptanceReport(days=days, since=since, total=_row(total), by_offer=offers, by_queue=per_queue)
