"""Auth over real HTTP against both backends: login, tokens, refresh rotation, logout, limits."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.auth import tokens
from server.auth.passwords import verify_password
from server.db import tables as t
from server.db.engine import Database
from server.sync.changes import ChangeWriter
from tests.support.demo import DemoServer

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
USERS = "/api/v1/admin/users"


@pytest.fixture
def client(server_url: DemoServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url.url, timeout=10) as c:
        yield c


@pytest.fixture
def db(server_url: DemoServer) -> Iterator[Database]:
    database = Database(server_url.db_url)
    yield database
    database.dispose()


def login(client: httpx.Client, username: str, password: str = "demo") -> dict[str, Any]:
    response = client.post(LOGIN, json={"username": username, "password": password, "device_name": "test"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body


def test_login_returns_a_token_pair_and_the_user(client: httpx.Client, server_url: DemoServer) -> None:
    pair = login(client, "agent")
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == server_url.settings.access_token_ttl_s
    assert pair["access_token"] != pair["refresh_token"]
    user = pair["user"]
    assert user == {
        "id": server_url.agent_id,
        "username": "agent",
        "display_name": "Agent",
        "roles": ["agent"],
        "queue_ids": server_url.queue_ids,
        "territory_ids": [],
    }
    me = client.get(ME, headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json() == user
    rep = login(client, "fieldrep")["user"]
    assert rep["roles"] == ["field_rep"] and rep["territory_ids"] == server_url.territory_ids


def test_wrong_password_and_unknown_user_are_the_same_401(client: httpx.Client) -> None:
    wrong = client.post(LOGIN, json={"username": "agent", "password": "nope"})
    unknown = client.post(LOGIN, json={"username": "nobody", "password": "nope"})
    assert_error(wrong, 401, "not_authenticated")
    assert_error(unknown, 401, "not_authenticated")
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert "access_token" not in wrong.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Basic YWdlbnQ6ZGVtbw=="},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "garbage", "basic", "empty"],
)
def test_me_refuses_a_missing_or_bad_token(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.get(ME, headers=headers)
    assert_error(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_me_refuses_expired_and_forged_tokens(
    client: httpx.Client, db: Database, server_url: DemoServer
) -> None:
    pair = login(client, "agent")
    claims = tokens.decode_access_token(_secret(db), pair["access_token"], now=int(time.time()))
    secret = _secret(db)
    long_ago = int(time.time()) - 10_000
    expired = tokens.issue_access_token(
        secret, user_id=server_url.agent_id, session_id=claims.sid, now=long_ago, ttl_s=900
    )
    forged = tokens.issue_access_token(
        "not-the-secret", user_id=server_url.admin_id, session_id=claims.sid, now=int(time.time()), ttl_s=900
    )
    payload, _, signature = pair["access_token"].partition(".")
    tampered = (
        tokens.issue_access_token(
            secret, user_id=server_url.admin_id, session_id=claims.sid, now=int(time.time()), ttl_s=900
        ).partition(".")[0]
        + "."
        + signature
    )
    for token in (expired, forged, tampered):
        assert_error(client.get(ME, headers=bearer(token)), 401, "not_authenticated")
    # the genuine token still works, so the refusals above were about the tokens
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    assert payload


def _secret(db: Database) -> str:
    with db.read() as conn:
        return str(conn.execute(select(t.server_meta.c.token_secret)).scalar_one())


def _new_user(**overrides: Any) -> dict[str, Any]:
    return {
        "username": "newagent",
        "display_name": "New Agent",
        "password": "correct horse battery",
        "roles": ["agent"],
        **overrides,
    }


def test_only_admins_create_users(client: httpx.Client, server_url: DemoServer) -> None:
    for username in ("agent", "supervisor", "fieldrep"):
        token = login(client, username)["access_token"]
        assert_error(client.post(USERS, json=_new_user(), headers=bearer(token)), 403, "forbidden")
    assert_error(client.post(USERS, json=_new_user()), 401, "not_authenticated")

    admin = login(client, "admin")["access_token"]
    created = client.post(USERS, json=_new_user(queue_ids=server_url.queue_ids[:1]), headers=bearer(admin))
    assert created.status_code == 201, created.text
    assert created.json()["queue_ids"] == server_url.queue_ids[:1]
    assert login(client, "newagent", "correct horse battery")["user"]["id"] == created.json()["id"]
    again = client.post(USERS, json=_new_user(), headers=bearer(admin))
    assert_error(again, 409, "conflict")
    unknown_queue = client.post(
        USERS, json=_new_user(username="other", queue_ids=["q-x"]), headers=bearer(admin)
    )
    assert_error(unknown_queue, 422, "validation_failed")


def test_created_users_sync_as_the_user_directory(client: httpx.Client, db: Database) -> None:
    admin = login(client, "admin")["access_token"]
    created = client.post(USERS, json=_new_user(), headers=bearer(admin)).json()
    with db.read() as conn:
        logged = conn.execute(
            select(t.change_log.c.entity, t.change_log.c.op).where(t.change_log.c.entity_id == created["id"])
        ).all()
    assert [tuple(row) for row in logged] == [("user_directory", "upsert")]


def test_refresh_rotates_and_reuse_revokes_the_whole_family(client: httpx.Client) -> None:
    first = login(client, "agent")
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer(rotated["access_token"])).status_code == 200

    # the old refresh token worked once; presenting it again is reuse
    assert_error(
        client.post(REFRESH, json={"refresh_token": first["refresh_token"]}), 401, "not_authenticated"
    )
    # ...and it killed the newest token of the family and the session's access tokens
    assert_error(
        client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]}), 401, "not_authenticated"
    )
    assert_error(client.get(ME, headers=bearer(rotated["access_token"])), 401, "not_authenticated")
    assert_error(client.get(ME, headers=bearer(first["access_token"])), 401, "not_authenticated")

    # another session of the same user is untouched
    other = login(client, "agent")
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200
    assert client.post(REFRESH, json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_unknown_refresh_token_is_401(client: httpx.Client) -> None:
    assert_error(client.post(REFRESH, json={"refresh_token": "not-a-token"}), 401, "not_authenticated")


def test_logout_revokes_the_session(client: httpx.Client) -> None:
    pair = login(client, "supervisor")
    out = client.post(
        LOGOUT, headers=bearer(pair["access_token"]), json={"refresh_token": pair["refresh_token"]}
    )
    assert out.status_code == 200 and out.json() == {"revoked": True}
    assert_error(client.get(ME, headers=bearer(pair["access_token"])), 401, "not_authenticated")
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}), 401, "not_authenticated"
    )


def test_logout_with_only_the_refresh_token(client: httpx.Client) -> None:
    pair = login(client, "agent")
    out = client.post(LOGOUT, json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 200 and out.json() == {"revoked": True}
    assert_error(client.get(ME, headers=bearer(pair["access_token"])), 401, "not_authenticated")
    assert_error(client.post(LOGOUT), 401, "not_authenticated")


def test_sixth_failure_is_rate_limited_even_with_the_right_password(
    client: httpx.Client, server_url: DemoServer
) -> None:
    limit = server_url.settings.login_max_failures_per_user
    for _ in range(limit):
        assert_error(
            client.post(LOGIN, json={"username": "agent", "password": "wrong"}), 401, "not_authenticated"
        )
    limited = client.post(LOGIN, json={"username": "agent", "password": "wrong"})
    assert_error(limited, 429, "rate_limited")
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= server_url.settings.login_window_s
    assert_error(client.post(LOGIN, json={"username": "agent", "password": "demo"}), 429, "rate_limited")
    # the limit is per user: another user logs in
    assert login(client, "supervisor")["user"]["username"] == "supervisor"


def test_a_successful_login_clears_the_failures(client: httpx.Client, server_url: DemoServer) -> None:
    limit = server_url.settings.login_max_failures_per_user
    for _ in range(limit - 1):
        assert client.post(LOGIN, json={"username": "agent", "password": "wrong"}).status_code == 401
    login(client, "agent")
    for _ in range(limit - 1):
        assert client.post(LOGIN, json={"username": "agent", "password": "wrong"}).status_code == 401
    login(client, "agent")


def test_failures_from_one_address_are_limited_across_usernames(demo_server: Any) -> None:
    server: DemoServer = demo_server(login_max_failures_per_address=3)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for name in ("a1", "a2", "a3"):
            assert client.post(LOGIN, json={"username": name, "password": "x"}).status_code == 401
        limited = client.post(LOGIN, json={"username": "admin", "password": "demo"})
        assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0


def test_passwords_are_stored_as_scrypt_hashes(db: Database) -> None:
    with db.read() as conn:
        hashes = list(conn.execute(select(t.app_user.c.password_hash)).scalars())
    assert len(hashes) == 4
    for stored in hashes:
        assert stored.startswith("scrypt$16384$8$1$")
        assert "demo" not in stored
        assert verify_password("demo", stored) and not verify_password("Demo", stored)
    salts = {stored.split("$")[4] for stored in hashes}
    assert len(salts) == 4  # every user has their own salt, so equal passwords hash differently


def test_disabled_users_cannot_log_in_and_lose_their_sessions(
    client: httpx.Client, db: Database, server_url: DemoServer
) -> None:
    pair = login(client, "fieldrep")
    with db.write() as conn:
        ChangeWriter(conn).update("user_directory", server_url.fieldrep_id, {"disabled": True})
    assert_error(
        client.post(LOGIN, json={"username": "fieldrep", "password": "demo"}), 401, "not_authenticated"
    )
    assert_error(client.get(ME, headers=bearer(pair["access_token"])), 401, "not_authenticated")
    assert_error(
        client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}), 401, "not_authenticated"
    )


def test_auth_events_are_audited(client: httpx.Client, db: Database, server_url: DemoServer) -> None:
    assert client.post(LOGIN, json={"username": "agent", "password": "wrong"}).status_code == 401
    first = login(client, "agent")
    client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    second = login(client, "agent")
    client.post(LOGOUT, headers=bearer(second["access_token"]))
    with db.read() as conn:
        rows = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.user_id, t.audit_log.c.address)
            .where(t.audit_log.c.action.in_(["login", "login_failed", "refresh_reuse", "logout"]))
            .order_by(t.audit_log.c.id)
        ).all()
    assert [r.action for r in rows] == ["login_failed", "login", "refresh_reuse", "login", "logout"]
    assert {r.user_id for r in rows} == {server_url.agent_id}
    assert all(r.address == "127.0.0.1" for r in rows)
