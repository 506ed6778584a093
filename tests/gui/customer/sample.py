"""Sample customers for the customer-screen tests and the screenshot script, in a real cache file.

Rows arrive as a sync page would bring them (`apply_page` into the `directory` scope), so the search
index and scopes are kept as the store keeps them; `bulk_interactions` inserts many interactions in
one transaction straight into the mirror table (the store's page path would take minutes for 100,000
rows on this machine, and the timeline only reads the mirror).
"""

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from desktop.services.store import Cache, apply_page
from desktop.services.store.entities import SPECS
from wire.fast import ValidatedChange
from wire.records import validate_record

CUSTOMER = "00000000-0000-4000-8000-000000000001"
DNC_CUSTOMER = "00000000-0000-4000-8000-000000000002"
BIG_CUSTOMER = "00000000-0000-4000-8000-000000000003"
CASE_OPEN = "00000000-0000-4000-8000-0000000000c1"
CASE_NEAR = "00000000-0000-4000-8000-0000000000c2"
CASE_RESOLVED = "00000000-0000-4000-8000-0000000000c3"
#: the clock the tests stand at
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CHANNEL_ROWS = (
    ("phone", "inbound", "Asked about the router showing a red light.", "Ana Ruiz", None, "resolved"),
    ("email", "inbound", "Sent photos of the damaged parcel.", None, None, None),
    ("chat", "inbound", "Chat about upgrading the broadband plan.", "Ben Okafor", None, "quote sent"),
    ("web", "none", "Changed the delivery address in the web shop.", None, None, None),
    ("field_visit", "outbound", "Installed the new meter; customer satisfied.", "Cara Lind", None, "done"),
    (
        "partner",
        "inbound",
        "Referral from Northwind Retail about fibre.",
        None,
        "Northwind Retail",
        "forwarded",
    ),
    ("store", "inbound", "Bought a mesh extender in the Leeds store.", "Dev Patel", None, None),
    ("social", "inbound", "Complained on social media about an outage.", None, None, "answered"),
)

_seq = itertools.count(1)


def change(entity: str, row_id: str, **fields: Any) -> ValidatedChange:
    return ValidatedChange(
        seq=next(_seq),
        entity=entity,
        id=row_id,
        op="upsert",
        version=1,
        record=validate_record(entity, fields),
        extra={},
    )


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def seed(cache: Cache, *, primed: bool = True) -> None:
    """Three customers: a rich one, a do-not-contact one, and an empty `BIG_CUSTOMER`."""
    rows = [
        change(
            "customer",
            CUSTOMER,
            display_name="Margaret Okonkwo-Hale",
            given_name="Margaret",
            family_name="Okonkwo-Hale",
            organisation="Hale Gardens Ltd",
            segment="business",
            tier="gold",
            language="en",
            country="GB",
            region="West Yorkshire",
            postcode="LS1 4AP",
            territory_id="t1",
            account_number="AC-0042-7781",
            lifetime_value=18250.5,
            consent_marketing=True,
        ),
        change(
            "contact_point",
            "p1",
            customer_id=CUSTOMER,
            kind="phone",
            value="+442079460958",
            is_primary=True,
            verified=True,
            label="office",
        ),
        change(
            "contact_point", "p2", customer_id=CUSTOMER, kind="phone", value="+447700900123", label="mobile"
        ),
        change(
            "contact_point", "p3", customer_id=CUSTOMER, kind="email", value="margaret@halegardens.example"
        ),
        change("external_ref", "r1", customer_id=CUSTOMER, system="web_shop", key="WS-558812"),
        change("external_ref", "r2", customer_id=CUSTOMER, system="field_service", key="FS-00917"),
        change("external_ref", "r3", customer_id=CUSTOMER, system="partner:northwind", key="NW-44-2210"),
        change(
            "case",
            CASE_OPEN,
            number="CS-7Q2K91",
            customer_id=CUSTOMER,
            subject="Router keeps dropping the line",
            status="open",
            priority="normal",
            sla_due_at=iso(NOW + timedelta(hours=20)),
            opened_at=iso(NOW - timedelta(days=2)),
        ),
        change(
            "case",
            CASE_NEAR,
            number="CS-8R4M20",
            customer_id=CUSTOMER,
            subject="Refund for a damaged parcel",
            status="pending",
            priority="high",
            sla_due_at=iso(NOW + timedelta(minutes=90)),
            opened_at=iso(NOW - timedelta(days=1)),
        ),
        change(
            "case",
            CASE_RESOLVED,
            number="CS-1A0Z00",
            customer_id=CUSTOMER,
            subject="Old billing question",
            status="resolved",
            priority="low",
            opened_at=iso(NOW - timedelta(days=90)),
        ),
        change(
            "case_note",
            "n1",
            case_id=CASE_OPEN,
            body="Customer restarted the router twice; still drops.",
            author_name="Ana Ruiz",
            created_at=iso(NOW - timedelta(days=2)),
        ),
        change(
            "customer",
            DNC_CUSTOMER,
            display_name="Peter Quist",
            territory_id="t1",
            account_number="AC-0099-0001",
            do_not_contact=True,
            consent_contact=False,
            country="NL",
        ),
        change("contact_point", "p9", customer_id=DNC_CUSTOMER, kind="phone", value="+31201234567"),
        change(
            "customer",
            BIG_CUSTOMER,
            display_name="Busy Bee Wholesale",
            territory_id="t1",
            account_number="AC-0100-0000",
        ),
    ]
    for n, (channel, direction, summary, agent, partner, outcome) in enumerate(CHANNEL_ROWS):
        rows.append(
            change(
                "interaction",
                f"i{n}",
                customer_id=CUSTOMER,
                channel=channel,
                direction=direction,
                occurred_at=iso(NOW - timedelta(hours=7 * n + 1)),
                summary=summary,
                agent_name=agent,
                partner=partner,
                outcome=outcome,
            )
        )
    apply_page(cache.writer, "directory", rows, "cursor-1", primed=primed, epoch="e1")


def bulk_interactions(cache: Cache, customer_id: str, count: int) -> None:
    """`count` interactions of the customer, one every 7 minutes back from NOW, all channels."""
    names = SPECS["interaction"].field_names
    columns = ", ".join(["id", "version", *names, "extra"])
    marks = ", ".join("?" for _ in range(len(names) + 3))
    channels = [c[0] for c in CHANNEL_ROWS]

    def row(n: int) -> tuple[Any, ...]:
        values = {
            "customer_id": customer_id,
            "channel": channels[n % len(channels)],
            "direction": "inbound",
            "occurred_at": iso(NOW - timedelta(minutes=7 * n)),
            "summary": f"Contact number {n}",
            "agent_name": "Ana Ruiz",
        }
        return (f"{customer_id[:8]}-{n:07d}", 1, *(values.get(k) for k in names), json.dumps({}))

    with cache.writer.transaction() as conn:
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            f"INSERT INTO interaction ({columns}) VALUES ({marks})", (row(n) for n in range(count))
        )
