"""Screen pop: from a caller's phone number (E.164) to the customer screen repainted at 1280x800.

    python bench/screen_pop.py --cache DIR/cache.db [--customers N] [--pops P] [--profile]
                               [--spare fresh|recycled] [--paint window|dirty]

On the cache of `bench/desktop_cache.py` (built first if missing: 1,000,000 customers, ~10M
interactions), the real `MainWindow` with the real `SearchBox` and `CustomerScreen`, offscreen
(`QT_QPA_PLATFORM=offscreen`, Qt's software raster, as the tests run). One pop, timed with
`perf_counter_ns`:

1. lookup: `customers_by_phone` on a read connection (a random existing customer's phone);
2. open: `MainWindow.open_customer(id)` (fills the tabs' spare `CustomerScreen` and adds it as a
   new tab: profile, identities, contact points, timeline index and first rows, open cases);
3. layout: the posted `LayoutRequest` events (the new screen's geometry);
4. paint: `MainWindow.repaint()`, one synchronous software paint of the whole window (`--paint
   window`, the default), or `--paint dirty`: the posted `UpdateLater` then `UpdateRequest` events,
   i.e. the one paint the event loop makes after a pop, of the regions the pop made dirty (the tabs,
   not the tool bar or status bar). Note that `repaint()` runs before the `UpdateLater` events Qt
   posts when widgets are shown, so in the default mode Qt paints the new screen a second time
   after the timed paint (not timed); the event loop paints it once.

Between pops (not timed) the previous tab is closed and the event loop drained, so each pop opens
a screen in a window with no other tab, as an agent's first pop of a call does. `--spare fresh`
(default): the event loop runs before the tab is closed, so the tabs build a new spare screen while
idle (never shown before the pop) and the closed screen is deleted, as when an agent keeps tabs
open; `--spare recycled`: the tab is closed first and its screen becomes the spare.

Floor, same run: `repaint()` of the same window showing a customer screen, nothing changed.
Before measuring, the cache file is read once so that its pages are in the OS cache (the sandbox
evicts them; `--cold` skips this). `--profile` prints the top functions of a cProfile run.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import (  # noqa: E402
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QSettings,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.desktop_cache import DEFAULT_CUSTOMERS, describe, ensure_cache  # noqa: E402
from desktop.services.store import Cache, customers_by_phone, open_cache  # noqa: E402
from desktop.views.context import ChangeHub, ViewContext  # noqa: E402
from desktop.views.main_window import MainWindow  # noqa: E402
from desktop.views.tasks import TaskRunner  # noqa: E402
from desktop.views.theme import apply_theme  # noqa: E402

GOAL_P95_MS: Final = 25.0
WINDOW_SIZE: Final = (1280, 800)
READ_CHUNK: Final = 16 * 2**20


def cuts(samples_ms: list[float]) -> tuple[float, float]:
    """(p50, p95) of the samples."""
    q = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return q[49], q[94]


def figure(samples_ms: list[float]) -> str:
    p50, p95 = cuts(samples_ms)
    return f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  (n={len(samples_ms)})"


def warm_file(path: Path) -> float:
    """Read the file (and its WAL) once so its pages are in the OS cache; returns seconds."""
    started = time.perf_counter()
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            with part.open("rb", buffering=0) as f:
                while f.read(READ_CHUNK):
                    pass
    return time.perf_counter() - started


@dataclass
class Bench:
    """The app's window over the bench cache, as the composition root builds it (no sync)."""

    app: QApplication
    cache: Cache
    window: MainWindow
    tasks: TaskRunner

    def drain(self) -> None:
        """Run the event loop's pending work (deferred deletes included) until it is empty."""
        for _ in range(3):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
            self.app.processEvents()

    def close(self) -> None:
        self.window.close()
        self.window.deleteLater()
        self.drain()
        self.tasks.shutdown()
        self.cache.close()


def _quiet_offscreen(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Drop the offscreen plugin's "This plugin does not support raise()" notes; print the rest."""
    if not message.startswith("This plugin does not support"):
        sys.stderr.write(f"qt {kind.name}: {message}\n")


@contextmanager
def bench_window(cache_path: Path) -> Iterator[Bench]:
    """The main window (1280x800, light theme, shown) with a context on the cache at `cache_path`."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    qInstallMessageHandler(_quiet_offscreen)
    apply_theme(app, "light")
    cache, _report = open_cache(cache_path, None)
    tasks = TaskRunner(cache.writer, inline=True)
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as scratch:
        settings = QSettings(str(Path(scratch) / "ui.ini"), QSettings.Format.IniFormat)
        ctx = ViewContext(
            cache=cache, tasks=tasks, hub=ChangeHub(), request_sync=lambda: None, settings=settings
        )
        window = MainWindow("http://127.0.0.1:1", "bench", ctx=ctx, settings=settings)
        window.resize(*WINDOW_SIZE)
        window.show()
        bench = Bench(app, cache, window, tasks)
        bench.drain()
        try:
            yield bench
        finally:
            bench.close()


def random_phones(cache: Cache, count: int, rng: random.Random) -> list[str]:
    """E.164 numbers of `count` random customers (each a phone contact point in the cache)."""
    with cache.read() as conn:
        top = int(conn.exec_driver_sql("SELECT max(rowid) FROM contact_point").scalar() or 0)
        phones: list[str] = []
        while len(phones) < count:
            row = conn.exec_driver_sql(
                "SELECT value FROM contact_point WHERE rowid >= ? AND kind = 'phone' LIMIT 1",
                (rng.randint(1, top),),
            ).fetchone()
            if row is not None:
                phones.append(str(row[0]))
    return phones


@dataclass
class Pop:
    lookup: float
    open: float
    layout: float
    paint: float

    @property
    def total(self) -> float:
        return self.lookup + self.open + self.layout + self.paint


def _ms(start: int, end: int) -> float:
    return (end - start) / 1e6


def pop(bench: Bench, phone: str, paint: str = "window") -> Pop:
    """One screen pop into a window with no other tab open (the previous one is closed after)."""
    window = bench.window
    t0 = time.perf_counter_ns()
    with bench.cache.read() as conn:
        found = customers_by_phone(conn, phone)
    t1 = time.perf_counter_ns()
    if not found:
        raise RuntimeError(f"no customer has the phone {phone}")
    window.open_customer(found[0].id)
    t2 = time.perf_counter_ns()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest.value)
    t3 = time.perf_counter_ns()
    if paint == "window":
        window.repaint()
    else:  # as the event loop does: the shown widgets' deferred updates, then one paint
        QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateLater.value)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateRequest.value)
    t4 = time.perf_counter_ns()
    return Pop(_ms(t0, t1), _ms(t1, t2), _ms(t2, t3), _ms(t3, t4))


def close_tabs(bench: Bench) -> None:
    tabs = bench.window.tabs
    assert tabs is not None
    while tabs.count():
        tabs.close_tab(0)
    bench.drain()


def between_pops(bench: Bench, spare: str) -> None:
    """Close the pop's tab; `fresh`: after the event loop built a new spare (the closed screen is
    deleted); `recycled`: before (the closed screen becomes the spare)."""
    if spare == "fresh":
        bench.drain()
    close_tabs(bench)


def run_pops(bench: Bench, phones: list[str], after: Callable[[], None], paint: str) -> list[Pop]:
    pops = []
    for phone in phones:
        pops.append(pop(bench, phone, paint))
        after()
    return pops


def floor(bench: Bench, phone: str, repeats: int) -> list[float]:
    """`repaint()` of the window already showing a customer's screen, nothing changed."""
    pop(bench, phone)
    bench.drain()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        bench.window.repaint()
        samples.append(_ms(t0, time.perf_counter_ns()))
    close_tabs(bench)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, required=True, help="the bench cache (built if missing)")
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--pops", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cold", action="store_true", help="do not read the file into the OS cache first")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the pops")
    parser.add_argument(
        "--spare", choices=("fresh", "recycled"), default="fresh", help="the screen a pop fills (see above)"
    )
    parser.add_argument(
        "--paint", choices=("window", "dirty"), default="window", help="what is painted (see above)"
    )
    args = parser.parse_args()
    meta = ensure_cache(args.cache, args.customers)
    print(describe(meta))
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not args.cold:
        print(f"file read into the OS cache in {warm_file(args.cache):.1f} s")
    rng = random.Random(4)
    with bench_window(args.cache) as bench:
        phones = random_phones(bench.cache, args.warmup + args.pops, rng)
        after = partial(between_pops, bench, args.spare)
        run_pops(bench, phones[: args.warmup], after, args.paint)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        pops = run_pops(bench, phones[args.warmup :], after, args.paint)
        if profiler is not None:
            profiler.disable()
        base = floor(bench, phones[0], args.pops)
    print(
        f"window {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}, offscreen raster, {len(pops)} pops of random customers"
        f" (spare {args.spare}, paint {args.paint})"
    )
    print(f"  screen pop (phone → screen repainted): {figure([p.total for p in pops])}")
    print(f"    lookup  customers_by_phone         {figure([p.lookup for p in pops])}")
    print(f"    open    CustomerScreen in a tab    {figure([p.open for p in pops])}")
    print(f"    layout  posted LayoutRequests      {figure([p.layout for p in pops])}")
    painted = "MainWindow.repaint()  " if args.paint == "window" else "posted UpdateRequests"
    print(f"    paint   {painted}      {figure([p.paint for p in pops])}")
    print(f"  floor: repaint() of the same window: {figure(base)}")
    p95 = cuts([p.total for p in pops])[1]
    ratio = p95 / cuts(base)[1]
    verdict = "met" if p95 <= GOAL_P95_MS else "NOT met"
    print(f"  p95 / floor p95 = {ratio:.2f}; goal p95 ≤ {GOAL_P95_MS:.0f} ms: {verdict}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
