"""Duplicate detection for a new customer and the create itself, on a real cache file."""

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop.services.duplicates import (
    NewCustomer,
    NewCustomerError,
    _name_candidates,
    create_customer,
    find_duplicates,
    normalize_email,
    territories,
)
from desktop.services.store import Cache, apply_page, open_cache, search
from desktop.services.store.driver import raw
from desktop.services.store.outbox import entries_for
from desktop.services.store.schema import outbox
from wire.fast import ValidatedChange
from wire.phones import normalize_phone
from wire.records import validate_record

ADA = "00000000-0000-4000-8000-00000000000a"
HALE = "00000000-0000-4000-8000-00000000000b"
_seq = itertools.count(1)


def _change(entity: str, row_id: str, **fields: Any) -> ValidatedChange:
    return ValidatedChange(
        seq=next(_seq),
        entity=entity,
        id=row_id,
        op="upsert",
        version=1,
        record=validate_record(entity, fields),
        extra={},
    )


def _customer(row_id: str, name: str, organisation: str | None = None) -> ValidatedChange:
    return _change(
        "customer", row_id, display_name=name, organisation=organisation, territory_id="t-gb", country="GB"
    )


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    apply_page(
        opened.writer,
        "ref",
        [
            _change("territory", "t-gb", name="United Kingdom", country="GB"),
            _change("territory", "t-de", name="Germany", country="DE"),
        ],
        None,
        primed=True,
    )
    apply_page(
        opened.writer,
        "directory",
        [
            _customer(ADA, "Ada Lovelace", "Analytical Engines"),
            _customer(HALE, "Margaret Okonkwo-Hale", "Hale Gardens Ltd"),
            _change("contact_point", "p1", customer_id=ADA, kind="phone", value="+447400123456"),
            _change(
                "contact_point", "p2", customer_id=HALE, kind="email", value="margaret@halegardens.co.uk"
            ),
        ],
        None,
        primed=True,
    )
    yield opened
    opened.close()


@pytest.mark.parametrize(
    "typed",
    ["07400 123456", "+44 7400 123456", "0044 7400-123456", "tel:+447400123456", "07400.123.456"],
)
def test_a_phone_in_any_format_becomes_e164(typed: str) -> None:
    assert normalize_phone(typed, "GB") == "+447400123456"


def test_a_national_number_is_read_in_the_region_given() -> None:
    assert normalize_phone("030 1234567", "DE") == "+49301234567"
    assert normalize_phone("07400 123456", None) is None  # national, but no region to read it in
    assert normalize_phone("not a number", "GB") is None
    assert normalize_phone("123", "GB") is None
    assert normalize_phone("", "GB") is None


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Margaret@HaleGardens.co.UK ") == "margaret@halegardens.co.uk"
    assert normalize_email("no-at-sign") is None
    assert normalize_email("a@b") is None
    assert normalize_email("") is None


def test_territories_come_from_the_reference_data(cache: Cache) -> None:
    with cache.read() as conn:
        found = territories(conn)
    assert [(t.id, t.name, t.country) for t in found] == [
        ("t-de", "Germany", "DE"),
        ("t-gb", "United Kingdom", "GB"),
    ]


def test_the_same_phone_typed_nationally_is_a_duplicate(cache: Cache) -> None:
    with cache.read() as conn:
        matches = find_duplicates(conn, "Someone Else", phone=normalize_phone("07400 123456", "GB"))
    assert [(m.customer_id, m.reasons) for m in matches] == [(ADA, ("phone",))]
    assert matches[0].display_name == "Ada Lovelace"
    assert matches[0].organisation == "Analytical Engines"


def test_the_same_email_in_other_case_is_a_duplicate(cache: Cache) -> None:
    with cache.read() as conn:
        matches = find_duplicates(conn, "", email=normalize_email("MARGARET@halegardens.co.uk"))
    assert [(m.customer_id, m.reasons) for m in matches] == [(HALE, ("email",))]


@pytest.mark.parametrize(
    "typed",
    ["Margaret Okonkwo-Hale", "margret okonkwo hale", "Okonkwo-Hale, Margaret", "Margaret Okonkow-Hale"],
)
def test_similar_names_are_duplicates(cache: Cache, typed: str) -> None:
    with cache.read() as conn:
        matches = find_duplicates(conn, typed)
    assert [m.customer_id for m in matches] == [HALE]
    assert matches[0].reasons == ("name",)
    assert 85 <= matches[0].score <= 100


def test_different_people_are_not_duplicates(cache: Cache) -> None:
    with cache.read() as conn:
        assert find_duplicates(conn, "Grace Hopper") == []
        assert find_duplicates(conn, "Ada Byron") == []  # one word in common is not enough
        assert find_duplicates(conn, "") == []
        assert find_duplicates(conn, '"*) NEAR( AND') == []  # FTS syntax is only ever text


def test_phone_and_email_matches_come_before_similar_names(cache: Cache) -> None:
    with cache.read() as conn:
        matches = find_duplicates(conn, "Margaret Okonkwo Hale", phone="+447400123456")
    assert [(m.customer_id, m.reasons) for m in matches] == [(ADA, ("phone",)), (HALE, ("name",))]


def test_name_candidates_stay_bounded_on_a_big_cache(cache: Cache) -> None:
    many = [_customer(f"00000000-0000-4000-9000-{n:012d}", f"Margaret Smith{n}") for n in range(1500)]
    apply_page(cache.writer, "directory", many, None)
    with cache.read() as conn:
        candidates = _name_candidates(conn, "Margaret Smith")
        matches = find_duplicates(conn, "Margaret Okonkwo-Hale")
    assert 0 < len(candidates) <= 160
    assert [m.customer_id for m in matches] == [HALE]


def test_create_writes_the_customer_and_its_contact_points_in_the_outbox(cache: Cache) -> None:
    new_id = "00000000-0000-4000-8000-0000000000ff"
    changed = create_customer(
        cache.writer,
        new_id,
        NewCustomer(
            display_name="  Grace Hopper ",
            territory_id="t-gb",
            organisation="",
            phone="+447700900123",
            email="grace@navy.example",
            language="en",
            country="GB",
        ),
    )
    assert new_id in changed.ids("customer")
    assert len(changed.ids("contact_point")) == 2
    assert changed.outbox
    with cache.read() as conn:
        [created] = entries_for(conn, "customer", new_id)
        assert (created.op, created.new_values["display_name"]) == ("create", "Grace Hopper")
        assert created.new_values["organisation"] is None
        points = conn.execute(select(outbox).where(outbox.c.entity == "contact_point")).all()
        assert {p.depends_on for p in points} == {created.mutation_id}
        assert [h.customer_id for h in search(raw(conn), "grace hop")] == [new_id]
        again = find_duplicates(conn, "Someone", phone="+447700900123", email="grace@navy.example")
    assert [(m.customer_id, m.reasons) for m in again] == [(new_id, ("phone", "email"))]


def test_create_without_a_name_or_territory_writes_nothing(cache: Cache) -> None:
    for bad in (NewCustomer(display_name=" ", territory_id="t-gb"), NewCustomer("Grace", territory_id="")):
        with pytest.raises(NewCustomerError):
            create_customer(cache.writer, "00000000-0000-4000-8000-0000000000fe", bad)
    with cache.read() as conn:
        assert conn.execute(select(outbox)).all() == []
