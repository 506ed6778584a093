"""Search keystroke: one typed character in the search box until the result list is repainted.

    python bench/search_keystroke.py --cache DIR/cache.db [--customers N] [--queries Q]

On the cache of `bench/desktop_cache.py` (built first if missing), the real `MainWindow` and its
`SearchBox`, offscreen (Qt's software raster). Queries are what an agent types for random existing
customers, character by character as key press and release events (`QKeyEvent` with the text) into the
line edit): the full display name, the phone in its national format (`(206) 201-8178`,
`07400 123456`), the account number, and the local part of an email address. One keystroke,
timed with `perf_counter_ns`:

1. key: `type_char` → `textChanged` → the box's FTS query on a read connection (at most 20
   hits), the results model reset, the drop-down list placed and shown;
2. paint: one `processEvents()` pass: the drop-down window's expose, layout and update requests,
   so the list is painted the way the running app paints it (a paint-event counter on the list's
   viewport checks that every keystroke with results painted it).

Between queries (not timed) the box is cleared and the event loop drained. Also printed: the
store's `search()` alone on the same prefixes (the query's share), and on fixed query shapes that
are the costly ones for FTS5 (1-2 letters or digits, several one-letter words, long digit strings,
words that rarely meet), to show each stays bounded; and whether `search_words` has its prefix
index (schema v5). Floor, same run: `repaint()` of the drop-down showing 20 results, nothing changed.
"""

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import phonenumbers  # noqa: E402
from PySide6.QtCore import QEvent, QObject, Qt  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from bench.desktop_cache import DEFAULT_CUSTOMERS, describe, ensure_cache  # noqa: E402
from bench.screen_pop import Bench, bench_window, cuts, figure, warm_file  # noqa: E402
from desktop.services.store import Cache, search  # noqa: E402
from desktop.views.search.box import SearchBox  # noqa: E402

GOAL_P95_MS: Final = 10.0


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


def _national(e164: str) -> str:
    parsed = phonenumbers.parse(e164, None)
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))


def random_queries(cache: Cache, count: int, rng: random.Random) -> list[Query]:
    """`count` queries (name, national phone, account number, email local part, in turn) of random
    existing customers."""
    kinds = ("name", "phone", "account", "email")
    queries: list[Query] = []
    with cache.read() as conn:
        top = int(conn.exec_driver_sql("SELECT max(rowid) FROM customer").scalar() or 0)
        while len(queries) < count:
            kind = kinds[len(queries) % len(kinds)]
            row = conn.exec_driver_sql(
                "SELECT id, display_name, account_number FROM customer WHERE rowid >= ? LIMIT 1",
                (rng.randint(1, top),),
            ).fetchone()
            if row is None:
                continue
            customer_id, name, account = str(row[0]), str(row[1] or ""), str(row[2] or "")
            text = ""
            if kind == "name":
                text = name
            elif kind == "account":
                text = account
            else:
                point = "phone" if kind == "phone" else "email"
                value = conn.exec_driver_sql(
                    "SELECT value FROM contact_point WHERE customer_id = ? AND kind = ? LIMIT 1",
                    (customer_id, point),
                ).scalar()
                if value:
                    text = _national(str(value)) if kind == "phone" else str(value).partition("@")[0]
            if text.strip():
                queries.append(Query(kind, text))
    return queries


@dataclass
class Stroke:
    kind: str
    typed: int
    key: float
    paint: float
    #: the result list's viewport got a paint event (or there was nothing to show)
    painted: bool

    @property
    def total(self) -> float:
        return self.key + self.paint


def type_char(box: SearchBox, char: str) -> None:
    """A key press and release carrying `char`, sent to the line edit as a keyboard would (QTest's
    key helpers only take ASCII; names have accents). Qt's key codes of printable ASCII are the
    upper-case character codes."""
    code = ord(char.upper()) if ord(char) < 128 else 0
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(box.edit, QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier, char))


class PaintCounter(QObject):
    """Counts the paint events of the result list's viewport (proof that a keystroke painted)."""

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self.paints = 0
        target.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def type_query(bench: Bench, box: SearchBox, counter: PaintCounter, query: Query) -> list[Stroke]:
    strokes = []
    for at, char in enumerate(query.text, start=1):
        before = counter.paints
        t0 = time.perf_counter_ns()
        type_char(box, char)
        t1 = time.perf_counter_ns()
        bench.app.processEvents()
        t2 = time.perf_counter_ns()
        painted = counter.paints > before or not box.model.rowCount()
        strokes.append(Stroke(query.kind, at, (t1 - t0) / 1e6, (t2 - t1) / 1e6, painted))
    if box.edit.text() != query.text:
        raise RuntimeError(f"typed {query.text!r} but the box holds {box.edit.text()!r}")
    box.edit.clear()
    bench.drain()
    return strokes


def query_only(cache: Cache, queries: list[Query]) -> list[float]:
    samples = []
    with cache.read_raw() as conn:
        for query in queries:
            for at in range(1, len(query.text) + 1):
                t0 = time.perf_counter_ns()
                search(conn, query.text[:at], limit=20)
                samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


#: query shapes whose cost FTS5 does not bound by LIMIT alone: short prefixes (a doclist per term
#: without a prefix index), 1-2 digits (too short for the trigram index), ANDs of big doclists that
#: rarely meet, phrases of many trigrams, a long word no term starts with
SHAPES: Final = (
    "a",
    "m",
    "ma",
    "mar",
    "mart",
    "1",
    "20",
    "+4",
    "(2",
    "000",
    "0740",
    "1234567890123",
    "1" * 200,
    "a b c d e f g h",
    "q x",
    "z 9",
    "smith j",
    "é" * 200,
    "ac-0",
)


def shape_figures(cache: Cache, repeats: int) -> list[tuple[str, list[float], int]]:
    """(shape, samples, hits) of the store's `search()` on each of `SHAPES`, `repeats` times each."""
    rows = []
    with cache.read_raw() as conn:
        for shape in SHAPES:
            samples = []
            hits = 0
            for _ in range(repeats):
                t0 = time.perf_counter_ns()
                hits = len(search(conn, shape, limit=20))
                samples.append((time.perf_counter_ns() - t0) / 1e6)
            rows.append((shape, samples, hits))
    return rows


def word_index_ddl(cache: Cache) -> str:
    with cache.read() as conn:
        found = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'search_words'").scalar()
        version = conn.exec_driver_sql("PRAGMA user_version").scalar()
    return f"schema v{version}: {found}"


def floor(bench: Bench, box: SearchBox, text: str, repeats: int) -> list[float]:
    box.edit.setText(text)
    bench.drain()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        box.popup.repaint()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    box.edit.clear()
    bench.drain()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, required=True, help="the bench cache (built if missing)")
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--queries", type=int, default=120)
    parser.add_argument("--cold", action="store_true", help="do not read the file into the OS cache first")
    args = parser.parse_args()
    meta = ensure_cache(args.cache, args.customers)
    print(describe(meta))
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not args.cold:
        print(f"file read into the OS cache in {warm_file(args.cache):.1f} s")
    rng = random.Random(5)
    with bench_window(args.cache) as bench:
        box = bench.window.search
        if not isinstance(box, SearchBox):
            raise RuntimeError("the main window has no SearchBox")
        counter = PaintCounter(box.list.viewport())
        warmup = random_queries(bench.cache, 8, random.Random(6))
        for query in warmup:
            type_query(bench, box, counter, query)
        queries = random_queries(bench.cache, args.queries, rng)
        strokes = [s for q in queries for s in type_query(bench, box, counter, q)]
        alone = query_only(bench.cache, queries)
        base = floor(bench, box, "ma", len(strokes))
        shapes = shape_figures(bench.cache, 20)
        ddl = word_index_ddl(bench.cache)
    print(ddl)
    totals = [s.total for s in strokes]
    print(f"{len(queries)} queries, {len(strokes)} keystrokes (name, national phone, account, email in turn)")
    print(f"  keystroke → results repainted: {figure(totals)}")
    print(f"    key     key event → search → model → list shown {figure([s.key for s in strokes])}")
    print(f"    paint   one processEvents() pass (list painted) {figure([s.paint for s in strokes])}")
    unpainted = sum(1 for s in strokes if not s.painted)
    print(f"    keystrokes with results whose list was not painted: {unpainted}")
    print(f"    (the store's search() alone, same prefixes:     {figure(alone)})")
    for kind in ("name", "phone", "account", "email"):
        print(f"    {kind:8s} {figure([s.total for s in strokes if s.kind == kind])}")
    for label, low, high in (("1-2 chars", 1, 2), ("3-4 chars", 3, 4), ("5+ chars", 5, 999)):
        print(f"    {label:9s} {figure([s.total for s in strokes if low <= s.typed <= high])}")
    print("  search() alone on fixed query shapes, 20 times each:")
    for shape, samples, hits in shapes:
        label = shape if len(shape) <= 16 else f"{shape[:8]}... ({len(shape)} chars)"
        print(f"    {label!r:20s} {figure(samples)}  {hits} hits")
    print(f"  floor: repaint() of the drop-down with 20 results: {figure(base)}")
    p95 = cuts(totals)[1]
    verdict = "met" if p95 <= GOAL_P95_MS else "NOT met"
    print(f"  p95 / floor p95 = {p95 / cuts(base)[1]:.2f}; goal p95 ≤ {GOAL_P95_MS:.0f} ms: {verdict}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
