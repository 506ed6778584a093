"""Lookups over real HTTP on both backends: phone/email screen pop, search, one customer.

Seeded here: the demo territory ("north", the field rep's) and a second one ("south"). Ann (north)
and Bob (south) share a switchboard number; Bob has more open cases, so he ranks first. A deleted
customer shares it too and never shows.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.db import tables as t
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from server.sync.terms import refresh_terms
from tests.api.sync_helpers import login
from tests.support.demo import DemoServer

SWITCHBOARD = "+442079460018"


def _uid() -> str:
    return str(uuid.uuid4())


@dataclass
class Seeded:
    server: DemoServer
    db: Database
    north: str
    south: str
    customer: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, username: str) -> httpx.Client:
        http = login(self.server.url, username)
        self.clients.append(http)
        return http

    def audit_rows(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "read"))
            return [dict(r._mapping) for r in rows]

    def grants(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(select(t.scope_grant))]


def _seed(w: ChangeWriter, s: Seeded) -> None:
    def customer(key: str, name: str, territory: str, account: str, **extra: Any) -> str:
        cid = _uid()
        s.customer[key] = cid
        w.insert(
            "customer",
            {"id": cid, "display_name": name, "territory_id": territory, "account_number": account, **extra},
        )
        return cid

    def point(cid: str, kind: str, value: str, **extra: Any) -> str:
        pid = _uid()
        w.insert("contact_point", {"id": pid, "customer_id": cid, "kind": kind, "value": value, **extra})
        return pid

    ann = customer("ann", "Ann Smith", s.north, "AC1001", given_name="Ann", family_name="Smith")
    point(ann, "phone", SWITCHBOARD, is_primary=True)
    point(ann, "email", "ann.smith@example.com")
    w.delete("contact_point", point(ann, "phone", "+447400123456"))
    w.insert("external_ref", {"id": _uid(), "customer_id": ann, "system": "webshop", "key": "WS-77"})
    w.insert(
        "holding",
        {
            "id": _uid(),
            "customer_id": ann,
            "product_id": _uid(),
            "price_paid": 9.5,
            "since": "2025-03-01T00:00:00+00:00",
        },
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(55):
        w.insert(
            "interaction",
            {
                "id": _uid(),
                "customer_id": ann,
                "channel": "phone",
                "occurred_at": (start + timedelta(hours=i)).isoformat(),
                "summary": f"call {i}",
            },
        )
    w.insert(
        "case",
        {"id": _uid(), "number": "CS-A1", "customer_id": ann, "subject": "open one", "status": "pending"},
    )
    w.insert(
        "case", {"id": _uid(), "number": "CS-A2", "customer_id": ann, "subject": "done", "status": "resolved"}
    )

    bob = customer("bob", "Bob Jones", s.south, "AC2002")
    point(bob, "phone", SWITCHBOARD)
    point(bob, "email", "bob@example.org")
    for number, status in (("CS-B1", "open"), ("CS-B2", "escalated"), ("CS-B3", "closed")):
        w.insert(
            "case",
            {"id": _uid(), "number": number, "customer_id": bob, "subject": "billing", "status": status},
        )

    anna = customer("anna", "Anna Müller", s.south, "AC3003")
    point(anna, "phone", "+441614960000")
    point(anna, "email", "anna@example.org")

    gone = customer("gone", "Ann Gone", s.north, "AC4004")
    point(gone, "phone", SWITCHBOARD)
    w.delete("customer", gone)


@pytest.fixture
def seeded(server_url: DemoServer) -> Iterator[Seeded]:
    db = Database(server_url.db_url)
    s = Seeded(server=server_url, db=db, north=server_url.territory_ids[0], south=_uid())
    with db.write() as conn:
        w = ChangeWriter(conn)
        w.insert("territory", {"id": s.south, "name": "South", "country": "GB"})
        _seed(w, s)
        for cid in s.customer.values():
            refresh_terms(conn, cid)
        w.notify()
    yield s
    for http in s.clients:
        http.close()
    db.dispose()


def _names(matches: list[dict[str, Any]]) -> list[str]:
    return [m["display_name"] for m in matches]


def _error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


# ---- lookup -------------------------------------------------------------------------------------


PHONE_FORMS = [
    "020 7946 0018",
    "+44 20 7946 0018",
    "0044 20 7946 0018",
    "020-7946-0018",
    "(020) 7946-0018",
    "+44 (0)20 7946 0018",
    "02079460018",
    "tel:+44-20-7946-0018",
]


def test_lookup_by_phone_in_any_format(seeded: Seeded) -> None:
    http = seeded.client("agent")
    for typed in PHONE_FORMS:
        resp = http.get("/api/v1/customers/lookup", params={"phone": typed})
        assert resp.status_code == 200, (typed, resp.text)
        assert resp.json()["normalized"] == SWITCHBOARD, typed
        assert _names(resp.json()["matches"]) == ["Bob Jones", "Ann Smith"], typed
    body = resp.json()
    assert body["normalized"] == SWITCHBOARD
    # open cases rank first; the deleted customer never shows
    assert _names(body["matches"]) == ["Bob Jones", "Ann Smith"]
    bob, ann = body["matches"]
    assert bob["open_cases"] == 2
    assert bob["last_interaction_at"] is None
    assert bob["emails"] == ["bob@example.org"]
    assert ann["open_cases"] == 1
    assert ann["phones"] == [SWITCHBOARD]  # the deleted contact point is not listed
    assert ann["emails"] == ["ann.smith@example.com"]
    assert ann["account_number"] == "AC1001"
    assert ann["territory_id"] == seeded.north
    assert datetime.fromisoformat(ann["last_interaction_at"]) == datetime(2026, 1, 3, 6, tzinfo=UTC)


def test_lookup_email_unknown_and_bad_input(seeded: Seeded) -> None:
    http = seeded.client("agent")
    resp = http.get("/api/v1/customers/lookup", params={"email": "  Ann.Smith@EXAMPLE.com "})
    assert resp.status_code == 200, resp.text
    assert resp.json()["normalized"] == "ann.smith@example.com"
    assert _names(resp.json()["matches"]) == ["Ann Smith"]

    for params in ({"phone": "+44 20 7946 0999"}, {"email": "nobody@example.com"}, {"phone": "07400 123456"}):
        resp = http.get("/api/v1/customers/lookup", params=params)
        assert resp.status_code == 200, resp.text
        assert resp.json()["matches"] == [], params  # unknown, or only on a deleted contact point

    body = _error(http.get("/api/v1/customers/lookup", params={"phone": "12"}), 400, "bad_request")
    assert "phone" in body["error"]["message"]
    _error(http.get("/api/v1/customers/lookup", params={"phone": "call me maybe"}), 400, "bad_request")
    _error(http.get("/api/v1/customers/lookup", params={"email": "not-an-email"}), 400, "bad_request")
    _error(http.get("/api/v1/customers/lookup"), 400, "bad_request")
    _error(
        http.get("/api/v1/customers/lookup", params={"phone": SWITCHBOARD, "email": "bob@example.org"}),
        400,
        "bad_request",
    )
    _error(http.get("/api/v1/customers/lookup", params={"phone": "1" * 10_000}), 422, "validation_failed")
    _error(
        httpx.get(seeded.server.url + "/api/v1/customers/lookup", params={"phone": SWITCHBOARD}),
        401,
        "not_authenticated",
    )


# ---- search -------------------------------------------------------------------------------------


def _search(http: httpx.Client, q: str, **params: Any) -> httpx.Response:
    return http.get("/api/v1/customers/search", params={"q": q, **params})


def _found(http: httpx.Client, q: str, **params: Any) -> list[str]:
    resp = _search(http, q, **params)
    assert resp.status_code == 200, resp.text
    return _names(resp.json()["results"])


def test_search_by_prefixes(seeded: Seeded) -> None:
    http = seeded.client("agent")
    assert _found(http, "smi") == ["Ann Smith"]
    assert _found(http, "Ann") == ["Ann Smith", "Anna Müller"]  # the deleted "Ann Gone" never shows
    assert _found(http, "ann smi") == ["Ann Smith"]  # every term must match (AND)
    assert _found(http, "smi jon") == []
    assert _found(http, "MUL") == ["Anna Müller"]  # accent-folded
    assert _found(http, "ac100") == ["Ann Smith"]  # account number
    assert _found(http, "AC2002") == ["Bob Jones"]
    assert _found(http, "ann.smith@exa") == ["Ann Smith"]  # email
    assert _found(http, "bob@example.org") == ["Bob Jones"]
    assert _found(http, "0161 496") == ["Anna Müller"]  # phone, national form
    assert _found(http, "ann", limit=1) == ["Ann Smith"]
    result = _search(http, "bob").json()["results"][0]
    assert result["open_cases"] == 2
    assert result["phones"] == [SWITCHBOARD]


HOSTILE = [
    "%",
    "_",
    "%%",
    "%_%",
    "\\",
    "' OR 1=1 --",
    "'; DROP TABLE customer; --",
    "Ünïcødé 😀 名前",
    "\uffff",
    "\U0010ffff",
    "\u202e",
    "🤷",
    "a" * 200,
    "@",
    "%@%",
    "*",
    "[a-z]",
    "$$",
]


def test_search_hostile_strings_are_safe(seeded: Seeded) -> None:
    http = seeded.client("agent")
    for q in HOSTILE:
        resp = _search(http, q)
        assert resp.status_code == 200, (q, resp.text)
        # a wildcard or an injection is a literal (or punctuation): it matches nothing here
        assert resp.json()["results"] == [], q
    # NUL is refused before any handler (PostgreSQL cannot store it): a JSON 422, never a 500
    resp = _search(http, "a\x00b")
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_failed"
    # punctuation separates words; a LIKE wildcard never widens the match
    for q, same_as in [
        ("a%", "a"),
        ("an_", "an"),
        ("b%b", "b b"),
        ("s_ith", "s ith"),
        ("ann' --", "ann"),
        ("ann' OR '1'='1", "ann or 1 1"),
    ]:
        assert _found(http, q) == _found(http, same_as), q
    assert _found(http, "s_ith") == []
    with seeded.db.read() as conn:  # and nothing was dropped
        assert conn.execute(select(t.customer.c.id)).all()


def test_search_bad_parameters(seeded: Seeded) -> None:
    http = seeded.client("agent")
    _error(_search(http, "a" * 10_000), 422, "validation_failed")
    _error(_search(http, "a" * 201), 422, "validation_failed")
    _error(_search(http, ""), 422, "validation_failed")
    _error(http.get("/api/v1/customers/search"), 422, "validation_failed")
    for limit in ("0", "51", "x", "-1"):
        _error(_search(http, "ann", limit=limit), 422, "validation_failed")
    assert _search(http, "ann", limit=50).status_code == 200
    # search lists customers; it does not open them, so nothing is audited
    assert seeded.audit_rows() == []


# ---- one customer -------------------------------------------------------------------------------


def test_detail_and_scope_grant(seeded: Seeded) -> None:
    http = seeded.client("agent")
    client_id = _uid()
    ann = seeded.customer["ann"]
    before = datetime.now(UTC)
    resp = http.get(f"/api/v1/customers/{ann}", headers={"X-Client-Id": client_id})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"] == ann
    assert body["version"] == 1
    assert body["fields"]["display_name"] == "Ann Smith"
    assert body["fields"]["territory_id"] == seeded.north
    assert body["fields"]["given_name"] == "Ann"
    assert set(body["fields"]) >= {"kind", "segment", "tier", "consent_contact", "do_not_contact"}
    assert {(p["kind"], p["value"]) for p in body["contact_points"]} == {
        ("phone", SWITCHBOARD),
        ("email", "ann.smith@example.com"),
    }
    assert [(r["system"], r["key"]) for r in body["external_refs"]] == [("webshop", "WS-77")]
    recent = body["recent_interactions"]
    assert len(recent) == 50
    assert recent[0]["summary"] == "call 54"
    assert recent[-1]["summary"] == "call 5"
    assert [c["number"] for c in body["open_cases"]] == ["CS-A1"]
    assert [h["price_paid"] for h in body["holdings"]] == [9.5]
    assert body["scope"] == f"customer:{ann}"
    expires = datetime.fromisoformat(body["scope_expires_at"])
    assert (
        before + timedelta(hours=23, minutes=59)
        < expires
        < datetime.now(UTC) + timedelta(hours=24, minutes=1)
    )

    grants = seeded.grants()
    assert [(g["client_id"], g["scope"], g["user_id"]) for g in grants] == [
        (client_id, f"customer:{ann}", seeded.server.agent_id)
    ]
    # opening it again refreshes the one grant
    again = http.get(f"/api/v1/customers/{ann}", headers={"X-Client-Id": client_id}).json()
    assert len(seeded.grants()) == 1
    assert datetime.fromisoformat(again["scope_expires_at"]) >= expires
    assert seeded.grants()[0]["expires_at"] == again["scope_expires_at"]

    # without a client id: the customer, but no scope opened
    plain = http.get(f"/api/v1/customers/{seeded.customer['bob']}")
    assert plain.status_code == 200, plain.text
    assert plain.json()["scope"] == ""
    assert len(seeded.grants()) == 1


def test_detail_not_found(seeded: Seeded) -> None:
    http = seeded.client("admin")
    for cid in (_uid(), seeded.customer["gone"], "not-a-uuid", "%00", "x" * 65):
        resp = http.get(f"/api/v1/customers/{cid}", headers={"X-Client-Id": _uid()})
        assert resp.status_code in (404, 422), resp.text
        assert resp.json()["error"]["code"] in ("not_found", "validation_failed")
    _error(http.get(f"/api/v1/customers/{seeded.customer['gone']}"), 404, "not_found")
    assert seeded.grants() == []
    _error(
        httpx.get(f"{seeded.server.url}/api/v1/customers/{seeded.customer['ann']}"), 401, "not_authenticated"
    )


# ---- who sees what, and the audit trail ---------------------------------------------------------


def test_field_rep_sees_only_own_territory(seeded: Seeded) -> None:
    rep = seeded.client("fieldrep")
    resp = rep.get("/api/v1/customers/lookup", params={"phone": "020 7946 0018"})
    assert _names(resp.json()["matches"]) == ["Ann Smith"]
    resp = rep.get("/api/v1/customers/lookup", params={"email": "bob@example.org"})
    assert resp.status_code == 200
    assert resp.json()["matches"] == []
    assert _found(rep, "ann") == ["Ann Smith"]
    assert _found(rep, "bob") == []
    assert _found(rep, "mul") == []
    assert _found(rep, "0161 496") == []
    assert rep.get(f"/api/v1/customers/{seeded.customer['ann']}").status_code == 200
    for key in ("bob", "anna"):
        body = _error(
            rep.get(f"/api/v1/customers/{seeded.customer[key]}", headers={"X-Client-Id": _uid()}),
            404,
            "not_found",
        )
        assert body["error"]["message"] == "no such customer"  # the same as for an unknown id
    assert seeded.grants() == []

    for username in ("agent", "supervisor", "admin"):
        http = seeded.client(username)
        resp = http.get("/api/v1/customers/lookup", params={"phone": "020 7946 0018"})
        assert _names(resp.json()["matches"]) == ["Bob Jones", "Ann Smith"], username
        assert _found(http, "bob") == ["Bob Jones"], username
        assert http.get(f"/api/v1/customers/{seeded.customer['bob']}").status_code == 200, username


def test_lookup_and_detail_are_audited(seeded: Seeded) -> None:
    http = seeded.client("agent")
    client_id = _uid()
    http.headers["X-Client-Id"] = client_id
    assert _names(http.get("/api/v1/customers/lookup", params={"phone": SWITCHBOARD}).json()["matches"]) == [
        "Bob Jones",
        "Ann Smith",
    ]
    http.get("/api/v1/customers/lookup", params={"phone": "+44 20 7946 0999"})  # no match: no row
    _found(http, "ann")  # search: not audited
    assert http.get(f"/api/v1/customers/{seeded.customer['anna']}").status_code == 200
    assert http.get(f"/api/v1/customers/{_uid()}").status_code == 404  # nothing opened

    rows = sorted(seeded.audit_rows(), key=lambda r: r["id"])
    assert [(r["entity_id"], r["detail"]) for r in rows] == [
        (seeded.customer["bob"], {"via": "lookup"}),
        (seeded.customer["ann"], {"via": "lookup"}),
        (seeded.customer["anna"], {"via": "detail"}),
    ]
    for row in rows:
        assert row["action"] == "read"
        assert row["entity"] == "customer"
        assert row["user_id"] == seeded.server.agent_id
        assert row["client_id"] == client_id
        assert row["address"] == "127.0.0.1"
