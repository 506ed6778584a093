"""Every failure is the JSON error shape, over real HTTP on both backends; health and metrics."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from server import __version__
from server.db.engine import Database
from tests.support.demo import DemoServer
from tests.support.live import LiveServer

LOGIN = "/api/v1/auth/login"
MiB = 1024 * 1024


@pytest.fixture
def client(server_url: DemoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url.url, timeout=30) as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text and "<html" not in response.text.lower()
    return body


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        LOGIN, content=b'{"username": "agent", "password": ', headers={"content-type": "application/json"}
    )
    body = assert_error(response, 400, "bad_request")
    assert body["error"]["message"] == "malformed JSON"


def test_wrong_types_are_422_with_the_fields_and_without_echoing_input(client: httpx.Client) -> None:
    response = client.post(LOGIN, json={"username": ["agent"], "password": 31337, "device_name": "x" * 500})
    body = assert_error(response, 422, "validation_failed")
    fields = {e["field"] for e in body["error"]["details"]["errors"]}
    assert fields == {"body.username", "body.password", "body.device_name"}
    for error in body["error"]["details"]["errors"]:
        assert error["loc"][0] == "body" and error["message"] and error["type"]
    assert "31337" not in response.text and "x" * 500 not in response.text


def test_missing_body_is_422(client: httpx.Client) -> None:
    body = assert_error(client.post(LOGIN), 422, "validation_failed")
    assert body["error"]["details"]["errors"][0]["field"] == "body"


def test_a_body_over_the_limit_is_413(client: httpx.Client, server_url: DemoServer) -> None:
    limit = server_url.settings.max_body_bytes
    assert limit == MiB
    payload = b'{"username": "' + b"a" * limit + b'", "password": "x"}'
    response = client.post(LOGIN, content=payload, headers={"content-type": "application/json"})
    assert response.request.headers["content-length"] == str(len(payload))
    body = assert_error(response, 413, "too_large")
    assert body["error"]["details"] == {"max_bytes": limit}


def test_a_chunked_body_over_the_limit_is_413_without_a_content_length(client: httpx.Client) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"username": "'
        for _ in range(40):  # 2.5 MiB in 64 KiB pieces
            sent += 64 * 1024
            yield b"a" * (64 * 1024)
        yield b'", "password": "x"}'

    response = client.post(LOGIN, content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "too_large")
    # the server still serves this connection's successors
    assert client.get("/healthz").status_code == 200


def test_unknown_path_is_404_and_wrong_method_405(client: httpx.Client) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/definitely/not/a/page.html"), 404, "not_found")
    wrong = client.get(LOGIN)
    assert_error(wrong, 405, "method_not_allowed")
    assert "POST" in wrong.headers["allow"]


def test_an_unexpected_exception_is_a_500_json_without_a_trace(
    server_url: DemoServer, live_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    def add_broken_route(app: FastAPI) -> None:
        @app.get("/test-only/boom")
        def boom() -> None:
            raise RuntimeError("secret internal detail")

    server = live_server(server_url.db_url, configure=add_broken_route)
    with caplog.at_level("ERROR", logger="server.api.errors"):
        response = httpx.get(server.url + "/test-only/boom", timeout=10)
    body = assert_error(response, 500, "internal")
    assert "secret internal detail" not in response.text
    assert body["error"]["message"] == "internal server error"
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)
    metrics = httpx.get(server.url + "/metrics", timeout=10).text
    assert 'liaison_http_requests_total{method="GET",route="/test-only/boom",status="500"} 1' in metrics


def test_healthz_reports_ok_without_auth(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "version": __version__}


def test_healthz_reports_a_database_that_does_not_answer(
    client: httpx.Client, server_url: DemoServer
) -> None:
    db = Database(server_url.db_url)
    try:
        with db.write() as conn:
            conn.execute(text("DROP TABLE sync_counter"))
    finally:
        db.dispose()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "db": "down", "version": __version__}
    assert int(response.headers["retry-after"]) > 0
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "\nliaison_db_up 0\n" in metrics.text


def _sample(metrics: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    assert match, f"{name} missing from\n{metrics}"
    return float(match.group(1))


def test_metrics_count_requests_and_read_the_database(client: httpx.Client, server_url: DemoServer) -> None:
    for _ in range(3):
        client.get("/healthz")
    client.get("/api/v1/nothing-here")
    client.post(LOGIN, json={"username": "agent", "password": "wrong"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    metrics = response.text
    assert 'liaison_http_requests_total{method="GET",route="/healthz",status="200"} 3' in metrics
    assert 'liaison_http_requests_total{method="GET",route="<unmatched>",status="404"} 1' in metrics
    assert 'liaison_http_requests_total{method="POST",route="/api/v1/auth/login",status="401"} 1' in metrics
    assert "# TYPE liaison_http_request_duration_seconds histogram" in metrics
    count = 'liaison_http_request_duration_seconds_count{method="GET",route="/healthz"}'
    assert f"{count} 3" in metrics
    inf = 'liaison_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}'
    assert f"{inf} 3" in metrics
    # demo data: 2 queues, 1 territory, 4 users, each one change-log row
    assert _sample(metrics, "liaison_sync_head") == 7
    assert _sample(metrics, "liaison_change_log_rows") == 7
    assert _sample(metrics, "liaison_open_conflicts") == 0
    assert _sample(metrics, "liaison_sync_clients") == 0
    assert _sample(metrics, "liaison_sse_subscribers") == 0
    assert _sample(metrics, "liaison_db_up") == 1


def test_openapi_documents_the_error_responses(client: httpx.Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    login = spec["paths"][LOGIN]["post"]["responses"]
    assert {"200", "401", "422", "429"} <= set(login)
    assert login["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert {"401", "403", "409"} <= set(spec["paths"]["/api/v1/admin/users"]["post"]["responses"])


def test_the_server_refuses_a_database_that_was_not_initialized(
    tmp_path: Path, live_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR", logger="server.app"), pytest.raises(RuntimeError, match="did not start"):
        live_server(f"sqlite:///{tmp_path / 'empty.db'}")
    assert any("liaison-server init" in r.getMessage() for r in caplog.records)
