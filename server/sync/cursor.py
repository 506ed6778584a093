"""Pull cursors: opaque to clients, base64url of a small JSON document and its HMAC.

`{"v": 1, "e": epoch, "s": scope, "m": "snapshot"|"log", "q": seq, "s0": S0, "k": [entity index, last id]}`
In snapshot mode `s0` is the head when priming began and `k` the keyset position (resumable); in
log mode `q` is the last sequence number the client has for this scope. The HMAC (keyed with the
server's secret) stops a client from forging a cursor, e.g. one ahead of the head, which the server
would take for a restored database.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal


class BadCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Cursor:
    epoch: str
    scope: str
    mode: Literal["snapshot", "log"]
    seq: int = 0
    s0: int = 0
    entity_index: int = 0
    last_id: str = ""

    def encode(self, secret: str) -> str:
        doc = {
            "v": 1,
            "e": self.epoch,
            "s": self.scope,
            "m": self.mode,
            "q": self.seq,
            "s0": self.s0,
            "k": [self.entity_index, self.last_id],
        }
        raw = json.dumps(doc, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{body}.{_mac(secret, body)}"

    @property
    def position(self) -> int:
        """The sequence number the client's data for this scope reflects."""
        return self.s0 if self.mode == "snapshot" else self.seq


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def decode_cursor(text: str, secret: str) -> Cursor:
    body, _, mac = text.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadCursor("cursor not issued by this server")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        doc = json.loads(raw)
        mode = doc["m"]
        key = doc["k"]
        if doc.get("v") != 1 or mode not in ("snapshot", "log") or not isinstance(key, list):
            raise BadCursor("unsupported cursor")
        cursor = Cursor(
            epoch=str(doc["e"]),
            scope=str(doc["s"]),
            mode=mode,
            seq=int(doc["q"]),
            s0=int(doc["s0"]),
            entity_index=int(key[0]),
            last_id=str(key[1]),
        )
    except (binascii.Error, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if cursor.seq < 0 or cursor.s0 < 0 or cursor.entity_index < 0 or len(cursor.last_id) > 64:
        raise BadCursor("malformed cursor")
    return cursor
