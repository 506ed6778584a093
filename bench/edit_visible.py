"""Edit-to-visible latency: a local edit on desktop A until desktop B's cache holds it.

1. a temporary server database seeded with `server.cli seed --customers N` (default 2,000), served
   by `server.cli serve` in its own process on a free loopback port (see `prime_throughput.py`);
2. baseline, same run, without the engine: a bare httpx client pushes a customer update and a
   second bare client (already at the head of `directory`) pulls until the new value arrives →
   the raw HTTP round trip (push + pull), p50/p95 over `--edits`;
3. engine: desktops A (the demo agent) and B (the demo supervisor), each with its own encrypted
   cache, prime their scopes, then run `SyncEngine.run_forever` on threads (SSE pokes, the live
   loop as it is). A applies `apply_local_edit` (display name of a customer) and calls
   `engine.request_sync()`; the clock starts when the local commit returned and stops in B's
   `on_changed` callback, on B's engine thread, when B's cache holds the new value → p50/p95/max
   over `--edits` edits, one at a time (the next edit once both engines are idle again).

Run: `.venv/bin/python bench/edit_visible.py [--customers N] [--edits E] [--workdir DIR]`
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.prime_throughput import DEMO_PASSWORD, new_key, open_encrypted_cache, seeded_server  # noqa: E402
from desktop.services.api import ApiClient  # noqa: E402
from desktop.services.api_http import ApiConfig  # noqa: E402
from desktop.services.store import Cache, Changed, apply_local_edit  # noqa: E402
from desktop.services.sync import SyncEngine  # noqa: E402
from desktop.services.sync_status import SyncStatus  # noqa: E402
from wire.fast import decode_and_validate  # noqa: E402
from wire.records import Customer  # noqa: E402

GOAL_P95_MS = 250.0
#: the longest one edit may take to show up before the run is declared broken
VISIBLE_TIMEOUT_S = 60.0
IDLE_TICK_S = 0.005


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms, max {max(samples_ms):.0f} ms (n={len(samples_ms)})"


# ---- baseline: bare HTTP ----------------------------------------------------------------------


class RawClient:
    """A bare sync client: login, pull `directory` with the fast decoder, push."""

    def __init__(self, url: str, username: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)
        body = {"username": username, "password": DEMO_PASSWORD, "device_name": "bench"}
        resp = self.http.post("/api/v1/auth/login", json=body)
        resp.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.client_id = str(uuid.uuid4())
        self.epoch: str | None = None
        self.cursor: str | None = None
        self.seq = 0

    def pull(self) -> tuple[dict[str, tuple[int, str]], bool]:
        """One `directory` page: (customer id → (version, display name), has_more)."""
        body = {
            "client_id": self.client_id,
            "protocol": 1,
            "epoch": self.epoch,
            "scopes": {"directory": self.cursor},
            "limit": 2000,
        }
        resp = self.http.post("/api/v1/sync/pull", json=body)
        resp.raise_for_status()
        page, validated = decode_and_validate(resp.content)
        self.epoch = page.epoch
        self.cursor = page.scopes["directory"].next
        found = {
            c.id: (c.version, c.record.display_name)
            for c in validated.get("directory", [])
            if isinstance(c.record, Customer)
        }
        return found, page.scopes["directory"].has_more

    def pull_to_head(self) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        more = True
        while more:
            page, more = self.pull()
            found.update(page)
        return found

    def push_rename(self, customer_id: str, version: int, old: str, new: str) -> None:
        self.seq += 1
        mutation = {
            "mutation_id": str(uuid.uuid4()),
            "client_seq": self.seq,
            "entity": "customer",
            "entity_id": customer_id,
            "op": "update",
            "base_version": version,
            "base_values": {"display_name": old},
            "new_values": {"display_name": new},
        }
        body = {"client_id": self.client_id, "protocol": 1, "epoch": self.epoch, "mutations": [mutation]}
        resp = self.http.post("/api/v1/sync/push", json=body)
        resp.raise_for_status()
        outcome = resp.json()["results"][0]["outcome"]
        if outcome not in ("applied", "merged"):
            raise RuntimeError(f"the baseline push was {outcome}")

    def close(self) -> None:
        self.http.close()


def baseline(url: str, edits: int) -> list[float]:
    """Push with one bare client, pull with another until the value is there: ms per edit."""
    writer, reader = RawClient(url, "agent"), RawClient(url, "supervisor")
    try:
        customers = list(reader.pull_to_head().items())
        samples: list[float] = []
        for n, (customer_id, (version, name)) in enumerate(customers[:edits]):
            new = f"{name} (raw {n})"
            started = time.perf_counter()
            writer.push_rename(customer_id, version, name, new)
            seen = False
            while not seen:
                page, _more = reader.pull()
                seen = page.get(customer_id, (0, ""))[1] == new
            samples.append((time.perf_counter() - started) * 1000)
        return samples
    finally:
        writer.close()
        reader.close()


# ---- the engine -------------------------------------------------------------------------------


class Visible:
    """B's `on_changed`: notes the moment B's cache holds the value awaited (on B's engine thread)."""

    def __init__(self) -> None:
        self.cache: Cache | None = None
        self._lock = threading.Lock()
        self._awaited: tuple[str, str] | None = None
        self.seen = threading.Event()
        self.at = 0.0

    def expect(self, customer_id: str, value: str) -> None:
        with self._lock:
            self._awaited = (customer_id, value)
            self.seen.clear()

    def __call__(self, changed: Changed) -> None:
        with self._lock:
            awaited = self._awaited
        if awaited is None or self.cache is None or awaited[0] not in changed.ids("customer"):
            return
        with self.cache.read() as conn:
            name = conn.execute(
                text("SELECT display_name FROM customer WHERE id = :id"), {"id": awaited[0]}
            ).scalar()
        if name == awaited[1]:
            self.at = time.perf_counter()
            with self._lock:
                self._awaited = None
            self.seen.set()


class Pending:
    """An engine's `on_status`: its latest count of unacknowledged edits."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, status: SyncStatus) -> None:
        self.count = status.pending


@dataclass
class Desktop:
    cache: Cache
    api: ApiClient
    engine: SyncEngine
    pending: Pending
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.engine.run_forever, args=(self.stop,), daemon=True)
        self.thread.start()

    def idle(self) -> bool:
        engine = self.engine
        return (
            self.pending.count == 0
            and not engine.busy
            and engine.edit_requested_at is None
            and engine.poke_requested_at is None
        )

    def close(self) -> None:
        self.stop.set()
        self.engine.wake.set()
        if self.thread is not None:
            self.thread.join(120)
        self.api.close()
        self.cache.close()


def desktop(url: str, username: str, path: Path, on_changed: Callable[[Changed], None] | None) -> Desktop:
    cache = open_encrypted_cache(path, new_key())
    api = ApiClient(ApiConfig(base_url=url))
    api.login(username, DEMO_PASSWORD)
    pending = Pending()
    engine = SyncEngine(cache, api, on_status=pending, on_changed=on_changed)
    engine.run_once()  # primed before the clock runs
    return Desktop(cache, api, engine, pending)


def wait_idle(*desktops: Desktop) -> None:
    """Until both engines have nothing to do (a bench may poll: this is not a test)."""
    deadline = time.monotonic() + VISIBLE_TIMEOUT_S
    tick = threading.Event()
    while not all(d.idle() for d in desktops):
        if time.monotonic() > deadline:
            raise RuntimeError("the engines did not settle")
        tick.wait(IDLE_TICK_S)


def engine_latencies(url: str, folder: Path, edits: int, skip: int) -> list[float]:
    visible = Visible()
    a = desktop(url, "agent", folder / "a.db", None)
    b = desktop(url, "supervisor", folder / "b.db", visible)
    visible.cache = b.cache
    try:
        with a.cache.read() as conn:
            rows = conn.execute(
                text("SELECT id, display_name FROM customer ORDER BY id LIMIT :n OFFSET :skip"),
                {"n": edits, "skip": skip},
            ).all()
        a.start()
        b.start()
        samples: list[float] = []
        for n, (customer_id, name) in enumerate(rows):
            wait_idle(a, b)
            new = f"{name} (engine {n})"
            visible.expect(customer_id, new)
            apply_local_edit(a.cache.writer, "customer", customer_id, "update", {"display_name": new})
            committed = time.perf_counter()
            a.engine.request_sync()
            if not visible.seen.wait(VISIBLE_TIMEOUT_S):
                raise RuntimeError(f"edit {n} did not reach B within {VISIBLE_TIMEOUT_S:.0f} s")
            samples.append((visible.at - committed) * 1000)
        return samples
    finally:
        a.close()
        b.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=2_000, metavar="N")
    parser.add_argument("--edits", type=int, default=200, metavar="E")
    parser.add_argument("--workdir", metavar="DIR", help="keep (and reuse) the seeded server database here")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    with (
        seeded_server(args.customers, args.workdir) as server,
        TemporaryDirectory(prefix="liaison-edit-") as tmp,
    ):
        raw = baseline(server.url, args.edits)
        print(f"baseline, bare httpx push + pull: {percentiles(raw)}")
        # the engine edits other customers than the baseline (whose versions it moved)
        engine = engine_latencies(server.url, Path(tmp), args.edits, skip=args.edits)
        print(f"engine, A's local commit → B's cache (SSE, run_forever): {percentiles(engine)}")
        p95 = statistics.quantiles(engine, n=100, method="inclusive")[94]
        raw95 = statistics.quantiles(raw, n=100, method="inclusive")[94]
        print(f"ratio engine / baseline at p95: {p95 / raw95:.1f}x")
        print(f"goal p95 ≤ {GOAL_P95_MS:.0f} ms: {'met' if p95 <= GOAL_P95_MS else 'NOT met'}")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
