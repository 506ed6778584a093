"""A minimal sync client for API tests: login, pull to the head, push, and a local mirror."""

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


def login(base_url: str, username: str, password: str = "demo") -> httpx.Client:
    http = httpx.Client(base_url=base_url, timeout=30)
    resp = http.post(
        "/api/v1/auth/login", json={"username": username, "password": password, "device_name": "t"}
    )
    resp.raise_for_status()
    http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    return http


@dataclass
class Mirror:
    """What a client holds, per scope: (entity, id) → (version, fields)."""

    http: httpx.Client
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    epoch: str | None = None
    cursors: dict[str, str | None] = field(default_factory=dict)
    rows: dict[str, dict[tuple[str, str], tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    seen: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    client_seq: int = 0
    acked_through: int = 0

    def subscribe(self, *scopes: str) -> None:
        for s in scopes:
            self.cursors.setdefault(s, None)
            self.rows.setdefault(s, {})

    def pull_once(self, limit: int = 500, wait_ms: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "client_id": self.client_id,
            "protocol": 1,
            "epoch": self.epoch,
            "scopes": dict(self.cursors),
            "limit": limit,
        }
        if wait_ms is not None:
            body["wait_ms"] = wait_ms
        resp = self.http.post("/api/v1/sync/pull", json=body)
        resp.raise_for_status()
        page = resp.json()
        self.apply(page)
        return page

    def apply(self, page: dict[str, Any]) -> None:
        self.epoch = page["epoch"]
        self.acked_through = page["client_acked_through"]
        for scope, sp in page["scopes"].items():
            held = self.rows[scope]
            if sp["mode"] == "reset":
                held.clear()
                self.cursors[scope] = None
                continue
            for c in sp["changes"]:
                self.seen.append((scope, c["seq"], c["entity"], c["id"], c["op"]))
                key = (c["entity"], c["id"])
                if c["op"] == "upsert":
                    old = held.get(key)
                    if old is None or old[0] < c["version"]:
                        held[key] = (c["version"], c["fields"])
                else:
                    held.pop(key, None)
            self.cursors[scope] = sp["next"]

    def pull_all(self, limit: int = 500, max_pages: int = 10_000) -> int:
        pages = 0
        while pages < max_pages:
            page = self.pull_once(limit)
            pages += 1
            if not any(sp["has_more"] for sp in page["scopes"].values()):
                return pages
        raise AssertionError("pull did not reach the head")

    def checksum(self, scope: str) -> str:
        digest = hashlib.sha256()
        for (entity, row_id), (version, _f) in sorted(self.rows[scope].items()):
            digest.update(f"{entity}\t{row_id}\t{version}\n".encode())
        return "sha256:" + digest.hexdigest()

    def server_checksum(self, scope: str) -> dict[str, Any]:
        resp = self.http.get(
            "/api/v1/sync/scope_checksum", params={"scope": scope}, headers={"X-Client-Id": self.client_id}
        )
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def mutation(
        self,
        entity: str,
        entity_id: str,
        op: str,
        new_values: dict[str, Any],
        *,
        base_version: int | None = None,
        base_values: dict[str, Any] | None = None,
        depends_on: str | None = None,
        mutation_id: str | None = None,
    ) -> dict[str, Any]:
        self.client_seq += 1
        return {
            "mutation_id": mutation_id or str(uuid.uuid4()),
            "client_seq": self.client_seq,
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "base_version": base_version,
            "base_values": base_values,
            "new_values": new_values,
            "depends_on": depends_on,
        }

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        resp = self.http.post(
            "/api/v1/sync/push",
            json={
                "client_id": self.client_id,
                "protocol": 1,
                "epoch": self.epoch,
                "mutations": list(mutations),
            },
        )
        resp.raise_for_status()
        results: list[dict[str, Any]] = resp.json()["results"]
        return results

    def held(self, scope: str, entity: str, row_id: str) -> dict[str, Any] | None:
        got = self.rows[scope].get((entity, row_id))
        return got[1] if got is not None else None
