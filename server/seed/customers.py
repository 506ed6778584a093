"""Customers with their contact points, external references and search terms."""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from server.search_terms import MAX_TERM, MIN_WORD, customer_terms, fold
from server.seed.bulk import BulkWriter
from server.seed.factory import Factory
from server.seed.ids import DAY, Clock
from server.seed.names import FAMILY, GIVEN, MAIL_DOMAINS, ORG_SUFFIX, ORG_TRADE
from server.seed.phone_numbers import PhoneBook
from server.seed.places import COUNTRIES, Country, Region, postcode
from server.seed.reference import Reference
from server.seed.weighted import Weighted

SYNC: Final = ("id", "version", "last_modified_seq", "deleted_at", "updated_at")
CUSTOMER_COLUMNS: Final = (
    *SYNC,
    "kind",
    "display_name",
    "given_name",
    "family_name",
    "organisation",
    "segment",
    "tier",
    "language",
    "country",
    "region",
    "postcode",
    "territory_id",
    "account_number",
    "lifetime_value",
    "consent_marketing",
    "consent_contact",
    "do_not_contact",
    "created_at",
)
CONTACT_POINT_COLUMNS: Final = (*SYNC, "customer_id", "kind", "value", "label", "verified", "is_primary")
EXTERNAL_REF_COLUMNS: Final = (*SYNC, "customer_id", "system", "key", "display_name")
TERM_COLUMNS: Final = ("term", "customer_id", "territory_id")

#: (system, key prefix, share of customers known there)
SYSTEMS: Final = (
    ("web_shop", "WS", 0.45),
    ("field_service", "FS", 0.2),
    ("partner:northwind", "NW", 0.1),
    ("partner:contoso", "CT", 0.08),
    ("product:energy", "EN", 0.12),
)
_CONSUMER_TIERS: Final = Weighted([("standard", 70), ("silver", 18), ("gold", 9), ("platinum", 3)])
_BUSINESS_TIERS: Final = Weighted([("standard", 40), ("silver", 30), ("gold", 20), ("platinum", 10)])
_NOT_ALNUM: Final = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def ascii_slug(text: str, sep: str = "") -> str:
    return _NOT_ALNUM.sub(sep, fold(text)).strip(sep)


@lru_cache(maxsize=65_536)
def _name_terms(display: str, organisation: str | None) -> frozenset[str]:
    """The search terms of a name (names repeat a lot: computed once per name)."""
    return frozenset(customer_terms(display, organisation, None, (), ()))


def _terms(
    display: str, organisation: str | None, account: str, emails: list[str], phones: list[str], code_len: int
) -> set[str]:
    """`customer_terms(display, organisation, account, emails, phones)` for seeded values, faster.

    Seeded accounts and emails are ASCII (folding is lower-casing) and seeded phones are E.164
    strings whose calling code has `code_len` digits.
    """
    terms = set(_name_terms(display, organisation))
    terms.add(account.lower() if account.isascii() else fold(account))
    for email in emails:
        address = email.lower() if email.isascii() else fold(email.strip())
        terms.add(address[:MAX_TERM])
        local = address.partition("@")[0]
        if len(local) >= MIN_WORD:
            terms.add(local[:MAX_TERM])
    for phone in phones:
        terms.add(phone[1:])
        terms.add(phone[1 + code_len :])
    return terms


@dataclass(slots=True)
class Facts:
    """What the history generators need to know about a customer just written."""

    id: str
    country: Country
    region: Region
    territory_id: str
    segment: str
    created: float
    marketing: bool
    mobile: str | None


class CustomerFactory(Factory):
    """Writes one customer and its children per call; every value drawn from one generator."""

    def __init__(
        self,
        rng: random.Random,
        new_id: Callable[[], str],
        clock: Clock,
        ref: Reference,
        seq: int,
        writer: BulkWriter,
    ) -> None:
        super().__init__(rng, new_id, clock, ref, seq, writer)
        self.phones = PhoneBook(rng)
        self.countries: Weighted[Country] = Weighted([(c, c.weight) for c in COUNTRIES])
        self.languages = {c.code: Weighted(list(c.languages)) for c in COUNTRIES}
        self.account_base = rng.randrange(10_000_000, 40_000_000)
        writer.register("customer", CUSTOMER_COLUMNS)
        writer.register("contact_point", CONTACT_POINT_COLUMNS)
        writer.register("external_ref", EXTERNAL_REF_COLUMNS)
        writer.register("customer_term", TERM_COLUMNS)
        self.customers = writer.rows("customer")
        self.contact_points = writer.rows("contact_point")
        self.external_refs = writer.rows("external_ref")
        self.terms = writer.rows("customer_term")
        #: digits of each country's calling code
        self.code_len = {c.code: len(self.phones.calling_code(c.code)) for c in COUNTRIES}

    def make(self, index: int) -> Facts:
        rng = self.rng
        rand = rng.random
        country = self.countries.pick(rand())
        code = country.code
        region = country.regions[int(rand() * len(country.regions))]
        territory = self.ref.territory_by_country[code]
        cid = self.new_id()
        is_org = rand() < 0.12
        given_pool, family_pool = GIVEN[code], FAMILY[code]
        given = given_pool[int(rand() * len(given_pool))]
        family = family_pool[int(rand() * len(family_pool))]
        if is_org:
            trade = ORG_TRADE[code][int(rand() * len(ORG_TRADE[code]))]
            suffix = ORG_SUFFIX[code][int(rand() * len(ORG_SUFFIX[code]))]
            display = f"{family} {trade} {suffix}"
            organisation: str | None = display
            segment = "enterprise" if rand() < 0.2 else "small_business"
            tier = _BUSINESS_TIERS.pick(rand())
            value = rng.lognormvariate(8.2, 1.1)
        else:
            organisation = None
            display = f"{given} {family}"
            segment = "small_business" if rand() < 0.05 else "consumer"
            tier = _CONSUMER_TIERS.pick(rand())
            value = rng.lognormvariate(6.4, 0.9)
        dnc = rand() < 0.03
        marketing = not dnc and rand() < 0.876
        created = self.clock.now - (90 + rand() * 2800) * DAY
        created_s = self.clock.fmt(created)
        account = f"{code}{self.account_base + index * 7:08d}"
        seq = self.seq
        self.customers.append(
            (
                cid,
                1,
                seq,
                None,
                created_s,
                "organisation" if is_org else "person",
                display,
                None if is_org else given,
                None if is_org else family,
                organisation,
                segment,
                tier,
                self.languages[code].pick(rand()),
                code,
                region.name,
                postcode(rng, code, region),
                territory,
                account,
                round(value, 2),
                marketing,
                not dnc,
                dnc,
                created_s,
            )
        )
        phones, emails, mobile = self._contact_points(
            cid, code, region, given, family, organisation, created_s
        )
        self._external_refs(cid, given, family, organisation, mobile, created_s)
        append = self.terms.append
        for term in _terms(display, organisation, account, emails, phones, self.code_len[code]):
            append((term, cid, territory))
        return Facts(cid, country, region, territory, segment, created, marketing, mobile)

    def _contact_points(
        self,
        cid: str,
        code: str,
        region: Region,
        given: str,
        family: str,
        organisation: str | None,
        stamp: str,
    ) -> tuple[list[str], list[str], str | None]:
        rand = self.rng.random
        rows = self.contact_points
        seq = self.seq
        phones: list[str] = []
        mobile: str | None = None
        if rand() < (0.4 if organisation else 0.9):
            mobile = self.phones.mobile(code, region.area_code)
            phones.append(mobile)
            rows.append(
                (self.new_id(), 1, seq, None, stamp, cid, "phone", mobile, "mobile", rand() < 0.75, True)
            )
        if organisation or not phones or rand() < 0.35:
            landline = self.phones.landline(code, region.area_code)
            label = "office" if organisation else ("work" if rand() < 0.3 else "home")
            rows.append(
                (self.new_id(), 1, seq, None, stamp, cid, "phone", landline, label, rand() < 0.6, not phones)
            )
            phones.append(landline)
        emails: list[str] = []
        domains = MAIL_DOMAINS[code]
        if organisation:
            slug = ascii_slug(organisation, "-")
            emails.append(f"{'info' if rand() < 0.6 else 'accounts'}@{slug}.example")
            if rand() < 0.5:
                emails.append(f"{ascii_slug(given)}.{ascii_slug(family)}@{slug}.example")
        elif rand() < 0.93:
            g, f = ascii_slug(given), ascii_slug(family)
            style = int(rand() * 4)
            local = (f"{g}.{f}", f"{g}{f}", f"{g[0]}{f}", f"{f}.{g}")[style]
            if rand() < 0.45:
                local += str(int(rand() * 99) + 1)
            emails.append(f"{local}@{domains[int(rand() * len(domains))]}")
            if rand() < 0.15:
                employer = FAMILY[code][int(rand() * len(FAMILY[code]))]
                emails.append(f"{g}.{f}@work-{ascii_slug(employer, '-')}.example")
        for n, email in enumerate(emails):
            rows.append(
                (
                    self.new_id(),
                    1,
                    seq,
                    None,
                    stamp,
                    cid,
                    "email",
                    email,
                    "work" if n else "personal",
                    rand() < 0.8,
                    n == 0,
                )
            )
        if rand() < 0.05:
            handle = f"@{ascii_slug(given)}{ascii_slug(family)}{int(rand() * 900) + 100}"
            rows.append((self.new_id(), 1, seq, None, stamp, cid, "handle", handle, "social", False, False))
        return phones, emails, mobile

    def _variant(self, given: str, family: str, organisation: str | None) -> str:
        """How another system spells the same customer."""
        rand = self.rng.random
        u = rand()
        if organisation:
            if u < 0.6:
                return organisation
            if u < 0.8:
                return organisation.upper()
            return organisation.rsplit(" ", 1)[0]
        if u < 0.5:
            return f"{given} {family}"
        if u < 0.65:
            return f"{family}, {given}"
        if u < 0.8:
            return f"{given[0]}. {family}"
        if u < 0.85:
            return f"{given} {family}".upper()
        if u < 0.95:
            return f"{ascii_slug(given).title()} {ascii_slug(family, ' ').title()}"
        cut = 1 + int(rand() * (len(family) - 1)) if len(family) > 2 else 1
        return f"{given} {family[:cut]}{family[cut + 1 :]}"  # a dropped letter

    def _external_refs(
        self, cid: str, given: str, family: str, organisation: str | None, mobile: str | None, stamp: str
    ) -> None:
        rand = self.rng.random
        rows = self.external_refs
        seq = self.seq
        for system, prefix, share in SYSTEMS:
            if rand() < share:
                key = f"{prefix}-{int(rand() * 10_000_000):07d}"
                rows.append(
                    (
                        self.new_id(),
                        1,
                        seq,
                        None,
                        stamp,
                        cid,
                        system,
                        key,
                        self._variant(given, family, organisation),
                    )
                )
        if mobile is not None and rand() < 0.4:
            rows.append(
                (
                    self.new_id(),
                    1,
                    seq,
                    None,
                    stamp,
                    cid,
                    "product:mobile",
                    mobile,
                    self._variant(given, family, organisation),
                )
            )
