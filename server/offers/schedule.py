"""When the affinity model is recomputed: at start-up if stale, then whenever it grows stale.

Every server process runs `recompute_periodically`, like the retention purge; the bookkeeping row
`offer_model_state` makes one process do the work: a process *claims* a run (in a write
transaction, under the row lock) only when the model is older than `recompute_hours` and no other
process claimed it within `CLAIM_TTL`. The CLI and an admin's block change recompute at once
(`affinity.recompute`), whatever the schedule.
"""

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from server.db import tables as t
from server.db.engine import Database
from server.db.types import iso, parse_timestamp, utcnow
from server.offers.affinity import STATE_ID, ModelReport, lock_state, recompute
from server.offers.settings import ModelSettings

log = logging.getLogger(__name__)

#: a claim older than this is considered abandoned (its process died mid-run)
CLAIM_TTL: Final = timedelta(minutes=30)
#: how often a process checks whether the model is stale (at most; less for short intervals)
MAX_CHECK_INTERVAL_S: Final = 3600.0


def _stamp(value: str | None) -> datetime | None:
    return parse_timestamp(value) if value is not None else None


def claim_if_stale(db: Database, settings: ModelSettings, now: datetime | None = None) -> bool:
    """Claim the next run when the model is stale and nobody else is computing it."""
    moment = now or utcnow()
    try:
        with db.write() as conn:
            state = lock_state(conn)
            computed = _stamp(state["computed_at"])
            claimed = _stamp(state["claimed_at"])
            if computed is not None and moment - computed < timedelta(hours=settings.recompute_hours):
                return False
            running = claimed is not None and (computed is None or claimed > computed)
            if running and claimed is not None and moment - claimed < CLAIM_TTL:
                return False
            conn.execute(
                update(t.offer_model_state)
                .where(t.offer_model_state.c.id == STATE_ID)
                .values(claimed_at=iso(moment))
            )
            return True
    except IntegrityError:  # another process created the row at the same moment: it runs
        return False


def recompute_if_stale(db: Database, settings: ModelSettings) -> ModelReport | None:
    """Recompute when `claim_if_stale` gives this process the run; None when not needed."""
    if not claim_if_stale(db, settings):
        return None
    return recompute(db, settings)


def check_interval_s(settings: ModelSettings) -> float:
    return min(MAX_CHECK_INTERVAL_S, settings.recompute_hours * 3600.0 / 4)


async def recompute_periodically(db: Database, settings: ModelSettings) -> None:
    """At start-up and then every check interval: recompute if stale (in a worker thread)."""
    while True:
        try:
            report = await asyncio.to_thread(recompute_if_stale, db, settings)
        except Exception:
            log.warning("offer model recomputation failed; trying again later", exc_info=True)
        else:
            if report is not None:
                log.info("%s", report.summary())
        await asyncio.sleep(check_interval_s(settings))
