import hashlib
from collections import Counter
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
import pytest
from sqlalchemy import Connection, func, select

from server.db import tables as t
from server.db.bootstrap import initialize
from server.db.engine import Database
from server.seed import SeedError, SeedReport, run_seed
from server.seed.catalog import PLANTED, SENSITIVE_CATEGORY
from server.seed.customers import CONTACT_POINT_COLUMNS, CUSTOMER_COLUMNS, EXTERNAL_REF_COLUMNS
from server.seed.history import CASE_COLUMNS, CASE_NOTE_COLUMNS, INTERACTION_COLUMNS
from server.seed.holdings import HOLDING_COLUMNS, OFFER_RESPONSE_COLUMNS
from wire.records import CASE_STATUSES, CHANNELS

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
N = 300
SEEDED = (
    t.territory,
    t.queue,
    t.disposition_code,
    t.product,
    t.offer,
    t.customer,
    t.customer_term,
    t.contact_point,
    t.external_ref,
    t.interaction,
    t.support_case,
    t.case_note,
    t.holding,
    t.offer_response,
)


def _seeded(
    tmp_path: Path, name: str, *, seed: int = 1, parallel: bool = False
) -> tuple[Database, SeedReport]:
    db = Database(f"sqlite:///{tmp_path / name}")
    initialize(db)
    report = run_seed(db, customers=N, seed=seed, now=NOW, owner_ids=("u-1", "u-2"), parallel=parallel)
    return db, report


def _checksum(db: Database) -> str:
    digest = hashlib.sha256()
    with db.read() as conn:
        for table in SEEDED:
            order = list(table.primary_key.columns)
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, SeedReport]:
    return _seeded(tmp_path_factory.mktemp("seed"), "a.db")


def test_column_lists_match_the_tables() -> None:
    for table, columns in (
        (t.customer, CUSTOMER_COLUMNS),
        (t.contact_point, CONTACT_POINT_COLUMNS),
        (t.external_ref, EXTERNAL_REF_COLUMNS),
        (t.interaction, INTERACTION_COLUMNS),
        (t.support_case, CASE_COLUMNS),
        (t.case_note, CASE_NOTE_COLUMNS),
        (t.holding, HOLDING_COLUMNS),
        (t.offer_response, OFFER_RESPONSE_COLUMNS),
    ):
        assert set(columns) == set(table.c.keys()), table.name


def test_same_seed_same_rows_other_seed_other_rows(
    tmp_path: Path, seeded: tuple[Database, SeedReport]
) -> None:
    first = _checksum(seeded[0])
    again, _ = _seeded(tmp_path, "b.db", parallel=True)  # the worker process draws the same rows
    other, _ = _seeded(tmp_path, "c.db", seed=2)
    assert _checksum(again) == first
    assert _checksum(other) != first


def test_counts_and_proportions(seeded: tuple[Database, SeedReport]) -> None:
    db, report = seeded
    with db.read() as conn:
        for table in SEEDED:
            assert (
                conn.execute(select(func.count()).select_from(table)).scalar_one()
                == report.counts[table.name]
            ), table.name
        customers = conn.execute(select(t.customer)).all()
        versions = {
            (v, s)
            for table in SEEDED
            if "version" in table.c
            for v, s in conn.execute(select(table.c.version, table.c.last_modified_seq).distinct())
        }
        assert conn.execute(select(func.count()).select_from(t.change_log)).scalar_one() == 0
    assert len(customers) == N
    assert versions == {(1, report.seq)}
    assert 0.78 < sum(c.consent_marketing for c in customers) / N < 0.92
    assert 0.005 < sum(c.do_not_contact for c in customers) / N < 0.07
    assert len({c.country for c in customers}) == 6
    assert {c.kind for c in customers} == {"person", "organisation"}
    assert 7 < report.counts["interaction"] / N < 13
    assert report.rows_per_s > 0


def test_every_phone_is_valid_e164_and_emails_lower_case(seeded: tuple[Database, SeedReport]) -> None:
    with db_read(seeded) as conn:
        points = conn.execute(select(t.contact_point.c.kind, t.contact_point.c.value)).all()
    phones = [v for k, v in points if k == "phone"]
    emails = [v for k, v in points if k == "email"]
    assert len(phones) > N
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
    assert emails
    assert all(e == e.lower() and "@" in e for e in emails)


def db_read(seeded: tuple[Database, SeedReport]) -> AbstractContextManager[Connection]:
    return seeded[0].read()


def test_every_status_and_channel_present(seeded: tuple[Database, SeedReport]) -> None:
    with db_read(seeded) as conn:
        statuses = set(conn.execute(select(t.support_case.c.status).distinct()).scalars())
        channels = set(conn.execute(select(t.interaction.c.channel).distinct()).scalars())
        numbers = list(conn.execute(select(t.support_case.c.number)).scalars())
        due = list(
            conn.execute(
                select(t.support_case.c.sla_due_at).where(
                    t.support_case.c.status.in_(("new", "open", "pending", "escalated"))
                )
            ).scalars()
        )
        owners = set(conn.execute(select(t.support_case.c.owner_id).distinct()).scalars())
        notes = conn.execute(select(func.count()).select_from(t.case_note)).scalar_one()
        partners = conn.execute(
            select(func.count()).where(
                t.interaction.c.channel == "partner", t.interaction.c.partner.is_(None)
            )
        ).scalar_one()
    assert statuses == set(CASE_STATUSES)
    assert channels == set(CHANNELS)
    assert len(numbers) == len(set(numbers))
    assert all(n.startswith("CS-") for n in numbers)
    moments = [datetime.fromisoformat(d) for d in due]
    assert any(m < NOW for m in moments)
    assert any(NOW < m < NOW.replace(hour=18) for m in moments)
    assert owners == {None, "u-1", "u-2"}
    assert notes > 0
    assert partners == 0


def test_planted_affinities_have_lift(seeded: tuple[Database, SeedReport]) -> None:
    with db_read(seeded) as conn:
        sku = dict(conn.execute(select(t.product.c.id, t.product.c.sku)).all())
        baskets: dict[str, set[str]] = {}
        for customer_id, product_id in conn.execute(select(t.holding.c.customer_id, t.holding.c.product_id)):
            baskets.setdefault(customer_id, set()).add(sku[product_id])
    total = N
    owners = Counter(s for basket in baskets.values() for s in basket)
    for antecedent, (consequent, _) in PLANTED.items():
        both = sum(1 for b in baskets.values() if antecedent in b and consequent in b)
        lift = (both / owners[antecedent]) / (owners[consequent] / total)
        assert lift > 2, (antecedent, consequent, lift)


def test_sensitive_category_present(seeded: tuple[Database, SeedReport]) -> None:
    with db_read(seeded) as conn:
        sensitive = conn.execute(
            select(t.product.c.id, t.product.c.category).where(t.product.c.sensitive.is_(True))
        ).all()
        held = conn.execute(
            select(func.count()).where(t.holding.c.product_id.in_([p for p, _ in sensitive]))
        ).scalar_one()
        offers = conn.execute(select(t.offer.c.category).where(t.offer.c.sensitive.is_(True))).scalars().all()
    assert sensitive
    assert {c for _, c in sensitive} == {SENSITIVE_CATEGORY}
    assert held > 0
    assert offers == [SENSITIVE_CATEGORY]


def test_search_terms_present(seeded: tuple[Database, SeedReport]) -> None:
    with db_read(seeded) as conn:
        customer = conn.execute(select(t.customer).limit(1)).one()
        terms = set(
            conn.execute(
                select(t.customer_term.c.term).where(t.customer_term.c.customer_id == customer.id)
            ).scalars()
        )
        covered = conn.execute(select(func.count(t.customer_term.c.customer_id.distinct()))).scalar_one()
    assert customer.account_number.lower() in terms
    assert covered == N


def test_refuses_a_seeded_database(seeded: tuple[Database, SeedReport]) -> None:
    with pytest.raises(SeedError):
        run_seed(seeded[0], customers=1, now=NOW)


def _schema(db: Database) -> set[tuple[str, str, str, str | None]]:
    with db.read() as conn:
        return {
            (kind, name, table, sql)
            for kind, name, table, sql in conn.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master"
            )
        }


def test_seed_leaves_the_schema_and_wal_mode_as_init_made_them(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'schema.db'}")
    initialize(db)
    before = _schema(db)
    assert any(kind == "index" and name == "ix_interaction_customer" for kind, name, _, _ in before)
    run_seed(db, customers=50, now=NOW, parallel=True)
    assert _schema(db) == before
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    other = Database(db.url)  # a new connection can read while the first is still open
    with other.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.customer)).scalar_one() == 50
    other.dispose()
    db.dispose()
