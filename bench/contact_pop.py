"""Contact pop over loopback: from the phone system posting `contact_routed` to the agent's
customer screen painted.

    python bench/contact_pop.py [--customers N] [--pops P] [--warmup W] [--profile]

Issue 5's goal: p95 ≤ 100 ms. Everything is real: the reference server as a child process on a
seeded SQLite database (`DemoServer`, N customers), the desktop's `Shell` signed in as the demo
agent on a throwaway profile, offscreen (`QT_QPA_PLATFORM=offscreen`), its sync engine holding the
SSE stream. One pop, timed with `perf_counter_ns`:

1. (not timed) the phone system posts `contact_offered` + `contact_queued` for a cached customer's
   number (one that belongs to one customer only);
2. t0: the bench posts `contact_routed` to the agent (`POST /api/v1/telephony/events`, integration
   key) — the server ingests it and pushes `incoming_contact` over SSE;
3. t1: the event reaches the GUI thread (`ChangeHub.server_event`) — the desk's handler is wrapped
   to note this time, then runs: the cache lookup and `MainWindow.open_customer`;
4. t2: the posted layout requests are sent and the window is repainted synchronously (the paint
   the event loop would make next).

Printed: total (t2 - t0), and its parts — transport (t1 - t0: the POST, ingest, SSE and the hop to
the GUI thread; the same-run baseline: a poke's round trip carries the same path) and GUI
(t2 - t1: pop and paint). Between pops (not timed) the phone system ends the contact
(`contact_abandoned`), the tab is closed and the event loop drained.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QCoreApplication,
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from desktop.app import Shell, ShellOptions  # noqa: E402
from desktop.services.api import ServerEvent  # noqa: E402
from desktop.services.demo_server import DEMO_PASSWORD, DEMO_USERNAME, DemoServer  # noqa: E402
from desktop.services.session import SignInRequest  # noqa: E402
from desktop.services.settings import resolve_paths  # noqa: E402
from desktop.services.store.schema import MIRRORS  # noqa: E402
from desktop.views.agent.desk import AgentDesk  # noqa: E402

GOAL_P95_MS: Final = 100.0
#: generous waits for a shared machine (first sync of the demo cache, one event)
SYNC_TIMEOUT_MS: Final = 600_000
EVENT_TIMEOUT_MS: Final = 60_000


def _quiet_offscreen(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Drop the offscreen plugin's "does not support" notes; print the rest."""
    if not message.startswith("This plugin does not support"):
        sys.stderr.write(f"qt {kind.name}: {message}\n")


def cuts(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[94]


def figure(samples: list[float]) -> str:
    p50, p95 = cuts(samples)
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   max {max(samples):7.2f} ms"


def wait_until(app: QApplication, done: "Any", timeout_ms: int, what: str) -> None:
    """Run the event loop until `done()` (checked on every event batch) or fail after the time-out."""
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_ms / 1000
    ticker = QTimer()
    ticker.setInterval(1)
    ticker.timeout.connect(lambda: loop.quit() if done() or time.monotonic() > deadline else None)
    ticker.start()
    if not done():
        loop.exec()
    ticker.stop()
    if not done():
        raise SystemExit(f"contact_pop: timed out waiting for {what}")


def integration_key(demo: DemoServer) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "create-integration-key",
            "--database",
            demo.database_url,
            "--name",
            "bench",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    return out.stdout.strip().splitlines()[-1]


def single_owner_phones(shell: Shell, count: int) -> list[str]:
    """Numbers that belong to exactly one cached customer."""
    assert shell.session is not None
    cp = MIRRORS["contact_point"]
    query = (
        select(cp.c.value)
        .where(cp.c.kind == "phone")
        .group_by(cp.c.value)
        .having(func.count(func.distinct(cp.c.customer_id)) == 1)
        .limit(count)
    )
    with shell.session.cache.read() as conn:
        return [str(v) for v in conn.execute(query).scalars()]


@dataclass
class Phones:
    client: httpx.Client
    key: str

    def post(self, *events: dict[str, Any]) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        batch = [{"event_id": str(uuid.uuid4()), "at": now, **e} for e in events]
        answer = self.client.post(
            "/api/v1/telephony/events",
            json={"events": batch},
            headers={"Authorization": f"Bearer {self.key}"},
        )
        answer.raise_for_status()


@dataclass
class Sample:
    transport_ms: float
    gui_ms: float
    #: of gui_ms: the desk's handling (parse, cache lookup, open the tab, ring the bar)
    pop_ms: float

    @property
    def total_ms(self) -> float:
        return self.transport_ms + self.gui_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--pops", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print the top functions of the GUI part")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    qInstallMessageHandler(_quiet_offscreen)
    profile = Path(tempfile.mkdtemp(prefix="liaison-bench-contact-pop-"))
    paths = resolve_paths(profile).ensure()
    sys.stderr.write(f"seeding a demo server with {args.customers} customers…\n")
    with DemoServer(customers=args.customers) as demo:
        key = integration_key(demo)
        settings = QSettings(str(paths.data_dir / "ui.ini"), QSettings.Format.IniFormat)
        options = ShellOptions(
            server_url=demo.url,
            username=DEMO_USERNAME,
            auto_sign_in=SignInRequest(demo.url, DEMO_USERNAME, DEMO_PASSWORD),
            encrypted_cache=False,
            integrity_check_delay_ms=3_600_000,
        )
        shell = Shell(app, paths, settings, options)
        shell.start()
        try:
            return run(app, shell, demo, key, args.pops, args.warmup, args.profile)
        finally:
            if shell.window is not None:
                shell.window.close()
            shell.shutdown()


def run(
    app: QApplication, shell: Shell, demo: DemoServer, key: str, pops: int, warmup: int, profile: bool
) -> int:
    wait_until(
        app,
        lambda: (
            shell.bridge is not None and shell.bridge.status is not None and shell.bridge.status.last_success
        ),
        SYNC_TIMEOUT_MS,
        "the first sync",
    )
    window, session = shell.window, shell.session
    assert window is not None and window.tabs is not None and window.ctx is not None and session is not None
    desk = window.agent_desk
    if not isinstance(desk, AgentDesk):
        raise SystemExit("contact_pop: the demo user has no agent desk")
    user = session.user
    assert user is not None
    queue_id = user.queue_ids[0]
    window.resize(1280, 800)
    numbers = single_owner_phones(shell, pops + warmup)
    if len(numbers) < pops + warmup:
        raise SystemExit(f"contact_pop: only {len(numbers)} single-owner numbers in the cache")

    profiler = cProfile.Profile() if profile else None
    arrived: list[int] = []
    hub = window.ctx.hub
    hub.server_event.disconnect(desk.on_server_event)

    handled: list[int] = []
    painted: list[int] = []
    spare_ready: list[bool] = []

    def timed(event: ServerEvent) -> None:
        if event.event != "incoming_contact":
            desk.on_server_event(event)
            return
        arrived.append(time.perf_counter_ns())
        spare_ready.append(window.tabs is not None and window.tabs.spare is not None)
        if profiler is not None:
            profiler.enable()
        desk.on_server_event(event)
        handled.append(time.perf_counter_ns())
        # the paint the event loop makes next: the posted layout requests, then the window
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
        window.repaint()
        painted.append(time.perf_counter_ns())
        if profiler is not None:
            profiler.disable()

    hub.server_event.connect(timed)
    samples: list[Sample] = []
    with httpx.Client(base_url=demo.url, timeout=60.0) as client:
        phones = Phones(client, key)
        desk.request_state("available", None)
        wait_until(app, lambda: desk.state_control.state is not None, EVENT_TIMEOUT_MS, "the agent's state")
        for n, number in enumerate(numbers):
            contact_id = f"bench-{uuid.uuid4()}"
            phones.post(
                {"type": "contact_offered", "contact_id": contact_id, "queue_id": queue_id, "phone": number},
                {"type": "contact_queued", "contact_id": contact_id, "queue_id": queue_id},
            )
            arrived.clear()
            handled.clear()
            painted.clear()
            start = time.perf_counter_ns()
            phones.post({"type": "contact_routed", "contact_id": contact_id, "agent_id": user.id})
            wait_until(app, lambda: bool(painted), EVENT_TIMEOUT_MS, "the pop")
            if window.tabs.count() != 1:
                raise SystemExit("contact_pop: the pop did not open the customer's tab")
            if n >= warmup:
                samples.append(
                    Sample(
                        (arrived[0] - start) / 1e6,
                        (painted[0] - arrived[0]) / 1e6,
                        (handled[0] - arrived[0]) / 1e6,
                    )
                )
            # not timed: the caller hangs up, the tab closes, the loop settles
            phones.post({"type": "contact_abandoned", "contact_id": contact_id})
            wait_until(app, lambda cid=contact_id: cid not in desk.contacts, EVENT_TIMEOUT_MS, "the hang-up")
            window.tabs.close_tab()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
            app.processEvents()

    total = [s.total_ms for s in samples]
    print(f"contact pop over loopback: {len(samples)} pops ({warmup} warm-up pops not counted)")
    print(f"  routed → screen painted   {figure(total)}   (goal p95 ≤ {GOAL_P95_MS:.0f} ms)")
    print(
        f"  baseline: routed → event on the GUI thread (POST, ingest, SSE) {figure([s.transport_ms for s in samples])}"
    )
    print(f"  GUI: pop and paint        {figure([s.gui_ms for s in samples])}")
    print(f"    of which the pop        {figure([s.pop_ms for s in samples])}")
    print(f"    of which layout, paint  {figure([s.gui_ms - s.pop_ms for s in samples])}")
    print(f"  spare screen ready for {sum(spare_ready[warmup:])} of {len(samples)} pops")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    p95 = cuts(total)[1]
    print(f"  goal {'met' if p95 <= GOAL_P95_MS else 'NOT met'}: p95 {p95:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
