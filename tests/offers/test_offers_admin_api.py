"""Admin endpoints of offers over loopback HTTP: roles, validation, and what desktops then pull in `ref`."""

from typing import Any

import pytest

from tests.api.sync_helpers import Mirror, login
from tests.offers.catalog_builder import new_id
from tests.offers.conftest import OffersServer

HEATWAVE: dict[str, Any] = {
    "region": "Andalucía",
    "kind": "heatwave",
    "label": "Heatwave forecast in Andalucía",
    "categories": ["cooling"],
    "boost": 1.8,
    "valid_from": "2026-07-01T00:00:00+00:00",
    "valid_to": "2026-07-10T00:00:00+02:00",
}


def _ref_rows(server: OffersServer, mirror: Mirror, entity: str) -> dict[str, dict[str, Any]]:
    mirror.pull_all()
    return {row_id: fields for (e, row_id), (_v, fields) in mirror.rows["ref"].items() if e == entity}


def test_a_region_signal_reaches_a_desktops_ref_pull_and_leaves_it(offers_server: OffersServer) -> None:
    admin = offers_server.client("admin")
    desktop = Mirror(offers_server.client("agent"))
    desktop.subscribe("ref")
    assert _ref_rows(offers_server, desktop, "region_signal") == {}
    signal_id = new_id()

    created = admin.put(f"/api/v1/admin/region_signals/{signal_id}", json=HEATWAVE)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    pulled = _ref_rows(offers_server, desktop, "region_signal")
    assert pulled[signal_id]["categories"] == ["cooling"]
    assert pulled[signal_id]["boost"] == 1.8
    assert pulled[signal_id]["label"] == "Heatwave forecast in Andalucía"
    assert pulled[signal_id]["valid_to"] == "2026-07-09T22:00:00+00:00"

    replaced = admin.put(f"/api/v1/admin/region_signals/{signal_id}", json={**HEATWAVE, "boost": 2.5})
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    assert _ref_rows(offers_server, desktop, "region_signal")[signal_id]["boost"] == 2.5
    assert admin.get("/api/v1/admin/region_signals").json()["signals"][0]["id"] == signal_id

    assert admin.delete(f"/api/v1/admin/region_signals/{signal_id}").status_code == 204
    assert _ref_rows(offers_server, desktop, "region_signal") == {}
    assert admin.delete(f"/api/v1/admin/region_signals/{signal_id}").status_code == 404
    back = admin.put(f"/api/v1/admin/region_signals/{signal_id}", json=HEATWAVE)
    assert back.status_code == 200 and back.json()["boost"] == 1.8
    assert signal_id in _ref_rows(offers_server, desktop, "region_signal")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/admin/region_signals/{id}"),
        ("DELETE", "/api/v1/admin/region_signals/{id}"),
        ("GET", "/api/v1/admin/region_signals"),
        ("GET", "/api/v1/admin/affinity_blocks"),
        ("PUT", "/api/v1/admin/affinity_blocks"),
    ],
)
def test_admin_endpoints_refuse_agents_and_supervisors(
    offers_server: OffersServer, method: str, path: str
) -> None:
    url = path.format(id=new_id())
    body = HEATWAVE if "region" in path else {"antecedent_product_id": "x", "consequent_product_id": "y"}
    for username in ("agent", "supervisor"):
        http = offers_server.client(username)
        resp = http.request(method, url, json=body if method == "PUT" else None)
        assert resp.status_code == 403, (username, resp.text)
        assert resp.json()["error"]["code"] == "forbidden"
    anonymous = login(offers_server.url, "agent")
    anonymous.headers.pop("Authorization")
    assert anonymous.request(method, url, json=body if method == "PUT" else None).status_code == 401
    anonymous.close()


BAD_SIGNALS: list[tuple[str, dict[str, Any]]] = [
    ("boost as a string", {**HEATWAVE, "boost": "2"}),
    ("boost as a boolean", {**HEATWAVE, "boost": True}),
    ("negative boost", {**HEATWAVE, "boost": -1.0}),
    ("absurd boost", {**HEATWAVE, "boost": 1e308}),
    ("categories as a string", {**HEATWAVE, "categories": "cooling"}),
    ("no categories", {**HEATWAVE, "categories": []}),
    ("a thousand categories", {**HEATWAVE, "categories": [f"c{i}" for i in range(1000)]}),
    ("a category that is a number", {**HEATWAVE, "categories": [7]}),
    ("kind with spaces and capitals", {**HEATWAVE, "kind": "Heat wave'; DROP TABLE offer;--"}),
    ("control characters in the label", {**HEATWAVE, "label": "Heat\x07wave\x1b[31m"}),
    ("a bidi override in the region", {**HEATWAVE, "region": "\u202eaisuladnA"}),
    ("a blank label", {**HEATWAVE, "label": "   "}),
    ("a label of 10,000 characters", {**HEATWAVE, "label": "x" * 10_000}),
    ("a region of 5,000 characters", {**HEATWAVE, "region": "r" * 5_000}),
    ("an unknown field", {**HEATWAVE, "script": "<script>alert(1)</script>"}),
    ("a date that is not a date", {**HEATWAVE, "valid_from": "tomorrow"}),
    ("a timestamp without offset", {**HEATWAVE, "valid_to": "2026-07-10T00:00:00"}),
    ("no region", {k: v for k, v in HEATWAVE.items() if k != "region"}),
    ("a list for a body", [HEATWAVE]),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("why", "body"), BAD_SIGNALS, ids=[why for why, _ in BAD_SIGNALS])
def test_bad_region_signals_are_422_and_store_nothing(
    offers_server: OffersServer, why: str, body: Any
) -> None:
    admin = offers_server.client("admin")
    resp = admin.put(f"/api/v1/admin/region_signals/{new_id()}", json=body)
    assert resp.status_code == 422, (why, resp.text)
    assert resp.json()["error"]["code"] == "validation_failed"
    assert "<script>" not in resp.text and "DROP TABLE" not in resp.text  # input is never echoed
    assert admin.get("/api/v1/admin/region_signals").json()["signals"] == []


def test_a_bad_signal_id_is_422_and_a_huge_body_413(offers_server: OffersServer) -> None:
    admin = offers_server.client("admin")
    assert admin.put("/api/v1/admin/region_signals/not-a-uuid", json=HEATWAVE).status_code == 422
    assert admin.put(f"/api/v1/admin/region_signals/{'a' * 2000}", json=HEATWAVE).status_code == 422
    huge = {**HEATWAVE, "label": "x" * 3_000_000}
    assert admin.put(f"/api/v1/admin/region_signals/{new_id()}", json=huge).status_code == 413
    assert admin.get("/api/v1/admin/region_signals").json()["signals"] == []


def _affinity_pairs(server: OffersServer, mirror: Mirror) -> set[tuple[str, str]]:
    cat = server.catalog
    return {
        (cat.name_of_product(f["antecedent_product_id"]), cat.name_of_offer(f["offer_id"]))
        for f in _ref_rows(server, mirror, "affinity").values()
    }


def test_blocking_a_pair_removes_its_rule_from_desktops_and_unblocking_brings_it_back(
    offers_server: OffersServer,
) -> None:
    admin = offers_server.client("admin")
    cat = offers_server.catalog
    desktop = Mirror(offers_server.client("agent"))
    desktop.subscribe("ref")
    before = _affinity_pairs(offers_server, desktop)
    assert ("fibre", "mesh") in before
    pair = {"antecedent_product_id": cat.product["fibre"], "consequent_product_id": cat.product["mesh"]}

    blocked = admin.put("/api/v1/admin/affinity_blocks", json={**pair, "reason": "looks pushy"})
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["model"]["deleted"] == 1 and blocked.json()["model"]["inserted"] == 0
    assert _affinity_pairs(offers_server, desktop) == before - {("fibre", "mesh")}
    listed = admin.get("/api/v1/admin/affinity_blocks").json()["blocks"]
    assert [(b["antecedent_product_id"], b["reason"], b["created_by"]) for b in listed] == [
        (cat.product["fibre"], "looks pushy", offers_server.users["admin"])
    ]

    unblocked = admin.delete("/api/v1/admin/affinity_blocks", params=pair)
    assert unblocked.status_code == 200 and unblocked.json()["model"]["inserted"] == 1
    assert _affinity_pairs(offers_server, desktop) == before
    assert admin.delete("/api/v1/admin/affinity_blocks", params=pair).status_code == 404
    assert admin.get("/api/v1/admin/affinity_blocks").json()["blocks"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"antecedent_product_id": "no-such-product", "consequent_product_id": "nor-this"},
        {"antecedent_product_id": 5, "consequent_product_id": "x"},
        {"antecedent_product_id": "x" * 37, "consequent_product_id": "x"},
        {"antecedent_product_id": "\x00\x01", "consequent_product_id": "x"},
        {"antecedent_product_id": "x", "consequent_product_id": "y", "reason": "r" * 501},
        {"antecedent_product_id": "x"},
    ],
)
def test_bad_blocks_are_refused(offers_server: OffersServer, body: dict[str, Any]) -> None:
    admin = offers_server.client("admin")
    resp = admin.put("/api/v1/admin/affinity_blocks", json=body)
    assert resp.status_code in (400, 422), resp.text
    assert admin.get("/api/v1/admin/affinity_blocks").json()["blocks"] == []
