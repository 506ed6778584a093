"""Property-based API tests: schemathesis against a live server's published OpenAPI document.

Every operation except the SSE stream is called over real HTTP with generated (valid and invalid)
inputs, authenticated as the admin, on SQLite and on PostgreSQL. The server must never answer 5xx,
must answer only the statuses it documents, and every documented answer must match its schema.

Then explicit checks of the error shape on every POST endpoint taken from the same document:
malformed JSON → 400, wrong types → 422, a body over the limit → 413 (test_errors.py covers these
for the login endpoint only).
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.schemas import BaseSchema

from tests.conftest import initialize_database
from tests.support.demo import DEMO_PASSWORD, create_demo_data
from tests.support.live import LiveServer, start_live_server
from tests.support.postgres import PgCluster

OPENAPI = "/api/v1/openapi.json"
SSE_PATH = "/api/v1/sync/events"
LOGOUT = "/api/v1/auth/logout"
MAX_EXAMPLES = 25
MiB = 1024 * 1024


@dataclass
class Target:
    url: str
    live: LiveServer
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _login(url: str, username: str) -> str:
    response = httpx.post(
        url + "/api/v1/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_name": "schemathesis"},
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    cluster: PgCluster | None = None
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'server.db'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        db_url = cluster.new_database()
    initialize_database(db_url)
    create_demo_data(db_url)
    live = start_live_server(db_url)
    try:
        yield Target(url=live.url, live=live, token=_login(live.url, "admin"))
    finally:
        live.stop()
        if cluster is not None:
            cluster.drop_database(db_url)


@pytest.fixture(scope="module")
def api_schema(target: Target) -> BaseSchema:
    return schemathesis.openapi.from_url(target.url + OPENAPI, timeout=30).exclude(path=SSE_PATH)


#: every operation of the published document but the SSE stream (a test below keeps this in step)
OPERATIONS = [
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "GET /api/v1/me",
    "POST /api/v1/admin/users",
    "GET /healthz",
    "GET /metrics",
    "POST /api/v1/sync/pull",
    "POST /api/v1/sync/push",
    "GET /api/v1/sync/scope_checksum",
    "GET /api/v1/customers/lookup",
    "GET /api/v1/customers/search",
    "GET /api/v1/customers/{customer_id}",
    "GET /api/v1/admin/region_signals",
    "PUT /api/v1/admin/region_signals/{signal_id}",
    "DELETE /api/v1/admin/region_signals/{signal_id}",
    "GET /api/v1/admin/affinity_blocks",
    "PUT /api/v1/admin/affinity_blocks",
    "DELETE /api/v1/admin/affinity_blocks",
    "GET /api/v1/offers/acceptance",
    "POST /api/v1/telephony/events",
    "GET /api/v1/telephony/state",
    "GET /api/v1/queues",
    "GET /api/v1/agents/board",
    "GET /api/v1/agents/me/state",
    "PUT /api/v1/agents/me/state",
    "POST /api/v1/contacts/{contact_id}/answer",
    "POST /api/v1/contacts/{contact_id}/end",
    "POST /api/v1/contacts/{contact_id}/wrapup",
    "POST /api/v1/broadcasts",
]
#: operations without any input: there is nothing to make invalid
NO_INPUT = {"GET /healthz", "GET /metrics"}
CASES = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for label in OPERATIONS
    for mode in GenerationMode
    if not (mode is GenerationMode.NEGATIVE and label in NO_INPUT)
]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def test_the_operation_list_matches_the_published_document(api_schema: BaseSchema) -> None:
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


# schemathesis' own pytest loader (`schemathesis.pytest.from_fixture`) does not run on pytest 9
# (it reads `Function._nodeid`): the operations are driven through their hypothesis strategies
@pytest.mark.parametrize(("label", "mode"), CASES)
def test_the_api_keeps_its_published_contract(
    api_schema: BaseSchema, target: Target, label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    # logout with the shared token would end the session every other call uses: it goes
    # without one (then only a refresh token in the body counts)
    headers = {} if operation.path == LOGOUT else target.auth

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

    call()


# ---- the error shape on every POST endpoint ----------------------------------------------------


def _post_paths(url: str) -> list[str]:
    spec: dict[str, Any] = httpx.get(url + OPENAPI, timeout=30).json()
    return sorted(path for path, ops in spec["paths"].items() if "post" in ops)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body


@pytest.fixture(scope="module")
def client(target: Target) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.url, headers=target.auth, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def post_paths(target: Target) -> list[str]:
    paths = _post_paths(target.url)
    assert {"/api/v1/auth/login", "/api/v1/sync/pull", "/api/v1/sync/push", "/api/v1/admin/users"} <= set(
        paths
    )
    return paths


#: a body of the wrong type for every field the POST endpoints read
WRONG_TYPES: dict[str, Any] = {
    "username": ["x"],
    "password": 7,
    "device_name": {"a": 1},
    "refresh_token": 3,
    "display_name": [1],
    "roles": "admin",
    "client_id": {"x": 1},
    "protocol": "one",
    "scopes": ["directory"],
    "limit": "many",
    "mutations": {"a": 1},
}


def test_malformed_json_is_400_on_every_post_endpoint(client: httpx.Client, post_paths: list[str]) -> None:
    for path in post_paths:
        for broken in (b'{"client_id": "a", ', b"{'single': 'quotes'}", b"\xff\xfe{}"):
            response = client.post(path, content=broken, headers={"content-type": "application/json"})
            body = assert_error(response, 400, "bad_request")
            assert body["error"]["message"] == "malformed JSON", path


def test_wrong_types_are_422_on_every_post_endpoint(client: httpx.Client, post_paths: list[str]) -> None:
    for path in post_paths:
        for payload in (WRONG_TYPES, [1, 2], "text", 42):
            body = assert_error(client.post(path, json=payload), 422, "validation_failed")
            errors = body["error"]["details"]["errors"]
            assert errors and all(e["loc"][0] == "body" for e in errors), (path, errors)


def test_a_body_over_the_limit_is_413_on_every_post_endpoint(
    client: httpx.Client, post_paths: list[str], target: Target
) -> None:
    limit = target.live.settings.max_body_bytes
    assert limit == MiB
    payload = b'{"client_id": "' + b"a" * limit + b'"}'
    for path in post_paths:
        response = client.post(path, content=payload, headers={"content-type": "application/json"})
        assert_error(response, 413, "too_large")
    # the connection is closed after a 413; the server still serves the next one
    assert client.get("/healthz").status_code == 200


def test_push_over_its_own_limit_is_413(client: httpx.Client) -> None:
    """A push body between the push limit (256 KiB) and the global one is refused too."""
    payload = b'{"client_id": "c", "mutations": [], "pad": "' + b"a" * (300 * 1024) + b'"}'
    response = client.post("/api/v1/sync/push", content=payload, headers={"content-type": "application/json"})
    assert_error(response, 413, "too_large")


# ---- what the property tests found, pinned down as plain requests -----------------------------

NUL = "a\x00b"


def _mutation(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "mutation_id": str(uuid.uuid4()),
        "client_seq": 1,
        "entity": "customer",
        "entity_id": str(uuid.uuid4()),
        "op": "create",
        "new_values": {"display_name": "Nul Test"},
    }
    return {**base, **changes}


def _nul_requests() -> list[tuple[str, str, dict[str, Any] | None]]:
    def user(**changes: Any) -> dict[str, Any]:
        name = f"u{uuid.uuid4().hex[:12]}"
        return {
            "username": name,
            "display_name": "X",
            "password": "long enough",
            "roles": ["agent"],
            **changes,
        }

    def push(*mutations: dict[str, Any], client_id: str | None = None) -> dict[str, Any]:
        return {"client_id": client_id or str(uuid.uuid4()), "mutations": list(mutations)}

    return [
        ("POST", "/api/v1/auth/login", {"username": NUL, "password": "x", "device_name": "d"}),
        ("POST", "/api/v1/auth/login", {"username": "agent", "password": "demo", "device_name": NUL}),
        ("POST", "/api/v1/auth/refresh", {"refresh_token": NUL}),
        ("POST", "/api/v1/admin/users", user(display_name=NUL)),
        ("POST", "/api/v1/admin/users", user(queue_ids=[NUL])),
        ("POST", "/api/v1/admin/users", user(roles=["field_rep"], territory_ids=[NUL])),
        ("POST", "/api/v1/sync/pull", {"client_id": NUL, "scopes": {"directory": None}}),
        ("POST", "/api/v1/sync/pull", {"client_id": "c", "scopes": {f"customer:{NUL}": None}}),
        ("POST", "/api/v1/sync/push", push(_mutation(), client_id=NUL)),
        ("POST", "/api/v1/sync/push", push(_mutation(mutation_id=NUL))),
        ("POST", "/api/v1/sync/push", push(_mutation(entity=NUL))),
        ("POST", "/api/v1/sync/push", push(_mutation(entity_id=NUL))),
        ("POST", "/api/v1/sync/push", push(_mutation(new_values={"display_name": NUL}))),
        ("POST", "/api/v1/sync/push", push(_mutation(depends_on=NUL))),
        ("GET", "/api/v1/sync/scope_checksum?scope=customer:a%00b", None),
    ]


def test_a_nul_character_in_any_string_is_never_a_server_error(client: httpx.Client) -> None:
    """PostgreSQL text cannot hold U+0000: the server must refuse it (4xx), not fail on it (500)."""
    failed = []
    for method, path, body in _nul_requests():
        content = json.dumps(body).encode() if body is not None else None
        response = client.request(method, path, content=content, headers={"content-type": "application/json"})
        assert response.headers["content-type"].startswith("application/json")
        if response.status_code >= 500:
            failed.append(f"{response.status_code} {method} {path} {content!r}")
    assert not failed, "\n".join(failed)


def test_a_client_seq_beyond_64_bits_is_a_validation_error(client: httpx.Client) -> None:
    body = {"client_id": str(uuid.uuid4()), "mutations": [_mutation(client_seq=2**63)]}
    assert_error(client.post("/api/v1/sync/push", json=body), 422, "validation_failed")
