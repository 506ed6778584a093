"""Screen pop resolution on a real cache: normalisation, the cache first, the server only when the
cache holds nobody, ranking by open cases then recency, unknown callers, lookup failures."""

from collections.abc import Callable

import pytest

from desktop.services.api_errors import TransportError
from desktop.services.screen_pop import PopCandidate, needs_region, normalise, rank, resolve
from desktop.services.store import Cache, apply_page
from tests.unit.store.conftest import ChangeFactory
from wire.lookups import CustomerSummary, LookupResponse

ADA = "+447400123456"


class Lookups:
    """A stand-in for `ApiClient.lookup_phone` that records what it was asked."""

    def __init__(self, answer: LookupResponse | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, phone: str) -> LookupResponse:
        self.asked.append(phone)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _never(_phone: str) -> LookupResponse:
    raise AssertionError("the server must not be asked when the cache knows the number")


def _world(cache: Cache, change: ChangeFactory) -> None:
    """c1: no open case, talked to yesterday; c2: one open case (and a closed one), talked to a
    month ago; c3: one open case, talked to an hour ago (in another time zone); all share ADA.
    c4 has another number."""
    apply_page(
        cache.writer,
        "directory",
        [
            change("customer", "c1", display_name="Ada One"),
            change("customer", "c2", display_name="Ada Two"),
            change("customer", "c3", display_name="Ada Three"),
            change("customer", "c4", display_name="Bob"),
            change("contact_point", "p1", customer_id="c1"),
            change("contact_point", "p2", customer_id="c2"),
            change("contact_point", "p3", customer_id="c3"),
            change("contact_point", "p4", customer_id="c4", value="+447400999888"),
            change("case", "k1", customer_id="c2", status="open"),
            change("case", "k2", customer_id="c2", status="closed", number="CS-2"),
            change("case", "k3", customer_id="c3", status="escalated", number="CS-3"),
            change("case", "k4", customer_id="c1", status="resolved", number="CS-4"),
            change("interaction", "i1", customer_id="c1", occurred_at="2026-11-21T10:00:00+00:00"),
            change("interaction", "i2", customer_id="c2", occurred_at="2026-10-20T10:00:00+00:00"),
            # 09:30 UTC: later than c2's, earlier than its text sorts against a +00:00 time
            change("interaction", "i3", customer_id="c3", occurred_at="2026-11-22T10:30:00+01:00"),
            change("interaction", "i4", customer_id="c3", occurred_at="2026-01-01T00:00:00+00:00"),
        ],
        "a",
    )


def test_one_cached_customer_pops_from_the_cache_without_asking_the_server(
    cache: Cache, change: ChangeFactory
) -> None:
    _world(cache, change)
    result = resolve(cache, "07400 999888", region="GB", lookup=_never)
    assert (result.kind, result.source, result.e164) == ("single", "cache", "+447400999888")
    assert result.candidates[0].customer_id == "c4"
    assert not result.needs_server


def test_several_matches_are_ranked_by_open_cases_then_recency(cache: Cache, change: ChangeFactory) -> None:
    _world(cache, change)
    result = resolve(cache, "+44 (0)7400-123456", lookup=_never)
    assert result.kind == "choose"
    assert [c.customer_id for c in result.candidates] == ["c3", "c2", "c1"]
    by_id = {c.customer_id: c for c in result.candidates}
    assert (by_id["c2"].open_cases, by_id["c3"].open_cases, by_id["c1"].open_cases) == (1, 1, 0)
    assert by_id["c3"].last_interaction_at == "2026-11-22T10:30:00+01:00"


def test_the_phone_systems_e164_is_trusted_before_the_raw_number(cache: Cache, change: ChangeFactory) -> None:
    _world(cache, change)
    result = resolve(cache, "0 7400 999888", e164="+447400999888", lookup=_never)
    assert result.candidates[0].customer_id == "c4"


def test_nothing_cached_and_no_lookup_says_the_server_should_be_asked(
    cache: Cache, change: ChangeFactory
) -> None:
    _world(cache, change)
    result = resolve(cache, "+447911123456")
    assert (result.kind, result.needs_server, result.server_checked) == ("unknown", True, False)


def test_nothing_cached_asks_the_server_once_and_ranks_its_answer(
    cache: Cache, change: ChangeFactory
) -> None:
    _world(cache, change)
    answer = LookupResponse(
        matches=[
            CustomerSummary(id="s1", version=1, display_name="Old", territory_id="t9", open_cases=0),
            CustomerSummary(
                id="s2",
                version=1,
                display_name="Busy",
                territory_id="t9",
                open_cases=2,
                last_interaction_at=None,
            ),
        ],
        normalized="+447911123456",
    )
    lookup = Lookups(answer)
    result = resolve(cache, "07911 123456", region="GB", lookup=lookup)
    assert lookup.asked == ["+447911123456"]
    assert (result.kind, result.source, result.server_checked) == ("choose", "server", True)
    assert [c.customer_id for c in result.candidates] == ["s2", "s1"]


def test_an_unknown_number_is_unknown_after_the_server_found_nobody(
    cache: Cache, change: ChangeFactory
) -> None:
    _world(cache, change)
    result = resolve(cache, "+447911123456", lookup=Lookups(LookupResponse(matches=[])))
    assert (result.kind, result.source, result.needs_server, result.lookup_error) == (
        "unknown",
        "none",
        False,
        None,
    )


def test_a_failed_lookup_is_unknown_with_the_reason(cache: Cache, change: ChangeFactory) -> None:
    _world(cache, change)
    result = resolve(cache, "+447911123456", lookup=Lookups(TransportError("the server cannot be reached")))
    assert result.kind == "unknown"
    assert result.lookup_error == "the server cannot be reached"
    assert not result.needs_server


@pytest.mark.parametrize("phone", ["", "withheld", "12", "+44 12"])
def test_an_invalid_number_is_unknown_and_never_looked_up(cache: Cache, phone: str) -> None:
    result = resolve(cache, phone, region="GB", lookup=_never)
    assert (result.kind, result.e164, result.needs_server) == ("unknown", None, False)


def test_rank_breaks_ties_by_name_and_puts_customers_without_contacts_last() -> None:
    make: Callable[..., PopCandidate] = lambda i, n, last=None: PopCandidate(i, n, None, "", 0, last)  # noqa: E731
    ranked = rank([make("b", "Zed"), make("a", "Amy"), make("c", "Cy", "2026-01-01T00:00:00Z")])
    assert [c.customer_id for c in ranked] == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("phone", "e164", "needed"),
    [
        ("020 7946 0958", None, True),  # national: read in a region
        ("020 7946 0958", "+442079460958", False),  # the phone system's valid form is used
        ("020 7946 0958", "not a number", True),  # an invalid form falls back to the national one
        (" +44 20 7946 0958", None, False),
        ("+1 206 201 8178", "garbage", False),
    ],
)
def test_a_region_is_needed_only_where_normalise_reads_one(
    phone: str, e164: str | None, needed: bool
) -> None:
    assert needs_region(phone, e164=e164) is needed
    if not needed:  # the region then changes nothing
        assert normalise(phone, e164=e164, region="GB") == normalise(phone, e164=e164, region="US")
        assert normalise(phone, e164=e164, region=None) is not None
    else:
        assert normalise(phone, e164=e164, region="GB") == "+442079460958"
        assert normalise(phone, e164=e164, region="US") != "+442079460958"
