"""The API client against the real server over loopback, plus scripted hostile and failing answers."""

import json
import logging
import re
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import certifi
import httpx
import keyring
import pytest
from keyring.backends import fail
from keyring.errors import KeyringLocked

from desktop.services.api import ApiClient, PullResult
from desktop.services.api_errors import (
    ERROR_CLASSES,
    ApiError,
    BadRequest,
    BadResponse,
    EpochReset,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unavailable,
    UpgradeRequired,
    ValidationFailed,
    parse_retry_after,
)
from desktop.services.api_http import ApiConfig, tls_context
from desktop.services.credentials import SERVICE, Credentials, KeyringUnavailable, account_name
from desktop.services.redact import REDACTED, SecretFilter, redact
from tests.desktop.memory_keyring import BrokenKeyring, MemoryKeyring
from tests.desktop.scripted_server import DeskServer, lose_response, protocol_error, reply, slow, streamed
from wire.errors import STATUS_OF, ErrorCode
from wire.sync import Mutation, PullRequest, PushRequest

PASSWORD = "demo"
MIB = 1024 * 1024
HTML = b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>"


class Harness:
    """Makes clients whose backoff sleeps are recorded (never slept) and jitter is its ceiling."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.made: list[ApiClient] = []

    def client(self, url: str, *, credentials: bool = True, **config: Any) -> ApiClient:
        client = ApiClient(
            ApiConfig(base_url=url, **config),
            Credentials(url) if credentials else None,
            sleep=self.sleeps.append,
            jitter=lambda ceiling: ceiling,
        )
        self.made.append(client)
        return client


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    for client in h.made:
        client.close()


@pytest.fixture
def desk(desk_server: Callable[..., DeskServer]) -> DeskServer:
    return desk_server()


def signed_in(
    harness: Harness,
    desk: DeskServer,
    username: str = "agent",
    *,
    keep_signed_in: bool = False,
    **config: Any,
) -> ApiClient:
    client = harness.client(desk.url, **config)
    client.login(username, PASSWORD, "test desk", keep_signed_in=keep_signed_in)
    return client


def saved_token(ring: MemoryKeyring, desk: DeskServer, username: str = "agent") -> str | None:
    return ring.entries.get((SERVICE, account_name(desk.url, username)))


# -- auth and the keyring ----------------------------------------------------------------------


def test_login_me_user_agent_and_nothing_saved_without_keep(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring
) -> None:
    client = harness.client(desk.url)
    user = client.login("agent", PASSWORD, "test desk")
    assert user.id == desk.data.agent_id and user.roles == ["agent"]
    assert client.me() == user
    assert client.signed_in and not client.kept_signed_in
    assert memory_keyring.entries == {}
    agent = desk.script.requests[-1].headers["user-agent"]
    assert re.fullmatch(r"LiaisonDesk/\S+ \(.+\)", agent), agent
    assert "agent" in repr(client) and "token" not in repr(client).lower()


def test_keep_signed_in_saves_only_the_refresh_token_and_resume_rotates_it(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring
) -> None:
    first = signed_in(harness, desk, keep_signed_in=True)
    assert first.kept_signed_in and first.keyring_error is None
    assert list(memory_keyring.entries) == [(SERVICE, account_name(desk.url, "agent"))]
    saved = saved_token(memory_keyring, desk)
    access = desk.script.requests[-1].headers.get("authorization")
    assert saved and access is None  # the login carries no bearer; the access token never is saved
    first.me()
    bearer = desk.script.requests[-1].headers["authorization"].removeprefix("Bearer ")
    assert bearer not in memory_keyring.entries.values()

    second = harness.client(desk.url)
    assert second.resume("agent").id == desk.data.agent_id
    rotated = saved_token(memory_keyring, desk)
    assert rotated and rotated != saved
    assert second.me().username == "agent" and second.kept_signed_in


def test_a_401_refreshes_once_transparently_and_the_new_refresh_token_replaces_the_old(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring
) -> None:
    client = signed_in(harness, desk, keep_signed_in=True)
    before = saved_token(memory_keyring, desk)
    desk.script.on("/api/v1/me", protocol_error(401, "not_authenticated", "expired"))
    assert client.me().username == "agent"
    assert desk.script.count("/api/v1/auth/refresh") == 1
    after = saved_token(memory_keyring, desk)
    assert after and after != before
    assert harness.sleeps == []

    # the old refresh token was rotated away: presenting it again is reuse and ends the session
    with httpx.Client(base_url=desk.url) as raw:
        assert raw.post("/api/v1/auth/refresh", json={"refresh_token": before}).status_code == 401


def test_a_second_401_after_the_refresh_is_not_authenticated(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    desk.script.on(
        "/api/v1/me",
        protocol_error(401, "not_authenticated"),
        protocol_error(401, "not_authenticated"),
    )
    with pytest.raises(NotAuthenticated):
        client.me()
    assert desk.script.count("/api/v1/auth/refresh") == 1
    assert client.me().username == "agent"  # the refreshed session itself is fine


def test_concurrent_401s_share_one_refresh(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    desk.script.reject_until("/api/v1/me", "/api/v1/auth/refresh")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            client.me()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert desk.script.count("/api/v1/auth/refresh") == 1


def test_a_revoked_session_ends_the_sign_in_and_forgets_the_saved_one(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring
) -> None:
    client = signed_in(harness, desk, keep_signed_in=True)
    other = harness.client(desk.url)
    other.resume("agent")  # the same session, on another desk: it rotates the refresh token
    assert other.logout() is True  # and revokes the session for both
    assert memory_keyring.entries == {}
    memory_keyring.entries[(SERVICE, account_name(desk.url, "agent"))] = "stale"
    with pytest.raises(NotAuthenticated, match="sign in again"):
        client.me()
    assert not client.signed_in
    assert memory_keyring.entries == {}


def test_logout_reports_a_kept_entry_it_cannot_remove(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring
) -> None:
    client = signed_in(harness, desk, keep_signed_in=True)
    keyring.set_keyring(BrokenKeyring(KeyringLocked("locked")))
    with pytest.raises(KeyringUnavailable, match="could not remove your saved sign-in: the keyring"):
        client.logout()
    assert not client.signed_in
    with httpx.Client(base_url=desk.url) as raw:  # the saved token is dead anyway: revoked first
        token = saved_token(memory_keyring, desk)
        assert raw.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code == 401


def test_logout_revokes_forgets_and_removes_the_entry(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring
) -> None:
    client = signed_in(harness, desk, keep_signed_in=True)
    assert client.logout() is True
    assert memory_keyring.entries == {} and not client.signed_in
    with pytest.raises(NotAuthenticated, match="not signed in"):
        client.me()
    with pytest.raises(NotAuthenticated, match="no saved sign-in"):
        client.resume("agent")
    assert client.logout() is False


def test_a_bad_password_is_not_authenticated_and_never_retried(harness: Harness, desk: DeskServer) -> None:
    client = harness.client(desk.url)
    with pytest.raises(NotAuthenticated):
        client.login("agent", "wrong", "test desk")
    assert desk.script.count("/api/v1/auth/login") == 1 and harness.sleeps == []


def test_login_rate_limit_carries_retry_after_and_is_not_retried(
    harness: Harness, desk_server: Callable[..., DeskServer]
) -> None:
    desk = desk_server(login_max_failures_per_user=1)
    client = harness.client(desk.url)
    with pytest.raises(NotAuthenticated):
        client.login("agent", "wrong")
    with pytest.raises(RateLimited) as caught:
        client.login("agent", PASSWORD)
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert desk.script.count("/api/v1/auth/login") == 2 and harness.sleeps == []


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), BrokenKeyring(KeyringLocked("locked")), BrokenKeyring(RuntimeError("dbus gone"))],
    ids=["no-keyring", "locked", "backend-bug"],
)
def test_without_a_keyring_the_sign_in_holds_for_the_session(
    harness: Harness, desk: DeskServer, backend: keyring.backend.KeyringBackend
) -> None:
    keyring.set_keyring(backend)
    client = harness.client(desk.url)
    user = client.login("agent", PASSWORD, "test desk", keep_signed_in=True)
    assert user.username == "agent" and client.signed_in and not client.kept_signed_in
    assert isinstance(client.keyring_error, KeyringUnavailable)
    assert "signed in until you close the app" in client.keyring_error.message
    desk.script.on("/api/v1/me", protocol_error(401, "not_authenticated"))
    assert client.me().username == "agent"  # refreshes from memory
    with pytest.raises(KeyringUnavailable):
        harness.client(desk.url).resume("agent")
    assert client.logout() is True  # nothing was kept: nothing to complain about
    assert not client.signed_in


# -- sync ------------------------------------------------------------------------------------


def test_pull_returns_the_raw_bytes_and_the_validated_page(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    request = PullRequest(
        client_id=str(uuid.uuid4()), scopes={"ref": None, f"user:{desk.data.agent_id}": None}, limit=50
    )
    result = client.pull(request)
    assert isinstance(result, PullResult)
    assert json.loads(result.raw)["epoch"] == result.page.epoch
    assert set(result.page.scopes) == set(request.scopes) == set(result.changes)
    queues = [c for c in result.changes["ref"] if c.entity == "queue"]
    assert {c.id for c in queues} == set(desk.data.queue_ids)
    assert all(c.record is not None for c in queues)


def _customer_mutations(territory: str) -> tuple[str, list[Mutation]]:
    customer_id, point_id = str(uuid.uuid4()), str(uuid.uuid4())
    return customer_id, [
        Mutation(
            mutation_id=str(uuid.uuid4()),
            client_seq=1,
            entity="customer",
            entity_id=customer_id,
            op="create",
            new_values={"display_name": "Ada Lovelace", "territory_id": territory},
        ),
        Mutation(
            mutation_id=str(uuid.uuid4()),
            client_seq=2,
            entity="contact_point",
            entity_id=point_id,
            op="create",
            new_values={"customer_id": customer_id, "kind": "phone", "value": "+447911123456"},
        ),
    ]


def test_push_is_retried_after_a_lost_answer_and_the_server_dedupes(
    harness: Harness, desk: DeskServer
) -> None:
    client = signed_in(harness, desk, username="fieldrep")
    _, mutations = _customer_mutations(desk.data.territory_ids[0])
    desk.script.on("/api/v1/sync/push", lose_response(503, retry_after="2"))
    response = client.push(PushRequest(client_id=str(uuid.uuid4()), mutations=mutations))
    assert [(r.outcome, r.reason) for r in response.results] == [("applied", None), ("applied", None)]
    assert response.processed_through == 2
    assert desk.script.count("/api/v1/sync/push") == 2
    assert harness.sleeps == [2.0]  # Retry-After (2 s) beats the first backoff ceiling (0.5 s)


def test_lookups_search_customer_and_scope_checksum(harness: Harness, desk: DeskServer) -> None:
    rep = signed_in(harness, desk, username="fieldrep")
    customer_id, mutations = _customer_mutations(desk.data.territory_ids[0])
    rep.push(PushRequest(client_id=str(uuid.uuid4()), mutations=mutations))
    agent = signed_in(harness, desk)
    found = agent.lookup_phone("07911 123456")
    assert found.normalized == "+447911123456" and [m.id for m in found.matches] == [customer_id]
    assert agent.lookup_email("nobody@example.com").matches == []
    assert [r.id for r in agent.search("lovelace").results] == [customer_id]
    client_id = str(uuid.uuid4())
    detail = agent.customer(customer_id, client_id)
    assert detail.id == customer_id and detail.scope == f"customer:{customer_id}"
    assert [p["value"] for p in detail.contact_points] == ["+447911123456"]
    checksum = agent.scope_checksum(detail.scope, client_id)
    assert checksum.count == 2 and checksum.checksum.startswith("sha256:")
    with pytest.raises(NotFound):
        agent.customer(str(uuid.uuid4()))
    with pytest.raises(NotFound):
        agent.customer("../../me")  # quoted into one path segment: never another endpoint


def test_the_servers_errors_arrive_typed(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    with pytest.raises(Forbidden):
        client.pull(PullRequest(client_id="c1", scopes={f"territory:{desk.data.territory_ids[0]}": None}))
    with pytest.raises(EpochReset) as reset:
        client.pull(PullRequest(client_id="c1", epoch="not-the-epoch", scopes={"ref": None}))
    assert reset.value.epoch and reset.value.status == 409
    with pytest.raises(UpgradeRequired):
        client.pull(PullRequest(client_id="c1", protocol=0, scopes={"ref": None}))
    with pytest.raises(ValidationFailed) as invalid:
        client.search("x", limit=999)
    assert invalid.value.errors and invalid.value.errors[0]["field"]
    with pytest.raises(BadRequest):
        client.lookup_phone("not a phone")
    assert harness.sleeps == []  # none of these is worth a retry


def test_every_protocol_error_code_has_a_class_with_its_status() -> None:
    assert set(get_args(ErrorCode)) == set(ERROR_CLASSES)
    for code, cls in ERROR_CLASSES.items():
        assert issubclass(cls, ApiError) and cls.code == code and code in STATUS_OF


# -- retries, backoff, timeouts --------------------------------------------------------------


def test_gets_retry_with_exponential_backoff_and_login_never_does(
    harness: Harness, free_port: Callable[[], int]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = harness.client(url, max_attempts=4)
    with pytest.raises(TransportError, match="cannot connect"):
        client.login("agent", PASSWORD)
    assert harness.sleeps == []
    with pytest.raises(TransportError):
        client.health()  # no retry asked for
    assert harness.sleeps == []


def test_backoff_ceilings_grow_exponentially_with_full_jitter(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    desk.script.on("/api/v1/me", *[reply(502, HTML, "text/html") for _ in range(4)])
    with pytest.raises(ServerError) as caught:
        client.me()
    assert caught.value.status == 502
    assert harness.sleeps == [0.5, 1.0, 2.0]  # jitter is the ceiling here; 4 tries in all

    seen: list[float] = []

    def third(ceiling: float) -> float:
        seen.append(ceiling)
        return ceiling / 3

    jittered = ApiClient(ApiConfig(base_url=desk.url), sleep=harness.sleeps.append, jitter=third)
    harness.made.append(jittered)
    jittered.login("agent", PASSWORD)
    desk.script.on("/api/v1/me", protocol_error(503, "unavailable"), protocol_error(503, "unavailable"))
    assert jittered.me().username == "agent"
    assert seen == [0.5, 1.0] and harness.sleeps[-2:] == [0.5 / 3, 1.0 / 3]


def test_retry_after_is_honoured_and_a_long_one_is_handed_to_the_caller(
    harness: Harness, desk: DeskServer
) -> None:
    client = signed_in(harness, desk)
    desk.script.on("/api/v1/me", protocol_error(503, "unavailable", headers={"Retry-After": "7"}))
    assert client.me().username == "agent"
    assert harness.sleeps == [7.0]
    desk.script.on("/api/v1/me", protocol_error(503, "unavailable", headers={"Retry-After": "3600"}))
    with pytest.raises(Unavailable) as caught:
        client.me()
    assert caught.value.retry_after == 3600 and harness.sleeps == [7.0]


def test_a_500_is_not_retried_and_a_slow_answer_times_out(harness: Harness, desk: DeskServer) -> None:
    signed_in(harness, desk, keep_signed_in=True)
    client = harness.client(desk.url, read_timeout_s=0.2, max_attempts=2)
    client.resume("agent")  # a refresh is quick (a login's password hash is not)
    desk.script.on("/api/v1/me", protocol_error(500, "internal", "a bug"))
    with pytest.raises(ServerError, match="a bug"):
        client.me()
    assert harness.sleeps == []
    desk.script.on("/api/v1/me", slow(1.0), slow(1.0))
    with pytest.raises(TransportError, match="did not respond in time"):
        client.me()
    assert harness.sleeps == [0.5] and desk.script.count("/api/v1/me") == 3


# -- hostile answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "expected", "words"),
    [
        (reply(200, HTML, "text/html"), BadResponse, "text/html instead of JSON"),
        (reply(200, b'{"id": 1}', "text/plain"), BadResponse, "instead of JSON"),
        (reply(200, b"\x00\xff garbage {", "application/json"), BadResponse, "not a valid UserInfo"),
        (reply(200, b'{"id": "x", "username": 7}', "application/json"), BadResponse, "username"),
        (reply(200, b"[1, 2, 3]", "application/json"), BadResponse, "not a valid UserInfo"),
        (streamed(10 * MIB), BadResponse, "too large"),
        (reply(200, b" " * (2 * MIB)), BadResponse, "too large"),
        (reply(404, HTML, "text/html"), BadResponse, "without a protocol error body"),
        (reply(302, b"", headers={"Location": "https://elsewhere.example/"}), BadResponse, "HTTP 302"),
        (protocol_error(404, "forbidden"), BadResponse, "belongs to HTTP 403"),
        (reply(500, HTML, "text/html"), ServerError, "HTTP 500"),
    ],
    ids=[
        "html-200",
        "wrong-content-type",
        "garbage-bytes",
        "wrong-schema",
        "json-array",
        "10-MiB-streamed",
        "2-MiB-declared",
        "html-404",
        "redirect",
        "code-status-mismatch",
        "html-500",
    ],
)
def test_hostile_answers_become_typed_errors(
    harness: Harness,
    desk: DeskServer,
    step: Any,
    expected: type[ApiError],
    words: str,
) -> None:
    client = signed_in(harness, desk, max_attempts=1)
    desk.script.on("/api/v1/me", step)
    with pytest.raises(expected, match=re.escape(words)):
        client.me()
    assert client.me().username == "agent"  # and the client still works


def test_a_wrong_schema_error_never_quotes_the_body(harness: Harness, desk: DeskServer) -> None:
    client = harness.client(desk.url)
    body = {"access_token": "sekrit-access", "refresh_token": "sekrit-refresh", "expires_in": 900}
    desk.script.on("/api/v1/auth/login", reply(200, json.dumps(body).encode()))
    with pytest.raises(BadResponse) as caught:
        client.login("agent", PASSWORD)
    assert "sekrit" not in str(caught.value) and caught.value.__cause__ is None
    assert "user: missing" in str(caught.value)


def test_hostile_pull_pages_are_bad_responses(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk, max_attempts=1)
    request = PullRequest(client_id="c1", scopes={"ref": None})
    bad_record = {
        "epoch": "e",
        "head": 1,
        "client_acked_through": 0,
        "page_checksum": "x",
        "scopes": {
            "ref": {
                "mode": "log",
                "changes": [
                    {
                        "seq": 1,
                        "entity": "queue",
                        "id": "q",
                        "op": "upsert",
                        "version": 1,
                        "fields": {"name": 5},
                    }
                ],
            }
        },
    }
    desk.script.on(
        "/api/v1/sync/pull",
        reply(200, b"not json"),
        reply(200, json.dumps(bad_record).encode()),
        reply(200, json.dumps({**bad_record, "scopes": {"ref": {"mode": "sideways"}}}).encode()),
    )
    for _ in range(3):
        with pytest.raises(BadResponse, match="pull page is not valid"):
            client.pull(request)
    assert client.pull(request).page.scopes["ref"].mode == "snapshot"


def test_pull_pages_may_be_large_but_not_over_their_own_cap(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk, max_attempts=1, max_pull_bytes=3 * MIB)
    desk.script.on("/api/v1/sync/pull", streamed(2 * MIB), streamed(4 * MIB))
    request = PullRequest(client_id="c1", scopes={"ref": None})
    with pytest.raises(BadResponse, match="pull page is not valid"):  # read in full, then not JSON
        client.pull(request)
    with pytest.raises(BadResponse, match="too large"):
        client.pull(request)


# -- live events -----------------------------------------------------------------------------


def test_events_start_with_a_poke_and_refresh_once_on_401(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    desk.script.on("/api/v1/sync/events", protocol_error(401, "not_authenticated"))
    stream = client.events()
    try:
        first = next(stream)
    finally:
        stream.close()
    assert first.event == "poke" and isinstance(first.data["head"], int)
    assert desk.script.count("/api/v1/auth/refresh") == 1


def test_events_refuse_what_is_not_an_event_stream(harness: Harness, desk: DeskServer) -> None:
    client = signed_in(harness, desk)
    desk.script.on(
        "/api/v1/sync/events",
        reply(200, b'{"head": 1}'),
        reply(200, b"event: poke\ndata: <html>\n\n", "text/event-stream"),
        protocol_error(403, "forbidden"),
    )
    with pytest.raises(BadResponse, match="not text/event-stream"):
        next(client.events())
    with pytest.raises(BadResponse, match="does not carry JSON"):
        next(client.events())
    with pytest.raises(Forbidden):
        next(client.events())


# -- TLS, logging ----------------------------------------------------------------------------


def test_tls_verification_is_on_and_a_ca_bundle_adds_to_it(tmp_path: Path) -> None:
    context = tls_context(None)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    extra = tls_context(Path(certifi.where()))
    assert extra.verify_mode == ssl.CERT_REQUIRED
    broken = tmp_path / "ca.pem"
    broken.write_text("not a certificate")
    with pytest.raises(ValueError, match="CA bundle"):
        tls_context(broken)
    with pytest.raises(ValueError, match="CA bundle"):
        ApiClient(ApiConfig(base_url="https://crm.example", ca_bundle=tmp_path / "missing.pem"))


def test_logs_never_hold_tokens_or_passwords(
    harness: Harness, desk: DeskServer, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = harness.client(desk.url)
    with pytest.raises(NotAuthenticated):
        client.login("agent", "hunter2-wrong")
    client.login("agent", PASSWORD, "desk", keep_signed_in=True)
    secrets = {"hunter2-wrong", saved_token(memory_keyring, desk) or "?"}
    desk.script.on("/api/v1/me", protocol_error(401, "not_authenticated"), protocol_error(503, "unavailable"))
    client.me()
    secrets.add(saved_token(memory_keyring, desk) or "?")
    secrets |= {r.headers["authorization"][7:] for r in desk.script.requests if "authorization" in r.headers}
    client.logout()
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert len(secrets) >= 4 and "signed in as agent" in text
    for secret in secrets:
        assert secret not in text


def test_the_secret_filter_blanks_what_looks_like_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    assert redact("Authorization: Bearer abc.def-1") == f"Authorization: Bearer {REDACTED}"
    assert redact('{"refresh_token": "r1", "password":"p w"}') == (
        f'{{"refresh_token": "{REDACTED}", "password":"{REDACTED}"}}'
    )
    assert redact("url?access_token=xyz&x=1") == f"url?access_token={REDACTED}&x=1"
    logger = logging.getLogger("tests.desktop.secret_filter")
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(SecretFilter())
    logger.info("sent %s", {"password": "hunter2"})
    try:
        raise RuntimeError("refresh_token=abcdef")
    except RuntimeError:
        logger.exception("failed")
    assert "hunter2" not in caplog.text and "abcdef" not in caplog.text
    assert caplog.text.count(REDACTED) >= 2


def test_retry_after_parses_seconds_and_dates() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("nan") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("1e12") == 86_400.0
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
