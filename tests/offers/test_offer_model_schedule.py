"""The schedule: one process claims a stale model's run; a fresh model or a live claim means no run."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.db import tables as t
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.offers.affinity import recompute
from server.offers.schedule import CLAIM_TTL, check_interval_s, claim_if_stale, recompute_if_stale
from server.offers.settings import ModelSettings

SIX_HOURS = ModelSettings(recompute_hours=6.0)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'schedule.db'}")
    initialize(database)
    return database


def _computed_at(db: Database) -> str | None:
    with db.read() as conn:
        value: str | None = conn.execute(select(t.offer_model_state.c.computed_at)).scalar_one_or_none()
        return value


def test_a_model_never_computed_is_claimed_once(db: Database) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert claim_if_stale(db, SIX_HOURS, now)
    # a second process a minute later: the first one is computing
    assert not claim_if_stale(db, SIX_HOURS, now + timedelta(minutes=1))
    # the first died without finishing: its claim expires
    assert claim_if_stale(db, SIX_HOURS, now + CLAIM_TTL + timedelta(seconds=1))
    db.dispose()


def test_a_fresh_model_is_left_alone_and_a_stale_one_recomputed(db: Database) -> None:
    report = recompute(db, SIX_HOURS)
    assert (report.baskets, report.rules) == (0, 0)
    stamp = _computed_at(db)
    assert stamp is not None
    computed = datetime.fromisoformat(stamp)
    assert not claim_if_stale(db, SIX_HOURS, computed + timedelta(hours=5))
    assert recompute_if_stale(db, SIX_HOURS) is None
    assert claim_if_stale(db, SIX_HOURS, computed + timedelta(hours=6, seconds=1))
    assert not claim_if_stale(db, SIX_HOURS, computed + timedelta(hours=6, seconds=2))  # claimed
    recompute(db, SIX_HOURS)  # the claimant finishes
    assert _computed_at(db) != stamp
    db.dispose()


def test_recompute_if_stale_runs_once(db: Database) -> None:
    first = recompute_if_stale(db, SIX_HOURS)
    assert first is not None and first.rules == 0
    assert _computed_at(db) is not None
    assert recompute_if_stale(db, SIX_HOURS) is None
    db.dispose()


def test_settings_from_the_environment() -> None:
    settings = ModelSettings.from_env(
        {
            "LIAISON_OFFERS_MIN_SUPPORT": "0.01",
            "LIAISON_OFFERS_MIN_LIFT": "2",
            "LIAISON_OFFERS_MIN_PAIR_COUNT": "50",
            "LIAISON_OFFERS_SENSITIVE_CATEGORIES": "health, finance ,",
            "LIAISON_OFFERS_RECOMPUTE_HOURS": "0.5",
        }
    )
    assert settings == ModelSettings(
        min_support=0.01,
        min_lift=2.0,
        min_pair_count=50,
        sensitive_categories=frozenset({"health", "finance"}),
        recompute_hours=0.5,
    )
    assert check_interval_s(settings) == 450.0
    assert check_interval_s(ModelSettings()) == 3600.0
    assert ModelSettings.from_env({}) == ModelSettings()
    with pytest.raises(ValueError, match="MIN_LIFT"):
        ModelSettings.from_env({"LIAISON_OFFERS_MIN_LIFT": "lots"})
    with pytest.raises(ValueError, match="min_support"):
        ModelSettings.from_env({"LIAISON_OFFERS_MIN_SUPPORT": "2"})
