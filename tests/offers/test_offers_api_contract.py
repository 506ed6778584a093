"""Schemathesis against the offers endpoints of a live server: no 5xx, only documented statuses,
every documented answer matches its schema (valid and invalid generated inputs, as the admin)."""

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.schemas import BaseSchema

from server.db.bootstrap import initialize
from server.db.engine import Database
from tests.support.demo import DEMO_PASSWORD, create_demo_data
from tests.support.live import LiveServer, start_live_server

OPERATIONS = [
    "GET /api/v1/admin/region_signals",
    "PUT /api/v1/admin/region_signals/{signal_id}",
    "DELETE /api/v1/admin/region_signals/{signal_id}",
    "GET /api/v1/admin/affinity_blocks",
    "PUT /api/v1/admin/affinity_blocks",
    "DELETE /api/v1/admin/affinity_blocks",
    "GET /api/v1/offers/acceptance",
]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('offers_contract') / 'server.db'}"
    db = Database(url)
    initialize(db)
    db.dispose()
    create_demo_data(url)
    server = start_live_server(url)
    try:
        response = httpx.post(
            server.url + "/api/v1/auth/login",
            json={"username": "admin", "password": DEMO_PASSWORD, "device_name": "schemathesis"},
            timeout=30,
        )
        response.raise_for_status()
        yield server, response.json()["access_token"]
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(live: tuple[LiveServer, str]) -> BaseSchema:
    return schemathesis.openapi.from_url(live[0].url + "/api/v1/openapi.json", timeout=30)


def test_the_offers_operations_are_published(api_schema: BaseSchema) -> None:
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert set(OPERATIONS) <= labels


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_offers_api_keeps_its_published_contract(
    api_schema: BaseSchema, live: tuple[LiveServer, str], label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": f"Bearer {live[1]}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    call()
